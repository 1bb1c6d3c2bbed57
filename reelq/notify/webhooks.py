"""Per-user webhook endpoints, signed the Standard Webhooks way, delivered from the outbox.

Headers: ``webhook-id`` (the outbox row id, the same on every retry so receivers can dedupe),
``webhook-timestamp`` (unix seconds) and ``webhook-signature: v1,<base64 HMAC-SHA256>`` over
``"{id}.{timestamp}.{body}"`` keyed with the base64-decoded part of the ``whsec_…`` secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import logging
import secrets
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import httpx
from sqlalchemy import Connection, Engine, delete, insert, or_, select, update

from reelq import __version__
from reelq.db.schema import webhooks
from reelq.errors import BadRequest, NotFound
from reelq.ids import new_id
from reelq.logs import event
from reelq.notify.outbox import WEBHOOK, Notification, Outbox, State
from reelq.notify.sender import backoff
from reelq.timeutil import now as _now
from reelq.timeutil import rfc3339

log = logging.getLogger("reelq.notify")

SECRET_PREFIX = "whsec_"
TOLERANCE_SECONDS = 300
MAX_WEBHOOKS_PER_USER = 20


# -- signing (the same recipe a receiver uses; docs/notifications.md) --------------------------------
def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def verify(secret: str, headers: dict[str, str], body: bytes, now: float | None = None) -> bool:
    """True when one of the ``v1`` signatures matches and the timestamp is within 5 minutes."""
    h = {k.lower(): v for k, v in headers.items()}
    msg_id, ts, sigs = h.get("webhook-id"), h.get("webhook-timestamp"), h.get("webhook-signature")
    if not (msg_id and ts and sigs and ts.isdigit()):
        return False
    if abs((now if now is not None else time.time()) - int(ts)) > TOLERANCE_SECONDS:
        return False
    expected = sign(secret, msg_id, int(ts), body)
    return any(hmac.compare_digest(expected, s) for s in sigs.split())


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

    @classmethod
    def from_row(cls, row: Any) -> Webhook:
        m = row._mapping
        return cls(**{k: m[k] for k in cls.__dataclass_fields__})


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


class _Blocked(Exception):
    pass


def _literal_not_public(host: str) -> bool:
    try:
        return not ipaddress.ip_address(host).is_global
    except ValueError:
        return False  # a name: checked when delivering, against what it resolves to then


class WebhookStore:
    def __init__(
        self,
        engine: Engine,
        *,
        allow_http: bool = False,
        allow_private: bool = False,
        clock: Callable[[], float] = _now,
    ) -> None:
        self.engine = engine
        self.allow_http = allow_http
        self.allow_private = allow_private
        self.clock = clock

    def validate_url(self, url: str) -> str:
        parsed = urlparse(url.strip())
        local = parsed.hostname in ("localhost", "127.0.0.1", "::1")
        ok_scheme = parsed.scheme == "https" or (parsed.scheme == "http" and (self.allow_http or local))
        if not ok_scheme or not parsed.hostname or len(url) > 2000:
            raise BadRequest("url must be an https:// URL", code="invalid_webhook_url")
        if not self.allow_private and (local or _literal_not_public(parsed.hostname)):
            raise BadRequest(
                "webhook URLs must point to a public address (REELQ_WEBHOOK_ALLOW_PRIVATE allows others)",
                code="webhook_url_not_public",
            )
        return url.strip()

    def address_blocked(self, url: str) -> str | None:
        """Why delivery to ``url`` is refused right now (its host resolves to a non-public address)."""
        if self.allow_private:
            return None
        host = urlparse(url).hostname or ""
        try:
            infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
        except OSError:
            return None  # unresolvable: the request itself will fail and be retried
        for info in infos:
            address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
            if not address.is_global:
                return f"{host} resolves to {address}, which is not a public address"
        return None

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

    def active_ids(self, conn: Connection, user_id: str) -> list[str]:
        mine_or_all = or_(
            webhooks.c.user_id == user_id, webhooks.c.all_users.is_(True)
        )  # admins' server-wide
        q = select(webhooks.c.id).where(mine_or_all, webhooks.c.disabled_at.is_(None))
        return [r[0] for r in conn.execute(q)]

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


# -- delivery ------------------------------------------------------------------------------------------
@dataclass
class WebhookConfig:
    timeout_seconds: float = 10.0
    max_failures: int = 10
    max_attempts: int = 8
    retry_base_seconds: float = 10.0
    lease_seconds: float = 60.0


class WebhookSender:
    def __init__(
        self,
        engine: Engine,
        outbox: Outbox,
        store: WebhookStore,
        http: httpx.Client,
        config: WebhookConfig,
        clock: Callable[[], float] = _now,
    ) -> None:
        self.engine = engine
        self.outbox = outbox
        self.store = store
        self.http = http
        self.config = config
        self.clock = clock

    def deliver_due(self, max_rows: int | None = None) -> int:
        handled = 0
        while max_rows is None or handled < max_rows:
            rows = self.outbox.claim(WEBHOOK, 10, self.config.lease_seconds)
            if not rows:
                break
            for row in rows:
                self.deliver(row)
            handled += len(rows)
        return handled

    def deliver(self, row: Notification) -> None:
        hook = self.store.get(row.target_id)
        fields: dict[str, Any] = {"job_id": row.job_id, "user_id": row.user_id, "webhook": row.target_id}
        if hook is None or hook.disabled_at is not None:
            with self.engine.begin() as conn:
                self.outbox.finish(conn, row, State.SKIPPED, error_code="endpoint_disabled")
            return
        body = json.dumps(row.payload, separators=(",", ":")).encode()
        ts = int(self.clock())
        headers = {
            "content-type": "application/json",
            "user-agent": f"reelq-webhooks/{__version__}",
            "webhook-id": row.id,
            "webhook-timestamp": str(ts),
            "webhook-signature": sign(hook.secret, row.id, ts, body),
        }
        error: str | None = self.store.address_blocked(hook.url)
        try:
            if error is not None:
                raise _Blocked
            resp = self.http.post(
                hook.url, content=body, headers=headers, timeout=self.config.timeout_seconds
            )
            if not 200 <= resp.status_code < 300:
                error = f"HTTP {resp.status_code}"
        except _Blocked:
            pass
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:300]
        with self.engine.begin() as conn:
            if error is None:
                self.outbox.finish(conn, row, State.DELIVERED, sent_at=self.clock(), error_code=None)
                self.store.record(conn, hook.id, None, self.config.max_failures)
                event(log, "webhook.delivered", event_type=row.event, **fields)
                return
            disabled = self.store.record(conn, hook.id, error, self.config.max_failures)
            if disabled:
                self.outbox.finish(
                    conn, row, State.FAILED, error_code="endpoint_disabled", error_message=error
                )
                self.outbox.fail_pending_for_target(conn, WEBHOOK, hook.id, "endpoint_disabled")
                event(log, "webhook.disabled", logging.WARNING, error=error, **fields)
                return
            delay = backoff(row.attempts, self.config.retry_base_seconds)
            self.outbox.retry_later(conn, row, "delivery_failed", error, delay, self.config.max_attempts)
            event(log, "webhook.failed", logging.WARNING, error=error, attempt=row.attempts, **fields)
