"""Named reads of the jobs tables (``jobs``, ``workers``) for other packages: the console's admin page,
the operators' metrics, the upload limits and the embedded worker's shutdown. ``jobs/`` is the only
package that touches these tables; everything else asks here (or the store, for one job).

Each function takes an open connection, so a caller can read several in one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, Float, Row, case, cast, func, select

from reelq.db.schema import jobs, users, workers
from reelq.jobs.states import JobStatus

ACTIVE = (JobStatus.QUEUED.value, JobStatus.PROCESSING.value)


def queue_depth(conn: Connection) -> tuple[int, float | None]:
    """(queued jobs, creation time of the oldest)."""
    count, oldest = conn.execute(
        select(func.count(), func.min(jobs.c.created_at)).where(jobs.c.status == JobStatus.QUEUED.value)
    ).one()
    return int(count), oldest


def due_queued(conn: Connection, now: float) -> int:
    return int(
        conn.execute(
            select(func.count()).where(jobs.c.status == JobStatus.QUEUED.value, jobs.c.run_at <= now)
        ).scalar_one()
    )


def running(conn: Connection) -> list[Row[Any]]:
    """Jobs being analysed: id, user_id, file_name, progress, lease_owner, started_at."""
    return list(
        conn.execute(
            select(
                jobs.c.id,
                jobs.c.user_id,
                jobs.c.file_name,
                jobs.c.progress,
                jobs.c.lease_owner,
                jobs.c.started_at,
            ).where(jobs.c.status == JobStatus.PROCESSING.value)
        )
    )


def running_on(conn: Connection, worker_id: str) -> int:
    return int(
        conn.execute(
            select(func.count()).where(
                jobs.c.status == JobStatus.PROCESSING.value, jobs.c.lease_owner == worker_id
            )
        ).scalar_one()
    )


def live_workers(conn: Connection, since: float) -> list[Row[Any]]:
    return list(conn.execute(select(workers).where(workers.c.heartbeat_at >= since)))


def live_worker_count(conn: Connection, since: float) -> int:
    return int(conn.execute(select(func.count()).where(workers.c.heartbeat_at >= since)).scalar_one())


def finished_since(conn: Connection, since: float, statuses: Iterable[JobStatus]) -> dict[str, int]:
    """How many jobs reached each of ``statuses`` since ``since``."""
    rows = conn.execute(
        select(jobs.c.status, func.count())
        .where(jobs.c.finished_at >= since, jobs.c.status.in_([s.value for s in statuses]))
        .group_by(jobs.c.status)
    ).all()
    return {str(status): int(count) for status, count in rows}


def failed_since(conn: Connection, since: float, limit: int) -> list[Row[Any]]:
    """The newest failures: id, user_id, file_name, error_code, error_message, error_retryable and
    finished_at."""
    return list(
        conn.execute(
            select(
                jobs.c.id,
                jobs.c.user_id,
                jobs.c.file_name,
                jobs.c.error_code,
                jobs.c.error_message,
                jobs.c.error_retryable,
                jobs.c.finished_at,
            )
            .where(jobs.c.status == JobStatus.FAILED.value, jobs.c.finished_at >= since)
            .order_by(jobs.c.finished_at.desc())
            .limit(limit)
        )
    )


def finished_by_hour(
    conn: Connection, since: float, statuses: Iterable[JobStatus]
) -> dict[tuple[int, str], int]:
    """How many jobs reached each of ``statuses`` in each whole hour since ``since`` (hour 0 first)."""
    hour = func.floor((jobs.c.finished_at - since) / 3600).label("h")
    rows = conn.execute(
        select(hour, jobs.c.status, func.count())
        .where(jobs.c.finished_at >= since, jobs.c.status.in_([s.value for s in statuses]))
        .group_by(hour, jobs.c.status)
    ).all()
    return {(int(h), str(status)): int(n) for h, status, n in rows}


def usage_by_user(conn: Connection, limit: int) -> list[dict[str, Any]]:
    """Per user (by name): jobs, stored bytes, active and failed jobs."""
    rows = conn.execute(
        select(
            users.c.name,
            users.c.disabled,
            func.count(jobs.c.id).label("jobs"),
            func.coalesce(func.sum(jobs.c.file_size), 0).label("bytes"),
            func.count(jobs.c.id).filter(jobs.c.status.in_(ACTIVE)).label("active"),
            func.count(jobs.c.id).filter(jobs.c.status == JobStatus.FAILED.value).label("failed"),
        )
        .select_from(users.outerjoin(jobs, jobs.c.user_id == users.c.id))
        .group_by(users.c.id, users.c.name, users.c.disabled)
        .order_by(users.c.name)
        .limit(limit)
    ).all()
    return [dict(r._mapping) for r in rows]


def status_counts(conn: Connection) -> dict[str, int]:
    rows = conn.execute(select(jobs.c.status, func.count()).group_by(jobs.c.status)).all()
    return {str(status): int(count) for status, count in rows}


def upload_bytes(conn: Connection, user_id: str | None = None) -> int:
    """Bytes of the uploads kept with jobs (of one user, or of all)."""
    q = select(func.coalesce(func.sum(jobs.c.file_size), 0))
    if user_id is not None:
        q = q.where(jobs.c.user_id == user_id)
    return int(conn.execute(q).scalar_one())


def run_seconds(
    conn: Connection, statuses: Iterable[JobStatus], buckets: Iterable[float]
) -> list[tuple[Any, ...]]:
    """Per finished status, in one grouped query: (status, jobs, total seconds from start to finish, then
    for each bound in ``buckets`` the jobs that took at most that long)."""
    duration = cast(jobs.c.finished_at - jobs.c.started_at, Float)
    cols = [func.sum(case((duration <= b, 1), else_=0)) for b in buckets]
    return [
        tuple(row)
        for row in conn.execute(
            select(jobs.c.status, func.count(), func.coalesce(func.sum(duration), 0.0), *cols)
            .where(
                jobs.c.status.in_([s.value for s in statuses]),
                jobs.c.started_at.is_not(None),
                jobs.c.finished_at.is_not(None),
            )
            .group_by(jobs.c.status)
        )
    ]


def active_count(conn: Connection, user_id: str) -> int:
    return int(
        conn.execute(
            select(func.count()).select_from(jobs).where(jobs.c.user_id == user_id, jobs.c.status.in_(ACTIVE))
        ).scalar_one()
    )


def created_count(conn: Connection, user_id: str, since: float | None = None) -> int:
    q = select(func.count()).select_from(jobs).where(jobs.c.user_id == user_id)
    if since is not None:
        q = q.where(jobs.c.created_at >= since)
    return int(conn.execute(q).scalar_one())


def job_ids_of(conn: Connection, user_id: str) -> list[str]:
    return [r.id for r in conn.execute(select(jobs.c.id).where(jobs.c.user_id == user_id))]
