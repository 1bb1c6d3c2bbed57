"""``execute(job_id, deps)``: the whole life of one attempt, called by the queue task and by tests."""

from __future__ import annotations

import logging
import os
import random
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reelq.analysis.registry import available
from reelq.errors import TransitionConflict
from reelq.files import Layout
from reelq.ids import new_id
from reelq.jobs.models import Job, JobError
from reelq.jobs.states import JobStatus
from reelq.jobs.store import JobStore
from reelq.logs import event
from reelq.storage.local import LocalStorage
from reelq.storage.port import Storage
from reelq.worker.child import UNKNOWN_ANALYZER
from reelq.worker.env import child_env
from reelq.worker.outcome import MAX_RESULT_BYTES, TIME_LIMIT, Failure, outcome_of
from reelq.worker.pool import ChildPool, Outcome, WarmChild

log = logging.getLogger("reelq.worker")

CHECK_SECONDS = 0.5  # how often the parent looks at the child, the clock and the cancel flag


@dataclass
class WorkerConfig:
    lease_seconds: float = 60.0
    heartbeat_seconds: float = 10.0
    job_time_limit: float = 1800.0
    memory_limit_mb: int = 0
    retry_base_seconds: float = 30.0
    shutdown_grace_seconds: float = 30.0
    child_max_jobs: int = 1000  # a warm analysis process is replaced after this many jobs
    child_max_memory_mb: int = 1024  # ... or once it has grown past this (RSS after a job; 0: no limit)
    # the analyzers uploads may name (see analysis/registry.py); a job for anything else fails
    analyzers: frozenset[str] = field(default_factory=lambda: frozenset(available()))
    # the ones this worker runs (None: all of ``analyzers``); a job for another is handed back to its queue
    served: frozenset[str] | None = None
    # per analyzer: (time limit s, memory limit MiB), each None for the defaults above
    limits: dict[str, tuple[float | None, int | None]] = field(default_factory=dict)

    def time_limit(self, analyzer: str) -> float:
        own = self.limits.get(analyzer, (None, None))[0]
        return self.job_time_limit if own is None else own

    def memory_limit(self, analyzer: str) -> int:
        own = self.limits.get(analyzer, (None, None))[1]
        return self.memory_limit_mb if own is None else own

    # a bigger result.json fails the job (``result_too_large``): results are stored, cached and served whole
    max_result_bytes: int = MAX_RESULT_BYTES


@dataclass
class WorkerDeps:
    store: JobStore
    layout: Layout
    config: WorkerConfig
    worker_id: str
    dispatch: Callable[[str, float], None]
    stopping: threading.Event = field(default_factory=threading.Event)
    after_finish: list[Callable[[Job], None]] = field(default_factory=list)
    storage: Storage | None = None  # where sources and artifacts live; the data dir when None
    pool: ChildPool = field(init=False)

    def __post_init__(self) -> None:
        if self.storage is None:
            self.storage = LocalStorage(self.layout)
        cfg = self.config
        self.pool = ChildPool(child_env(), max_jobs=cfg.child_max_jobs, max_rss_mb=cfg.child_max_memory_mb)


def backoff_seconds(attempt: int, base: float) -> float:
    """Exponential backoff with full jitter around the nominal delay (0.5x to 1.5x)."""
    return float(base * (2 ** max(0, attempt - 1)) * random.uniform(0.5, 1.5))


def execute(job_id: str, deps: WorkerDeps) -> str:
    """Run one attempt of ``job_id``. Returns what happened (for tests and logs)."""
    lease = new_id()
    cfg = deps.config
    if deps.stopping.is_set():
        # A delivery that reached a worker on its way out: put it back for another worker.
        deps.dispatch(job_id, 0.0)
        return "deferred"
    job = deps.store.claim(job_id, lease, deps.worker_id, cfg.lease_seconds)
    if job is None:
        log.debug("job.skipped", extra={"job_id": job_id})
        return "skipped"
    fields: dict[str, Any] = {
        "job_id": job.id,
        "user_id": job.user_id,
        "file": job.file_name,
        "attempt": job.attempts,
    }
    event(log, "job.claimed", worker=deps.worker_id, analyzer=job.analyzer, **fields)

    # Named after the lease too: a released attempt does not count, so the next claim has the same number,
    # and the worker that let go must not clear the next one's directory while it tidies up.
    assert deps.storage is not None
    work_dir = deps.storage.work_dir(job.user_id, job.id, f"attempt-{job.attempts}-{lease[-8:]}")
    try:
        work_dir.mkdir(parents=True)
    except FileExistsError:  # a lease is random: only a leftover of an earlier life of this very lease
        shutil.rmtree(work_dir, ignore_errors=True)
        work_dir.mkdir(parents=True)
    try:
        return _run(job, lease, work_dir, deps, fields)
    finally:
        _remove_dir(work_dir)


