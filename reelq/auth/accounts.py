"""What an admin may do to users: list, create, disable, set limits, issue and revoke tokens, delete.

Used by the admin API (``reelq/api/admin.py``) and the ``reelq users`` commands. Changes reach the
caches of this process at once and other processes within ``REELQ_AUTH_CACHE_SECONDS``.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable
from typing import Any

from sqlalchemy import delete, select, update

from reelq.auth.limits import LIMIT_NAMES, Limiter
from reelq.auth.tokens import UserStore
from reelq.db.engine import reader
from reelq.db.schema import api_tokens, tus_uploads, users, webhooks
from reelq.errors import BadRequest, NotFound
from reelq.files import Layout
from reelq.ids import is_id
from reelq.jobs import queries as job_queries
from reelq.jobs.service import JobService
from reelq.timeutil import now, rfc3339

_DURATION = re.compile(r"^(\d{1,6})([smhdw])$")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_duration(text: str) -> float:
    """``90s``, ``15m``, ``12h``, ``30d``, ``2w`` → seconds."""
    m = _DURATION.match(text.strip())
    if not m or int(m.group(1)) == 0:
        raise BadRequest("durations look like 90s, 15m, 12h, 30d or 2w", code="invalid_duration")
    return int(m.group(1)) * _UNIT[m.group(2)]


def user_view(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "admin": bool(row.admin),
        "disabled": bool(row.disabled),
        "issuer": row.issuer,
        "subject": row.subject,
        "created_at": rfc3339(row.created_at),
        "limits": json.loads(row.limits_json or "{}"),
    }


def token_view(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "created_at": rfc3339(row.created_at),
        "expires_at": rfc3339(row.expires_at),
        "revoked_at": rfc3339(row.revoked_at),
    }


_USER = select(
    users.c.id,
    users.c.name,
    users.c.admin,
    users.c.disabled,
    users.c.issuer,
    users.c.subject,
    users.c.created_at,
    users.c.limits_json,
)


class Accounts:
    def __init__(
        self,
        users_: UserStore,
        limiter: Limiter,
        service: JobService,
        layout: Layout,
        upload_file: Callable[[str], Any] | None = None,
    ) -> None:
        self.users = users_
        self.engine = users_.engine
        self.limiter = limiter
        self.service = service
        self.layout = layout
        self.upload_file = upload_file  # upload id → path of an unfinished tus upload's bytes

    def _forget(self, user_id: str) -> None:
        self.users.cache.clear()  # this process at once; the others within the cache time
        self.limiter.forget(user_id)

    def get(self, user_id: str) -> dict[str, Any]:
        row = None
        if is_id(user_id):
            with reader(self.engine).connect() as conn:
                row = conn.execute(_USER.where(users.c.id == user_id)).first()
        if row is None:
            raise NotFound(f"no user {user_id[:64]!r}", code="user_not_found")
        return user_view(row)

    def page(self, limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
        q = _USER.order_by(users.c.id).limit(limit + 1)
        if cursor is not None:
            if not is_id(cursor):
                raise BadRequest("invalid cursor", code="bad_cursor")
            q = q.where(users.c.id > cursor)
        with reader(self.engine).connect() as conn:
            rows = conn.execute(q).all()
        page = [user_view(r) for r in rows[:limit]]
        return page, (page[-1]["id"] if len(rows) > limit else None)

    def create(
        self, name: str, *, admin: bool = False, limits: dict[str, int | None] | None = None
    ) -> tuple[dict[str, Any], str]:
        user, token = self.users.create(name, admin=admin)
        if limits:
            self.update(user.id, limits=limits)
        return self.get(user.id), token

    def update(
        self,
        user_id: str,
        *,
        disabled: bool | None = None,
        admin: bool | None = None,
        limits: dict[str, int | None] | None = None,
    ) -> dict[str, Any]:
        current = self.get(user_id)
        values: dict[str, Any] = {}
        if disabled is not None:
            values["disabled"] = disabled
        if admin is not None:
            values["admin"] = admin
        if limits is not None:
            merged = dict(current["limits"])
            for name, value in limits.items():
                if name not in LIMIT_NAMES:
                    raise BadRequest(f"unknown limit {name[:40]!r}", code="unknown_limit")
                if value is None:
                    merged.pop(name, None)  # back to the server's setting
                elif value < 0:
                    raise BadRequest("limits are 0 (no limit) or more", code="invalid_limit")
                else:
                    merged[name] = int(value)
            values["limits_json"] = json.dumps(merged, sort_keys=True) if merged else None
        if values:
            with self.engine.begin() as conn:
                conn.execute(update(users).where(users.c.id == user_id).values(**values))
            self._forget(user_id)
        return self.get(user_id)

    # -- tokens --------------------------------------------------------------------------------------
    def tokens(self, user_id: str) -> list[dict[str, Any]]:
        self.get(user_id)
        q = (
            select(api_tokens.c.id, api_tokens.c.created_at, api_tokens.c.expires_at, api_tokens.c.revoked_at)
            .where(api_tokens.c.user_id == user_id)
            .order_by(api_tokens.c.id)
        )
        with reader(self.engine).connect() as conn:
            return [token_view(r) for r in conn.execute(q)]

    def issue_token(self, user_id: str, expires_in: float | None = None) -> dict[str, Any]:
        self.get(user_id)
        expires_at = now() + expires_in if expires_in else None
        token_id, token = self.users.issue_token_for(user_id, expires_at)
        return {"id": token_id, "token": token, "expires_at": rfc3339(expires_at)}

    def revoke_token(self, user_id: str, token_id: str) -> None:
        if not is_id(token_id):
            raise NotFound("no such token", code="token_not_found")
        with self.engine.begin() as conn:
            row = conn.execute(
                select(api_tokens.c.token_hash).where(
                    api_tokens.c.id == token_id, api_tokens.c.user_id == user_id
                )
            ).first()
            if row is None:
                raise NotFound("no such token", code="token_not_found")
            conn.execute(
                update(api_tokens)
                .where(api_tokens.c.id == token_id, api_tokens.c.revoked_at.is_(None))
                .values(revoked_at=now())
            )
        self.users.cache.discard(row.token_hash)

    # -- delete --------------------------------------------------------------------------------------
    def delete(self, user_id: str) -> int:
        """The user with every job (rows, uploads, artifacts), token, device and webhook; jobs deleted."""
        self.get(user_id)
        with self.engine.begin() as conn:  # no new token works from here on
            conn.execute(update(users).where(users.c.id == user_id).values(disabled=True))
        self._forget(user_id)
        with reader(self.engine).connect() as conn:
            job_ids = job_queries.job_ids_of(conn, user_id)
            upload_ids = [
                r.id for r in conn.execute(select(tus_uploads.c.id).where(tus_uploads.c.user_id == user_id))
            ]
        for job_id in job_ids:
            with contextlib.suppress(NotFound):  # deleted meanwhile
                self.service.delete(user_id, job_id)
        if self.upload_file is not None:
            for upload_id in upload_ids:
                path = self.upload_file(upload_id)
                path.unlink(missing_ok=True)
        with self.engine.begin() as conn:
            conn.execute(delete(users).where(users.c.id == user_id))  # cascades to tokens, devices …
        self.service.storage.remove_user(user_id)
        return len(job_ids)


# -- server-wide webhooks (an admin's endpoints that receive every user's job events) ----------------
def make_server_wide(engine: Any, hook_id: str) -> None:
    with engine.begin() as conn:
        conn.execute(update(webhooks).where(webhooks.c.id == hook_id).values(all_users=True))


def server_wide_ids(engine: Any) -> list[str]:
    with reader(engine).connect() as conn:
        q = select(webhooks.c.id).where(webhooks.c.all_users.is_(True)).order_by(webhooks.c.id)
        return [r.id for r in conn.execute(q)]
