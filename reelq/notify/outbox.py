"""The notification outbox: rows written in the job's terminal transaction, claimed with a lease.

States: ``pending`` → ``sending`` (leased) → ``sent`` (push ticket ok, receipt due) → ``delivered``;
or ``failed`` (recorded, not retried) / ``skipped`` (the device or endpoint went away). A ``sending``
row whose lease expired (the worker died mid-send) is claimed again: that is the one place a
duplicate can come from (docs/notifications.md).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, String, and_, func, insert, literal, or_, select, union_all, update
from sqlalchemy.dialects import postgresql, sqlite

from reelq.db.schema import notifications as n
from reelq.ids import new_id
from reelq.jobs.models import Job
from reelq.logs import event
from reelq.notify.payload import event_name
from reelq.timeutil import now as _now
from reelq.timeutil import rfc3339

if TYPE_CHECKING:
    from reelq.notify.protocol import Channel

log = logging.getLogger("reelq.notify")


class State(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class Notification:
    id: str
    job_id: str
    user_id: str
    channel: str
    target_id: str
    event: str
    payload: dict[str, Any]
    state: str
    attempts: int
    lease_token: str | None
    ticket_id: str | None
    sent_at: float | None
    created_at: float

    @classmethod
    def from_row(cls, row: Any) -> Notification:
        m = row._mapping
        return cls(
            id=m["id"],
            job_id=m["job_id"],
            user_id=m["user_id"],
            channel=m["channel"],
            target_id=m["target_id"],
            event=m["event"],
            payload=json.loads(m["payload_json"]),
            state=m["state"],
            attempts=m["attempts"],
            lease_token=m["lease_token"],
            ticket_id=m["ticket_id"],
            sent_at=m["sent_at"],
            created_at=m["created_at"],
        )


class Outbox:
    def __init__(self, engine: Engine, *, clock: Callable[[], float] = _now) -> None:
        self.engine = engine
        self.clock = clock
        self.channels: list[Channel] = []
        self._added = threading.local()  # rows the last terminal hook in this thread wrote
        self._targets_query: Any = None  # every channel's targets in one query (built on first use)

    def rows_added_here(self) -> int | None:
        """Rows the last ``on_terminal`` in this thread wrote (None: it has not run in this thread)."""
        return getattr(self._added, "count", None)

    def add(self, channel: Channel) -> None:
        """A channel whose targets get a row for every finished job from now on."""
        self.channels.append(channel)
        self._targets_query = None

    # -- the job store's terminal hook: runs INSIDE the job's transaction ------------------------
    def on_terminal(self, conn: Connection, job: Job) -> None:
        self._added.count = 0
        name = event_name(job)
        if name is None:
            return
        t = self.clock()
        rows: list[dict[str, Any]] = []
        by_channel = self._targets(conn, job.user_id)
        for channel in self.channels:
            targets = by_channel.get(channel.name)
            if not targets:
                continue
            payload = json.dumps(channel.payload(conn, job, name))
            for target_id in targets:
                rows.append(
                    {
                        "id": new_id(),
                        "job_id": job.id,
                        "user_id": job.user_id,
                        "channel": channel.name,
                        "target_id": target_id,
                        "event": name,
                        "payload_json": payload,
                        "state": State.PENDING.value,
                        "attempts": 0,
                        "next_attempt_at": t,
                        "created_at": t,
                        "updated_at": t,
                    }
                )
        if rows:
            self.insert_ignoring_duplicates(conn, rows)
        self._added.count = len(rows)

    def _targets(self, conn: Connection, user_id: str) -> dict[str, list[str]]:
        """Every channel's targets for the user, in one query."""
        if not self.channels:
            return {}
        if self._targets_query is None:
            parts = [c.targets_query().add_columns(literal(c.name, String)) for c in self.channels]
            self._targets_query = parts[0] if len(parts) == 1 else union_all(*parts)
        found: dict[str, list[str]] = {}
        for target_id, channel in conn.execute(self._targets_query, {"b_user": user_id}):
            found.setdefault(channel, []).append(target_id)
        return found

    @staticmethod
    def insert_ignoring_duplicates(conn: Connection, rows: list[dict[str, Any]]) -> None:
        """(job, channel, target, event) is unique: a second terminal transition adds nothing."""
        dialect = conn.dialect.name
        if dialect == "postgresql":
            conn.execute(postgresql.insert(n).values(rows).on_conflict_do_nothing())
        elif dialect == "sqlite":
            for i in range(0, len(rows), 500):  # SQLite caps bound parameters per statement
                conn.execute(sqlite.insert(n).values(rows[i : i + 500]).on_conflict_do_nothing())
        else:  # pragma: no cover - only SQLite and PostgreSQL are supported
            conn.execute(insert(n), rows)

    # -- sending ---------------------------------------------------------------------------------
    def claim(
        self, channel: str, limit: int, lease_seconds: float, max_attempts: int | None = None
    ) -> list[Notification]:
        """Due ``pending`` rows and ``sending`` rows whose lease expired → ``sending`` under a new lease.

        With ``max_attempts``, a row that already used them all (its sender kept dying, or the limit
        was lowered) is given up as ``failed``/``attempts_exhausted`` instead of being claimed forever.
        """
        t = self.clock()
        lease = new_id()
        due = and_(
            n.c.channel == channel,
            or_(
                and_(n.c.state == State.PENDING.value, n.c.next_attempt_at <= t),
                and_(n.c.state == State.SENDING.value, n.c.lease_until < t),
            ),
        )
        with self.engine.begin() as conn:
            if max_attempts is not None:
                spent = conn.execute(
                    update(n)
                    .where(due, n.c.attempts >= max_attempts)
                    .values(
                        state=State.FAILED.value,
                        lease_token=None,
                        lease_until=None,
                        error_code="attempts_exhausted",
                        error_message=f"given up after {max_attempts} attempts",
                        updated_at=t,
                    )
                )
                if spent.rowcount:
                    event(log, "notify.given_up", logging.WARNING, channel=channel, count=spent.rowcount)
            ids = [r[0] for r in conn.execute(select(n.c.id).where(due).order_by(n.c.id).limit(limit))]
            if not ids:
                return []
            # The guard repeats the condition: a row another worker took in between is not taken twice.
            conn.execute(
                update(n)
                .where(n.c.id.in_(ids), due)
                .values(
                    state=State.SENDING.value,
                    lease_token=lease,
                    lease_until=t + lease_seconds,
                    attempts=n.c.attempts + 1,
                    updated_at=t,
                )
            )
            rows = conn.execute(select(n).where(n.c.lease_token == lease).order_by(n.c.id)).all()
        return [Notification.from_row(r) for r in rows]

    def finish(
        self, conn: Connection, row: Notification, state: State, *, quiet: bool = False, **values: Any
    ) -> bool:
        """Record the outcome of a send, only while still holding its lease (``quiet``: a row that was
        already recorded is expected, so that is not logged as a lost lease)."""
        res = conn.execute(
            update(n)
            .where(n.c.id == row.id, n.c.lease_token == row.lease_token, n.c.state == State.SENDING.value)
            .values(state=state.value, lease_token=None, lease_until=None, updated_at=self.clock(), **values)
        )
        if not res.rowcount and not quiet:
            event(log, "notify.lease_lost", logging.WARNING, notification=row.id, job_id=row.job_id)
        return bool(res.rowcount)

    def retry_later(
        self,
        conn: Connection,
        row: Notification,
        code: str,
        message: str,
        delay: float,
        max_attempts: int,
        *,
        quiet: bool = False,
    ) -> bool:
        """Back to ``pending`` after ``delay``; ``failed`` once ``max_attempts`` sends were spent."""
        if row.attempts >= max_attempts:
            return self.finish(
                conn, row, State.FAILED, quiet=quiet, error_code=code, error_message=message[:500]
            )
        return self.finish(
            conn,
            row,
            State.PENDING,
            quiet=quiet,
            next_attempt_at=self.clock() + delay,
            error_code=code,
            error_message=message[:500],
        )

    def fail_pending_for_target(self, conn: Connection, channel: str, target_id: str, code: str) -> int:
        res = conn.execute(
            update(n)
            .where(n.c.channel == channel, n.c.target_id == target_id, n.c.state == State.PENDING.value)
            .values(state=State.SKIPPED.value, error_code=code, updated_at=self.clock())
        )
        return int(res.rowcount or 0)

    # -- receipts --------------------------------------------------------------------------------
    def due_receipts(self, limit: int) -> list[Notification]:
        q = (
            select(n)
            .where(n.c.state == State.SENT.value, n.c.receipt_due_at <= self.clock())
            .order_by(n.c.receipt_due_at)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [Notification.from_row(r) for r in conn.execute(q)]

    def set_receipt(self, conn: Connection, row_id: str, state: State | None, **values: Any) -> None:
        t = self.clock()
        extra = {"state": state.value} if state is not None else {}
        conn.execute(
            update(n)
            .where(n.c.id == row_id, n.c.state == State.SENT.value)
            .values(receipt_checked_at=t, updated_at=t, **extra, **values)
        )

    # -- reading ---------------------------------------------------------------------------------
    def history(self, job_id: str) -> list[dict[str, Any]]:
        q = select(n).where(n.c.job_id == job_id).order_by(n.c.channel, n.c.id)
        with self.engine.connect() as conn:
            rows = conn.execute(q).all()
        return [
            {
                "id": r.id,
                "channel": r.channel,
                "target_id": r.target_id,
                "event": r.event,
                "state": r.state,
                "attempts": r.attempts,
                "created_at": rfc3339(r.created_at),
                "sent_at": rfc3339(r.sent_at),
                "ticket_id": r.ticket_id,
                "receipt_checked_at": rfc3339(r.receipt_checked_at),
                "error": {"code": r.error_code, "message": r.error_message} if r.error_code else None,
            }
            for r in rows
        ]

    def counts(self) -> dict[tuple[str, str], int]:
        q = select(n.c.channel, n.c.state, func.count()).group_by(n.c.channel, n.c.state)
        with self.engine.connect() as conn:
            return {(c, s): k for c, s, k in conn.execute(q)}
