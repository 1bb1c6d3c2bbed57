"""The job store: the only code that changes a job's status, always through a guarded UPDATE."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, and_, delete, func, insert, or_, select, update
from sqlalchemy.exc import DBAPIError

from reelq.db.engine import reader
from reelq.db.schema import job_events, jobs, workers
from reelq.errors import TransitionConflict
from reelq.jobs.models import Job, JobError
from reelq.jobs.prepared import CLAIM, FINISH
from reelq.jobs.states import TERMINAL, JobStatus, sources_for
from reelq.timeutil import now as _now

TerminalHook = Callable[[Connection, Job], None]
T = TypeVar("T")
_INSERT_JOB = insert(jobs)
_INSERT_EVENT = insert(job_events)


@dataclass(frozen=True)
class Lease:
    ok: bool
    cancel_requested: bool


@dataclass(frozen=True)
class Recovered:
    job_id: str
    status: JobStatus
    attempts: int


PROCESS_STARTED = time.time()  # no worker of this process started before this module was imported


class JobStore:
    """Synchronous, one transaction per method; used by the API threadpool and the workers alike."""

    def __init__(self, engine: Engine, clock: Callable[[], float] = _now) -> None:
        self.engine = engine
        self.reader = reader(engine)
        self.clock = clock
        self.terminal_hooks: list[TerminalHook] = []

    # -- reads ---------------------------------------------------------------------------------
    def get(self, job_id: str, user_id: str | None = None) -> Job | None:
        q = select(jobs).where(jobs.c.id == job_id)
        if user_id is not None:
            q = q.where(jobs.c.user_id == user_id)
        with self.reader.connect() as conn:
            row = conn.execute(q).first()
        return Job.from_row(row) if row else None

    def by_idempotency_key(self, user_id: str, key: str) -> Job | None:
        q = select(jobs).where(jobs.c.user_id == user_id, jobs.c.idempotency_key == key)
        with self.reader.connect() as conn:
            row = conn.execute(q).first()
        return Job.from_row(row) if row else None

    def list_jobs(
        self,
        user_id: str | None,
        *,
        statuses: Sequence[JobStatus] = (),
        limit: int = 20,
        before_id: str | None = None,
    ) -> list[Job]:
        """Newest first (ids are time-sortable); ``before_id`` is the keyset cursor."""
        q = select(jobs).order_by(jobs.c.id.desc()).limit(limit)
        if user_id is not None:
            q = q.where(jobs.c.user_id == user_id)
        if statuses:
            q = q.where(jobs.c.status.in_([s.value for s in statuses]))
        if before_id:
            q = q.where(jobs.c.id < before_id)
        with self.reader.connect() as conn:
            return [Job.from_row(r) for r in conn.execute(q)]

    def events(self, job_id: str) -> list[dict[str, Any]]:
        q = select(job_events).where(job_events.c.job_id == job_id).order_by(job_events.c.id)
        with self.reader.connect() as conn:
            return [
                {
                    "at": r.at,
                    "event": r.event,
                    "status": r.status,
                    "detail": json.loads(r.detail_json) if r.detail_json else None,
                }
                for r in conn.execute(q)
            ]

    def note(self, job_id: str, event: str, detail: dict[str, Any]) -> None:
        """Add an event without a status change: what an administrator needs and the user must not see."""
        with self.engine.begin() as conn:
            self._event(conn, job_id, event, None, detail)

    def count_by_status(self) -> dict[str, int]:
        q = select(jobs.c.status, func.count()).group_by(jobs.c.status)
        with self.reader.connect() as conn:
            return {status: n for status, n in conn.execute(q)}

    # -- writes --------------------------------------------------------------------------------
    def insert(self, values: dict[str, Any]) -> Job:
        """Insert a ``queued`` job. Raises ``sqlalchemy.exc.IntegrityError`` on a reused idempotency key."""
        t = self.clock()
        row = {
            "status": JobStatus.QUEUED.value,
            "attempts": 0,
            "run_at": t,
            "cancel_requested": False,
            "progress": 0.0,
            "created_at": t,
            "updated_at": t,
            **values,
        }
        row["metadata_json"] = json.dumps(row.pop("metadata", {}) or {})
        full = {c.name: None for c in jobs.columns} | row
        with self.engine.begin() as conn:
            # parameters passed apart from the statement: its compiled form is cached
            conn.execute(_INSERT_JOB, full)
            self._event(conn, row["id"], "job.enqueued", JobStatus.QUEUED)
        return Job.from_mapping(full)

    def mark_dispatched(self, job_id: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(jobs).where(jobs.c.id == job_id).values(dispatched_at=self.clock()))

    def claim(self, job_id: str, lease_token: str, owner: str, lease_seconds: float) -> Job | None:
        """queued → processing if due. None: someone else has it, it was cancelled, or it is not due yet."""
        t = self.clock()
        params = {"b_id": job_id, "b_now": t, "b_lease": lease_token, "b_owner": owner}
        params["b_expires"] = t + lease_seconds

        def attempt(again: bool) -> Any:
            with self.engine.begin() as conn:
                row = CLAIM.run(conn, params, {"owner": owner})
                if row is None and again:  # the first try's commit went through before the line broke
                    q = select(jobs).where(jobs.c.id == job_id, jobs.c.lease_token == lease_token)
                    row = conn.execute(q).first()
                return row

        row = _once_more_if_disconnected(attempt)
        return None if row is None else Job.from_row(row)

    def heartbeat(
        self, job_id: str, lease_token: str, lease_seconds: float, progress: float | None = None
    ) -> Lease:
        t = self.clock()
        values: dict[str, Any] = {"lease_expires_at": t + lease_seconds}
        if progress is not None:
            values["progress"] = progress
            values["updated_at"] = t
        with self.engine.begin() as conn:
            res = conn.execute(
                update(jobs)
                .where(
                    jobs.c.id == job_id,
                    jobs.c.lease_token == lease_token,
                    jobs.c.status == JobStatus.PROCESSING.value,
                )
                .values(**values)
                .returning(jobs.c.cancel_requested)
            ).first()
        if res is None:
            return Lease(ok=False, cancel_requested=False)
        return Lease(ok=True, cancel_requested=bool(res[0]))

    def finish(
        self,
        job_id: str,
        lease_token: str,
        status: JobStatus,
        *,
        result: dict[str, Any] | None = None,
        error: JobError | None = None,
    ) -> Job:
        """processing → completed/failed/cancelled, only with the lease; else TransitionConflict."""
        params = {
            "b_id": job_id,
            "b_now": self.clock(),
            "b_lease": lease_token,
            "b_result": json.dumps(result) if result is not None else None,
            **{f"b_{k}": v for k, v in _error_values(error).items()},
        }

        def attempt(again: bool) -> Job:
            with self.engine.begin() as conn:
                row = FINISH[status].run(conn, params, {"error": error.code} if error else None)
                if row is None:  # on a second try: the first commit went through, or the lease was lost
                    raise TransitionConflict(f"job {job_id}: lease lost before {status.value}")
                job = Job.from_row(row)
                self._run_terminal_hooks(conn, job)
                return job

        return _once_more_if_disconnected(attempt)

    def reschedule(self, job_id: str, lease_token: str, run_at: float, error: JobError) -> bool:
        """processing → queued after a transient error, to run again at ``run_at``."""
        with self.engine.begin() as conn:
            return self._transition(
                conn,
                job_id,
                JobStatus.QUEUED,
                where=[jobs.c.lease_token == lease_token],
                values={
                    "run_at": run_at,
                    "lease_token": None,
                    "lease_expires_at": None,
                    "dispatched_at": None,
                    **_error_values(error),
                },
                detail={"error": error.code, "run_at": run_at},
                event="job.retry_scheduled",
                from_statuses=[JobStatus.PROCESSING],
            )

    def release(self, job_id: str, lease_token: str) -> bool:
        """Hand a lease back on shutdown: the attempt does not count, another worker may claim at once."""
        with self.engine.begin() as conn:
            return self._transition(
                conn,
                job_id,
                JobStatus.QUEUED,
                where=[jobs.c.lease_token == lease_token],
                values={
                    "run_at": self.clock(),
                    "lease_token": None,
                    "lease_expires_at": None,
                    "dispatched_at": None,
                    "attempts": jobs.c.attempts - 1,
                },
                event="job.released",
                from_statuses=[JobStatus.PROCESSING],
            )

    def cancel(self, job_id: str) -> JobStatus:
        """A queued job is cancelled at once; a running one is flagged and its worker kills the child."""
        with self.engine.begin() as conn:
            if self._transition(
                conn,
                job_id,
                JobStatus.CANCELLED,
                values={"finished_at": self.clock()},
                event="job.cancelled",
                from_statuses=[JobStatus.QUEUED],
            ):
                job = Job.from_row(conn.execute(select(jobs).where(jobs.c.id == job_id)).one())
                self._run_terminal_hooks(conn, job)
                return JobStatus.CANCELLED
            res = conn.execute(
                update(jobs)
                .where(jobs.c.id == job_id, jobs.c.status == JobStatus.PROCESSING.value)
                .values(cancel_requested=True, updated_at=self.clock())
            )
            if res.rowcount:
                self._event(conn, job_id, "job.cancel_requested", JobStatus.PROCESSING)
                return JobStatus.PROCESSING
        raise TransitionConflict(f"job {job_id} has finished", code="job_finished")

    def retry(self, job_id: str) -> None:
        """failed/cancelled → queued with a fresh attempt budget."""
        with self.engine.begin() as conn:
            ok = self._transition(
                conn,
                job_id,
                JobStatus.QUEUED,
                values={
                    "attempts": 0,
                    "run_at": self.clock(),
                    "cancel_requested": False,
                    "progress": 0.0,
                    "started_at": None,
                    "finished_at": None,
                    "dispatched_at": None,
                    "result_json": None,
                    **_error_values(None),
                },
                event="job.retried",
                from_statuses=[JobStatus.FAILED, JobStatus.CANCELLED],
            )
        if not ok:
            raise TransitionConflict(
                f"job {job_id} can only be retried when failed or cancelled", code="job_not_retryable"
            )

    def delete(self, job_id: str, *, only_finished: bool = False) -> bool:
        where = [jobs.c.id == job_id]
        if only_finished:
            where.append(jobs.c.status.in_([s.value for s in TERMINAL]))
        with self.engine.begin() as conn:
            if not conn.execute(delete(jobs).where(*where)).rowcount:
                return False
            conn.execute(delete(job_events).where(job_events.c.job_id == job_id))
            return True

    # -- recovery (the reaper) -----------------------------------------------------------------
    def recover_expired(self) -> list[Recovered]:
        """processing jobs whose lease expired go back to queued, or fail with worker_lost when spent."""
        t = self.clock()
        out: list[Recovered] = []
        with self.engine.begin() as conn:
            rows = conn.execute(
                select(
                    jobs.c.id,
                    jobs.c.attempts,
                    jobs.c.max_attempts,
                    jobs.c.lease_token,
                    jobs.c.cancel_requested,
                ).where(jobs.c.status == JobStatus.PROCESSING.value, jobs.c.lease_expires_at < t)
            ).all()
            for job_id, attempts, max_attempts, token, cancel_requested in rows:
                guard = [jobs.c.lease_token == token, jobs.c.lease_expires_at < t]
                values: dict[str, Any]
                if cancel_requested:
                    target, values = JobStatus.CANCELLED, {"finished_at": t}
                elif attempts >= max_attempts:
                    target = JobStatus.FAILED
                    values = {
                        "finished_at": t,
                        **_error_values(
                            JobError("worker_lost", "The worker running this job stopped responding.", True)
                        ),
                    }
                else:
                    target = JobStatus.QUEUED
                    values = {"run_at": t, "dispatched_at": None}
                values |= {"lease_token": None, "lease_expires_at": None}
                if self._transition(
                    conn,
                    job_id,
                    target,
                    where=guard,
                    values=values,
                    event="job.recovered",
                    detail={"to": target.value},
                    from_statuses=[JobStatus.PROCESSING],
                ):
                    if target.terminal:
                        self._run_terminal_hooks(
                            conn, Job.from_row(conn.execute(select(jobs).where(jobs.c.id == job_id)).one())
                        )
                    out.append(Recovered(job_id, target, attempts))
        return out

    def due_for_dispatch(self, stale_seconds: float, limit: int = 500) -> list[str]:
        """Queued, due jobs whose message may have been lost: never sent, or sent long enough ago.

        "Long enough" grows with the job's wait: a job that waits behind a backlog has its message
        in the queue, and re-sending it every ``stale_seconds`` would pile up duplicates. So a job is
        re-sent once ``stale_seconds`` have passed *and* the time since its last send exceeds its age
        at that send (the spacing doubles), or ten times ``stale_seconds`` have passed (the cap).
        """
        t = self.clock()
        sent = jobs.c.dispatched_at
        q = (
            select(jobs.c.id)
            .where(
                jobs.c.status == JobStatus.QUEUED.value,
                jobs.c.run_at <= t,
                or_(
                    sent.is_(None),
                    and_(
                        sent < t - stale_seconds,
                        or_(sent - jobs.c.created_at < t - sent, sent < t - 10 * stale_seconds),
                    ),
                ),
            )
            .order_by(jobs.c.id)
            .limit(limit)
        )
        with self.reader.connect() as conn:
            return [r[0] for r in conn.execute(q)]

    def finished_before(self, before: float, limit: int = 200) -> list[tuple[str, str]]:
        """(job id, user id) of terminal jobs that finished before ``before``, oldest first."""
        q = (
            select(jobs.c.id, jobs.c.user_id)
            .where(jobs.c.status.in_([s.value for s in TERMINAL]), jobs.c.finished_at < before)
            .order_by(jobs.c.finished_at)
            .limit(limit)
        )
        with self.reader.connect() as conn:
            return [(r[0], r[1]) for r in conn.execute(q)]

    # -- workers --------------------------------------------------------------------------------
    def touch_worker(
        self,
        worker_id: str,
        hostname: str,
        pid: int,
        started_at: float,
        analyzers: Iterable[str] | None = None,
    ) -> None:
        """Record that a worker is alive (``analyzers``: the ones it runs; None: every one)."""
        t = self.clock()
        served = json.dumps(sorted(analyzers)) if analyzers is not None else None
        with self.engine.begin() as conn:
            res = conn.execute(update(workers).where(workers.c.id == worker_id).values(heartbeat_at=t))
            if not res.rowcount:
                conn.execute(
                    insert(workers).values(
                        id=worker_id,
                        hostname=hostname,
                        pid=pid,
                        started_at=started_at,
                        heartbeat_at=t,
                        analyzers=served,
                    )
                )
            conn.execute(delete(workers).where(workers.c.heartbeat_at < t - 86400))

    def expire_dead_workers(
        self, me: str, hostname: str, pid_alive: Callable[[int], bool], dead_after: float
    ) -> list[str]:
        """Declare workers dead and end the leases of their running jobs now; returns their ids.

        Dead: on this host with no process under its pid (or under my own pid, which a restart in a
        fresh PID namespace reuses), or anywhere with no heartbeat for ``dead_after`` seconds. The
        jobs are then taken by ``recover_expired``. A worker that was only slow loses nothing it could
        still finish correctly: its next job heartbeat either renews the lease before the recovery, or
        fails, and its late finish is refused by the lease token either way.
        """
        t = self.clock()
        own_pid = os.getpid()
        dead: list[str] = []
        with self.engine.begin() as conn:
            rows = conn.execute(
                select(
                    workers.c.id,
                    workers.c.hostname,
                    workers.c.pid,
                    workers.c.started_at,
                    workers.c.heartbeat_at,
                ).where(workers.c.id != me)
            ).all()
            for worker_id, host, pid, started, beat in rows:
                # my own pid in an older row: a process that ended before mine began (a restart in a fresh
                # PID namespace); a newer row with my pid is another worker in this very process
                reused = pid == own_pid and started < PROCESS_STARTED
                gone = host == hostname and (reused or (pid != own_pid and not pid_alive(pid)))
                if not gone and beat >= t - dead_after:
                    continue
                conn.execute(
                    update(jobs)
                    .where(
                        jobs.c.status == JobStatus.PROCESSING.value,
                        jobs.c.lease_owner == worker_id,
                        jobs.c.lease_expires_at >= t,
                    )
                    .values(lease_expires_at=t - 0.001)
                )
                # guarded: a worker that came back meanwhile keeps its row
                conn.execute(delete(workers).where(workers.c.id == worker_id, workers.c.heartbeat_at == beat))
                dead.append(worker_id)
        return dead

    def forget_worker(self, worker_id: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(workers).where(workers.c.id == worker_id))

    def live_workers(self, within_seconds: float) -> list[dict[str, Any]]:
        t = self.clock()
        q = select(workers).where(workers.c.heartbeat_at >= t - within_seconds)
        with self.reader.connect() as conn:
            rows = [dict(r._mapping) for r in conn.execute(q)]
        for row in rows:  # the analyzers it runs, a list; None: every one (an older worker)
            row["analyzers"] = json.loads(row["analyzers"]) if row.get("analyzers") else None
        return rows

    def analyzer_of(self, job_id: str) -> str | None:
        """The analyzer a job asked for (None: no such job); what its dispatch is routed by."""
        with self.reader.connect() as conn:
            return conn.execute(select(jobs.c.analyzer).where(jobs.c.id == job_id)).scalar_one_or_none()

    # -- internals -----------------------------------------------------------------------------
    def _transition(
        self,
        conn: Connection,
        job_id: str,
        target: JobStatus,
        *,
        where: Iterable[Any] = (),
        values: dict[str, Any] | None = None,
        event: str,
        detail: dict[str, Any] | None = None,
        from_statuses: Iterable[JobStatus] | None = None,
    ) -> bool:
        """One ``UPDATE`` that happens only from ``from_statuses`` and where ``where`` holds, plus its event.

        Whether it happened. (The transitions every job takes are built once: ``reelq.jobs.prepared``.)
        """
        sources = sources_for(target, from_statuses)
        stmt = (
            update(jobs)
            .where(and_(jobs.c.id == job_id, jobs.c.status.in_([s.value for s in sources]), *where))
            .values(status=target.value, updated_at=self.clock(), **(values or {}))
        )
        if conn.execute(stmt).rowcount != 1:
            return False
        self._event(conn, job_id, event, target, detail)
        return True

    def _event(
        self,
        conn: Connection,
        job_id: str,
        event: str,
        status: JobStatus | None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        conn.execute(
            _INSERT_EVENT,
            dict(
                job_id=job_id,
                at=self.clock(),
                event=event,
                status=status.value if status else None,
                detail_json=json.dumps(detail) if detail else None,
            ),
        )

    def _run_terminal_hooks(self, conn: Connection, job: Job) -> None:
        for hook in self.terminal_hooks:
            hook(conn, job)


def _once_more_if_disconnected(attempt: Callable[[bool], T]) -> T:
    """``attempt(again=False)``, one transaction; once more (``again=True``) on a new connection when the
    pooled one turned out dead (see ``reelq.db.engine``: connections in use a moment ago are not pinged)."""
    try:
        return attempt(False)
    except DBAPIError as exc:
        if not exc.connection_invalidated:
            raise
    return attempt(True)


def _error_values(error: JobError | None) -> dict[str, Any]:
    if error is None:
        return {"error_code": None, "error_message": None, "error_retryable": None}
    return {"error_code": error.code, "error_message": error.message, "error_retryable": error.retryable}