def _remove_dir(path: Path) -> None:
    """``rmtree``, with a fast way for the usual case: a few files and no subdirectory."""
    try:
        with os.scandir(path) as entries:
            for entry in entries:
                os.unlink(entry.path)  # a subdirectory raises: rmtree below
        os.rmdir(path)
    except OSError:
        shutil.rmtree(path, ignore_errors=True)


def _run(job: Job, lease: str, work_dir: Path, deps: WorkerDeps, fields: dict[str, Any]) -> str:
    cfg = deps.config
    if job.analyzer not in cfg.analyzers:
        event(log, "job.analyzer_refused", logging.WARNING, analyzer=job.analyzer[:64], **fields)
        err = JobError("unknown_analyzer", UNKNOWN_ANALYZER, False)
        _finish(deps, job, lease, JobStatus.FAILED, fields, error=err)
        return "failed"
    if cfg.served is not None and job.analyzer not in cfg.served:
        # not this worker's analyzer (a message routed by an older version): to its own queue
        if deps.store.release(job.id, lease):
            deps.dispatch(job.id, 0.0)
        event(log, "job.rerouted", analyzer=job.analyzer[:64], **fields)
        return "rerouted"
    time_limit, memory_limit_mb = cfg.time_limit(job.analyzer), cfg.memory_limit(job.analyzer)
    source = _fetch_source(job, lease, work_dir, deps, fields)
    if source is None:
        return "released"
    assert deps.storage is not None
    spec = {
        "job_id": job.id,
        "analyzer": job.analyzer,
        "source": str(source),
        "artifacts": str(deps.storage.artifacts_dir(job.user_id, job.id, work_dir)),
        "work_dir": str(work_dir),
        "memory_limit_mb": memory_limit_mb,
        "allowed": sorted(cfg.analyzers),
    }
    child = _start(deps.pool, memory_limit_mb, spec)
    outcome: Outcome | None = None
    started = time.monotonic()
    last_beat = started
    written_progress = 0.0
    logged_step = 0
    stop_deadline: float | None = None
    try:
        while (outcome := child.wait(CHECK_SECONDS)) is None:
            t = time.monotonic()
            progress = child.progress
            changed = progress != written_progress and t - last_beat >= 1.0
            if changed or t - last_beat >= min(cfg.heartbeat_seconds, 1.0):
                state = deps.store.heartbeat(
                    job.id, lease, cfg.lease_seconds, progress if progress != written_progress else None
                )
                last_beat, written_progress = t, progress
                if not state.ok:
                    child.kill()
                    event(log, "job.lease_lost", logging.WARNING, **fields)
                    return "lease_lost"
                if state.cancel_requested:
                    child.kill()
                    _finish(deps, job, lease, JobStatus.CANCELLED, fields)
                    return "cancelled"
                if int(progress * 10) > logged_step:
                    logged_step = int(progress * 10)
                    event(log, "job.progress", progress=round(progress, 3), **fields)
            if t - started > time_limit:
                child.kill()
                err = JobError("time_limit_exceeded", TIME_LIMIT.format(seconds=time_limit), False)
                _finish(deps, job, lease, JobStatus.FAILED, fields, error=err)
                return "failed"
            if deps.stopping.is_set():
                stop_deadline = stop_deadline or t + cfg.shutdown_grace_seconds
                if t >= stop_deadline:
                    child.kill()
                    if deps.store.release(job.id, lease):
                        deps.dispatch(job.id, 0.0)  # another worker takes it now, not at the next reap
                    event(log, "job.released", **fields)
                    return "released"
    finally:
        deps.pool.release(child, outcome)  # killed unless the job ended normally
    assert outcome is not None
    return _settle(job, lease, work_dir, outcome.code, deps, fields)


