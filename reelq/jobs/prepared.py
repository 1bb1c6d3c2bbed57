"""Guarded transitions built once: the statements every job runs (claim, finish), ready to execute.

A statement object built per call costs more CPU than its round trip: SQLAlchemy builds the clauses, then
walks them for the cache key of its compiled form. Built once with bound parameters, the statement keeps
its cache key and compiled form, and only the parameters change.

On PostgreSQL the job's event is written by the same statement (a data-modifying ``WITH``): one round trip
instead of two. Elsewhere the event is a second statement in the same transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Boolean, Connection, Float, String, Text, bindparam, insert, literal, select, update
from sqlalchemy.sql import ColumnElement

from reelq.db.schema import job_events, jobs
from reelq.jobs.states import JobStatus, sources_for

_EVENT_COLUMNS = ["job_id", "at", "event", "status", "detail_json"]


class PreparedTransition:
    """``UPDATE jobs … WHERE id = :b_id AND status IN (sources) AND <where> … RETURNING *`` and its event.

    ``where`` and ``values`` may use ``bindparam("b_…")``; ``b_id`` and ``b_now`` (the update time and the
    event's time) are always bound. Parameter names start with ``b_``: SQLAlchemy keeps column names for
    the values it binds itself.
    """

    def __init__(
        self,
        target: JobStatus,
        sources: Iterable[JobStatus],
        *,
        event: str,
        where: Iterable[ColumnElement[bool]] = (),
        values: Mapping[str, Any] | None = None,
    ) -> None:
        sources = sources_for(target, sources)
        self.target = target
        self.event = event
        self.update = (
            update(jobs)
            .where(
                jobs.c.id == bindparam("b_id", type_=String),
                jobs.c.status.in_(sorted(s.value for s in sources)),
                *where,
            )
            .values(status=target.value, updated_at=bindparam("b_now", type_=Float), **(values or {}))
        )
        self.returning = self.update.returning(*jobs.c)
        moved = self.returning.cte("moved")
        noted = insert(job_events).from_select(
            _EVENT_COLUMNS,
            select(
                moved.c.id,
                bindparam("b_now", type_=Float),
                literal(event, String),
                literal(target.value, String),
                bindparam("b_detail", type_=Text),
            ),
        )
        self.with_event = select(*moved.c).add_cte(noted.cte("noted"))
        self.insert_event = insert(job_events).values(
            job_id=bindparam("b_id", type_=String),
            at=bindparam("b_now", type_=Float),
            event=event,
            status=target.value,
            detail_json=bindparam("b_detail", type_=Text),
        )

    def run(self, conn: Connection, params: dict[str, Any], detail: dict[str, Any] | None = None) -> Any:
        """The updated row (its event written), or None when the guard did not hold."""
        params["b_detail"] = json.dumps(detail) if detail else None
        dialect = conn.dialect
        if dialect.name == "postgresql":
            return conn.execute(self.with_event, params).first()
        if dialect.update_returning:
            row = conn.execute(self.returning, params).first()
        elif conn.execute(self.update, params).rowcount == 1:  # SQLite before 3.35
            row = conn.execute(select(jobs).where(jobs.c.id == params["b_id"])).one()
        else:
            row = None
        if row is not None:
            conn.execute(self.insert_event, params)
        return row


CLAIM = PreparedTransition(
    JobStatus.PROCESSING,
    [JobStatus.QUEUED],
    event="job.claimed",
    where=[jobs.c.run_at <= bindparam("b_now", type_=Float), jobs.c.cancel_requested.is_(False)],
    values={
        "lease_token": bindparam("b_lease", type_=String),
        "lease_owner": bindparam("b_owner", type_=String),
        "lease_expires_at": bindparam("b_expires", type_=Float),
        "attempts": jobs.c.attempts + 1,
        "started_at": bindparam("b_now", type_=Float),
        "progress": 0.0,
    },
)


def _finish(status: JobStatus) -> PreparedTransition:
    values: dict[str, Any] = {
        "finished_at": bindparam("b_now", type_=Float),
        "lease_token": None,
        "lease_expires_at": None,
        "result_json": bindparam("b_result", type_=Text),
        "error_code": bindparam("b_error_code", type_=String),
        "error_message": bindparam("b_error_message", type_=Text),
        "error_retryable": bindparam("b_error_retryable", type_=Boolean),
    }
    if status is JobStatus.COMPLETED:
        values["progress"] = 1.0
    return PreparedTransition(
        status,
        [JobStatus.PROCESSING],
        event=f"job.{status.value}",
        where=[jobs.c.lease_token == bindparam("b_lease", type_=String)],
        values=values,
    )


FINISH = {s: _finish(s) for s in (JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED)}
