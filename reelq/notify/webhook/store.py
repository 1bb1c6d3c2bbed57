"""Per-user webhook endpoints: registration (with the URL checks of ``addresses.py``), listing, and the
failure count that disables an endpoint. Signing is ``signing.py``; delivery is ``webhook_sender.py``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    Select,
    String,
    and_,
    bindparam,
    delete,
    insert,
    or_,
    select,
    update,
)

from reelq.db.schema import users, webhooks
from reelq.errors import BadRequest, NotFound
from reelq.ids import new_id
from reelq.notify.webhook.addresses import (
    InvalidWebhookURL,
    IPAddress,
    Resolver,
    Target,
    is_public,
    literal_address,
    parse_url,
    pin,
    system_resolver,
)
from reelq.notify.webhook.signing import SECRET_PREFIX, TOLERANCE_SECONDS, new_secret, sign, verify
from reelq.timeutil import now as _now
from reelq.timeutil import rfc3339

__all__ = ["SECRET_PREFIX", "TOLERANCE_SECONDS", "new_secret", "sign", "verify"]  # the receiver's helpers

_ENABLED_ADMIN = and_(users.c.admin.is_(True), users.c.disabled.is_(False))
_ENABLED_ADMINS = select(users.c.id).where(_ENABLED_ADMIN)

MAX_WEBHOOKS_PER_USER = 20
MAX_URL_LENGTH = 2000
LOCAL_NAMES = ("localhost",)


# -- endpoints -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Webhook:
    id: str
    user_id: str
    url: str
    secret: str
    created_at: float
    consecutive_failures: int
    last_error: str | None
    disabled_at: float | None
    all_users: bool = False

    @classmethod
    def from_row(cls, row: Any) -> Webhook:
        m = row._mapping
        return cls(**{k: m[k] for k in cls.__dataclass_fields__ if k in m})


def webhook_out(hook: Webhook, *, with_secret: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": hook.id,
        "url": hook.url,
        "active": hook.disabled_at is None,
        "created_at": rfc3339(hook.created_at),
        "consecutive_failures": hook.consecutive_failures,
        "last_error": hook.last_error,
    }
    if with_secret:
        out["secret"] = hook.secret
    return out


class WebhookStore:
    def __init__(
        self,
        engine: Engine,
        *,
        allow_http: bool = False,
        allow_private: bool = False,
        clock: Callable[[], float] = _now,
        resolve: Resolver = system_resolver,
        public: Callable[[IPAddress], bool] = is_public,
    ) -> None:
        self.engine = engine
        self.allow_http = allow_http
        self.allow_private = allow_private
        self.clock = clock
        self.resolve = resolve
        self.public = public

    def validate_url(self, url: str) -> str:
        """The URL, checked with the parser that sends it: 400 ``invalid_webhook_url`` when ``httpx``
        could not send to it, 400 ``webhook_url_not_public`` for a private literal address (names are
        checked when delivering, against what they resolve to then)."""
        raw = url.strip()
        try:
            if len(raw) > MAX_URL_LENGTH:
                raise InvalidWebhookURL(f"the URL is longer than {MAX_URL_LENGTH} characters")
            parsed = parse_url(raw)
        except InvalidWebhookURL as exc:
            raise BadRequest(f"url is not a usable webhook URL: {exc}", code="invalid_webhook_url") from None
        host = parsed.raw_host.decode("ascii").lower().rstrip(".")
        address = literal_address(host)
        local = host in LOCAL_NAMES or (address is not None and address.is_loopback)
        if parsed.scheme != "https" and not (self.allow_http or local):
            raise BadRequest("url must be an https:// URL", code="invalid_webhook_url")
        if not self.allow_private and (local or (address is not None and not self.public(address))):
            raise BadRequest(
                "webhook URLs must point to a public address (REELQ_WEBHOOK_ALLOW_PRIVATE allows others)",
                code="webhook_url_not_public",
            )
        return raw

    def target(self, url: str) -> Target:
        """Where to connect for ``url`` right now (resolved once, checked, pinned); ``Blocked`` if nowhere."""
        return pin(url, allow_private=self.allow_private, resolve=self.resolve, public=self.public)

    def create(self, user_id: str, url: str) -> Webhook:
        url = self.validate_url(url)
        with self.engine.begin() as conn:
            count = len(conn.execute(select(webhooks.c.id).where(webhooks.c.user_id == user_id)).all())
            if count >= MAX_WEBHOOKS_PER_USER:
                raise BadRequest(
                    f"at most {MAX_WEBHOOKS_PER_USER} webhooks per user", code="too_many_webhooks"
                )
            hook_id = new_id()
            conn.execute(
                insert(webhooks).values(
                    id=hook_id,
                    user_id=user_id,
                    url=url,
                    secret=new_secret(),
                    created_at=self.clock(),
                    consecutive_failures=0,
                )
            )
            row = conn.execute(select(webhooks).where(webhooks.c.id == hook_id)).one()
        return Webhook.from_row(row)

    def for_user(self, user_id: str) -> list[Webhook]:
        q = select(webhooks).where(webhooks.c.user_id == user_id).order_by(webhooks.c.id)
        with self.engine.connect() as conn:
            return [Webhook.from_row(r) for r in conn.execute(q)]

    def get(self, hook_id: str, user_id: str | None = None) -> Webhook | None:
        q = select(webhooks).where(webhooks.c.id == hook_id)
        if user_id is not None:
            q = q.where(webhooks.c.user_id == user_id)
        with self.engine.connect() as conn:
            row = conn.execute(q).first()
        return Webhook.from_row(row) if row else None

    def delete(self, user_id: str, hook_id: str) -> None:
        with self.engine.begin() as conn:
            res = conn.execute(
                delete(webhooks).where(webhooks.c.id == hook_id, webhooks.c.user_id == user_id)
            )
        if not res.rowcount:
            raise NotFound(f"no webhook {hook_id[:64]!r}", code="webhook_not_found")

    @staticmethod
    def active_ids_query() -> Select[tuple[str]]:
        """Ids of the enabled endpoints of the user bound as ``b_user``, and the server-wide ones whose
        owner is still an enabled admin (a demoted or disabled admin's hooks receive nothing)."""
        mine = webhooks.c.user_id == bindparam("b_user", type_=String)
        server_wide = and_(webhooks.c.all_users.is_(True), webhooks.c.user_id.in_(_ENABLED_ADMINS))
        return select(webhooks.c.id).where(or_(mine, server_wide), webhooks.c.disabled_at.is_(None))

    def may_receive(self, hook: Webhook) -> bool:
        """Checked again when sending: rows queued before the owner lost admin are not sent either."""
        if not hook.all_users:
            return True
        with self.engine.connect() as conn:
            return (
                conn.execute(select(users.c.id).where(users.c.id == hook.user_id, _ENABLED_ADMIN)).first()
                is not None
            )

    def record(self, conn: Connection, hook_id: str, error: str | None, max_failures: int) -> bool:
        """Count a delivery; returns True when this failure disabled the endpoint."""
        if error is None:
            conn.execute(
                update(webhooks)
                .where(webhooks.c.id == hook_id)
                .values(consecutive_failures=0, last_error=None)
            )
            return False
        conn.execute(
            update(webhooks)
            .where(webhooks.c.id == hook_id)
            .values(consecutive_failures=webhooks.c.consecutive_failures + 1, last_error=error[:500])
        )
        res = conn.execute(
            update(webhooks)
            .where(
                webhooks.c.id == hook_id,
                webhooks.c.disabled_at.is_(None),
                webhooks.c.consecutive_failures >= max_failures,
            )
            .values(disabled_at=self.clock())
        )
        return bool(res.rowcount)
