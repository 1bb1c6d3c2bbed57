"""Who a job belongs to, as webhook payloads name it: reelq's user id and, for users of the app's
identity provider, the issuer and subject the app knows them by (server-wide webhooks need this)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from reelq.db.schema import users


def job_user(conn: Connection, user_id: str) -> dict[str, Any]:
    row = conn.execute(
        select(users.c.id, users.c.name, users.c.issuer, users.c.subject).where(users.c.id == user_id)
    ).first()
    if row is None:
        return {"id": user_id, "name": None, "issuer": None, "subject": None}
    return {"id": row.id, "name": row.name, "issuer": row.issuer, "subject": row.subject}