def _fetch_source(
    job: Job, lease: str, work_dir: Path, deps: WorkerDeps, fields: dict[str, Any]
) -> Path | None:
    """The source as a local file (a copy in ``work_dir`` when it lives in a bucket), or None when the
    store did not answer: the attempt is released and the job sent again after the retry delay."""
    assert deps.storage is not None
    started = time.monotonic()
    try:
        path = deps.storage.fetch_source(job.source_path, work_dir)
    except Exception:
        log.exception("job.source_unavailable", extra=fields)
        _release_for_later(job, lease, deps, fields)
        return None
    if deps.storage.kind != "local":
        event(log, "job.source_fetched", seconds=round(time.monotonic() - started, 3), **fields)
    return path


def _publish_artifacts(
    job: Job, lease: str, work_dir: Path, deps: WorkerDeps, fields: dict[str, Any]
) -> bool:
    """Store the artifacts before the job says completed, so its result never names a missing file."""
    assert deps.storage is not None
    try:
        deps.storage.publish_artifacts(
            job.user_id, job.id, deps.storage.artifacts_dir(job.user_id, job.id, work_dir)
        )
    except Exception:
        log.exception("job.artifacts_unstored", extra=fields)
        _release_for_later(job, lease, deps, fields)
        return False
    return True


def _release_for_later(job: Job, lease: str, deps: WorkerDeps, fields: dict[str, Any]) -> None:
    if deps.store.release(job.id, lease):
        deps.dispatch(job.id, deps.config.retry_base_seconds)
    event(log, "job.released", logging.WARNING, reason="storage", **fields)


def _start(pool: ChildPool, memory_limit_mb: int, spec: dict[str, Any]) -> WarmChild:
    """A warm process with the job handed to it (a process that went away meanwhile is replaced once)."""
    child = pool.acquire(memory_limit_mb)
    try:
        child.start(spec)
    except OSError:
        child.kill()
        child = WarmChild(memory_limit_mb, pool.env)
        child.start(spec)
    return child


def _settle(
    job: Job, lease: str, work_dir: Path, returncode: int, deps: WorkerDeps, fields: dict[str, Any]
) -> str:
    found = outcome_of(work_dir, returncode, deps.config.max_result_bytes)
    if not isinstance(found, Failure):
        if not _publish_artifacts(job, lease, work_dir, deps, fields):
            return "released"
        _finish(deps, job, lease, JobStatus.COMPLETED, fields, result=found)
        return "completed"
    error, detail = JobError(found.code, found.message, found.retryable), found.detail
    if detail:
        _record_detail(deps, job, error, detail, fields)

    if error.retryable and job.attempts < job.max_attempts:
        delay = backoff_seconds(job.attempts, deps.config.retry_base_seconds)
        if deps.store.reschedule(job.id, lease, time.time() + delay, error):
            event(log, "job.retry_scheduled", delay=round(delay, 1), error=error.code, **fields)
            deps.dispatch(job.id, delay)
            return "retry_scheduled"
        event(log, "job.lease_lost", logging.WARNING, **fields)
        return "lease_lost"
    _finish(deps, job, lease, JobStatus.FAILED, fields, error=error)
    return "failed"


def _record_detail(
    deps: WorkerDeps, job: Job, error: JobError, detail: dict[str, Any], fields: dict[str, Any]
) -> None:
    """Why the attempt failed, in full: for the server log and the job's events, never for the user."""
    note = {"error": error.code, "attempt": job.attempts, **detail}
    event(
        log,
        "job.attempt_failed",
        logging.WARNING,
        error=error.code,
        exception=detail.get("exception"),
        exception_text=detail.get("text"),
        **{k: v for k, v in detail.items() if k not in ("exception", "text", "traceback")},
        **fields,
    )
    try:
        deps.store.note(job.id, "job.attempt_failed", note)
    except Exception:  # the record is for humans; it must not change the job's outcome
        log.exception("job.note_failed", extra={"job_id": job.id})


def _finish(
    deps: WorkerDeps,
    job: Job,
    lease: str,
    status: JobStatus,
    fields: dict[str, Any],
    *,
    result: dict[str, Any] | None = None,
    error: JobError | None = None,
) -> None:
    try:
        done = deps.store.finish(job.id, lease, status, result=result, error=error)
    except TransitionConflict:
        event(log, "job.lease_lost", logging.WARNING, **fields)
        return
    level = logging.WARNING if status is JobStatus.FAILED else logging.INFO
    extra = {"error": error.code, "reason": error.message} if error else {}
    elapsed = (done.finished_at or 0) - (done.started_at or 0)
    event(log, f"job.{status.value}", level, seconds=round(elapsed, 3), **extra, **fields)
    for hook in deps.after_finish:
        hook(done)
