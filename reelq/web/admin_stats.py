"""What the console's admin page shows, read straight from the tables in a few grouped queries.

Queue depth and the oldest queued job, live workers and their current jobs, the last hour's
throughput and failure rate, recent failures grouped by error code, users with their usage, and the
push/webhook outbox. Read-only; the retry buttons go through ``JobService.retry``.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, func, select

from reelq.db.schema import devices, notifications, users, webhooks
from reelq.jobs import queries
from reelq.jobs.states import JobStatus

FAILURE_WINDOW = 24 * 3600
FAILURES_PER_CODE = 10


@dataclass
class Worker:
    id: str
    hostname: str
    pid: int
    heartbeat_age: float
    current: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class FailureGroup:
    code: str
    count: int
    jobs: list[dict[str, Any]]


@dataclass
class Overview:
    queued: int
    processing: int
    oldest_queued_age: float | None
    workers: list[Worker]
    unassigned: list[dict[str, Any]]
    completed_hour: int
    failed_hour: int
    failures: list[FailureGroup]
    users: list[dict[str, Any]]
    outbox: dict[str, dict[str, int]]
    outbox_failed: list[dict[str, Any]]
    disabled_devices: list[dict[str, Any]]
    disabled_webhooks: list[dict[str, Any]]
    # the last 24 hours, oldest hour first
    completed_by_hour: list[int] = field(default_factory=list)
    failed_by_hour: list[int] = field(default_factory=list)

    @property
    def failure_rate(self) -> float | None:
        done = self.completed_hour + self.failed_hour
        return self.failed_hour / done if done else None


HOURS = 24


def overview(engine: Engine, *, worker_window: float, now: float | None = None) -> Overview:
    t = time.time() if now is None else now
    with engine.connect() as conn:
        queued, oldest = queries.queue_depth(conn)
        names = {r.id: r.name for r in conn.execute(select(users.c.id, users.c.name))}
        running = [
            {
                "id": r.id,
                "user": names.get(r.user_id, "?"),
                "file_name": r.file_name,
                "progress": r.progress,
                "owner": r.lease_owner,
                "started_at": r.started_at,
            }
            for r in queries.running(conn)
        ]
        live = [
            Worker(r.id, r.hostname, r.pid, max(0.0, t - r.heartbeat_at))
            for r in queries.live_workers(conn, t - worker_window)
        ]
        finished = queries.finished_since(conn, t - 3600, (JobStatus.COMPLETED, JobStatus.FAILED))
        failed_rows = queries.failed_since(conn, t - FAILURE_WINDOW, 500)
        hours = queries.finished_by_hour(conn, t - FAILURE_WINDOW, (JobStatus.COMPLETED, JobStatus.FAILED))
        usage = queries.usage_by_user(conn, 200)
        outbox: dict[str, dict[str, int]] = defaultdict(dict)
        for channel, state, count in conn.execute(
            select(notifications.c.channel, notifications.c.state, func.count()).group_by(
                notifications.c.channel, notifications.c.state
            )
        ):
            outbox[channel][state] = int(count)
        outbox_failed = [
            dict(r._mapping)
            for r in conn.execute(
                select(
                    notifications.c.channel,
                    notifications.c.job_id,
                    notifications.c.error_code,
                    notifications.c.error_message,
                    notifications.c.updated_at,
                )
                .where(notifications.c.state == "failed")
                .order_by(notifications.c.updated_at.desc())
                .limit(10)
            )
        ]
        disabled_devices = [
            {
                "user": names.get(r.user_id, "?"),
                "platform": r.platform,
                "reason": r.disabled_reason,
                "at": r.disabled_at,
            }
            for r in conn.execute(
                select(
                    devices.c.user_id, devices.c.platform, devices.c.disabled_reason, devices.c.disabled_at
                )
                .where(devices.c.disabled_at.is_not(None))
                .order_by(devices.c.disabled_at.desc())
                .limit(20)
            )
        ]
        disabled_webhooks = [
            {"user": names.get(r.user_id, "?"), "url": r.url, "error": r.last_error, "at": r.disabled_at}
            for r in conn.execute(
                select(webhooks.c.user_id, webhooks.c.url, webhooks.c.last_error, webhooks.c.disabled_at)
                .where(webhooks.c.disabled_at.is_not(None))
                .order_by(webhooks.c.disabled_at.desc())
                .limit(20)
            )
        ]
    by_worker = {w.id: w for w in live}
    unassigned: list[dict[str, Any]] = []
    for job in running:
        w = by_worker.get(job["owner"] or "")
        (w.current if w is not None else unassigned).append(job)
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in failed_rows:
        groups[r.error_code or "unknown"].append(
            {
                "id": r.id,
                "user": names.get(r.user_id, "?"),
                "file_name": r.file_name,
                "message": r.error_message or "",
                "retryable": bool(r.error_retryable),
                "finished_at": r.finished_at,
            }
        )
    failures = sorted(
        (FailureGroup(code, len(rows), rows[:FAILURES_PER_CODE]) for code, rows in groups.items()),
        key=lambda g: -g.count,
    )
    return Overview(
        queued=int(queued),
        processing=len(running),
        oldest_queued_age=(t - oldest) if oldest is not None else None,
        workers=sorted(live, key=lambda w: w.id),
        unassigned=unassigned,
        completed_hour=int(finished.get("completed", 0)),
        failed_hour=int(finished.get("failed", 0)),
        failures=failures,
        users=usage,
        outbox=dict(outbox),
        outbox_failed=outbox_failed,
        disabled_devices=disabled_devices,
        disabled_webhooks=disabled_webhooks,
        completed_by_hour=[hours.get((h, "completed"), 0) for h in range(HOURS)],
        failed_by_hour=[hours.get((h, "failed"), 0) for h in range(HOURS)],
    )
