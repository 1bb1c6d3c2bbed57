"""Claim, lease and reaper on both deployments: SQLite + Huey-SQLite, PostgreSQL + Redis.

Each test runs real worker runtimes (consumer threads, analysis child processes) against the backend."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from unit.jobs.test_store import new_job

from reelq.config import Settings
from reelq.db.schema import job_events
from reelq.jobs.states import JobStatus
from reelq.queue.reaper import reap_once
from reelq.runtime import Runtime

pytestmark = pytest.mark.integration

NOOP = "reelq.testing.analyzers:noop"
SLOW = "reelq.testing.analyzers:slow"


@pytest.fixture
def nodes(backend_settings: Settings) -> Iterator[Callable[..., Runtime]]:
    """Extra runtimes on the same backend: other machines' `reelq worker` processes, in threads."""
    built: list[Runtime] = []

    def build(**overrides: object) -> Runtime:
        rt = Runtime.build(backend_settings.model_copy(update=overrides))
        built.append(rt)
        return rt

    yield build
    for rt in built:
        rt.stop_worker(0.0)
        rt.close()


@pytest.fixture
def user_id(backend_runtime: Runtime) -> str:
    return backend_runtime.users.create("alice")[0].id


def wait_status(rt: Runtime, job_id: str, status: JobStatus, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = rt.store.get(job_id)
        if job is not None and job.status is status:
            return
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} is {rt.store.get(job_id)}, not {status.value}")


def wait_progress(rt: Runtime, job_id: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while (job := rt.store.get(job_id)) is None or job.progress <= 0:
        assert time.monotonic() < deadline, "the analysis never reported progress"
        time.sleep(0.05)


def owners(rt: Runtime, job_id: str) -> list[str]:
    """Who claimed the job, attempt by attempt."""
    return [e["detail"]["owner"] for e in rt.store.events(job_id) if e["event"] == "job.claimed"]


def slow_job(rt: Runtime, user_id: str, clip: Path) -> str:
    job_id = new_job(rt.store, user_id, analyzer=SLOW)
    job = rt.store.get(job_id)
    assert job is not None
    source = rt.layout.absolute(job.source_path)
    source.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(clip, source)
    return job_id


def count_events(rt: Runtime, job_id: str, name: str) -> int:
    with rt.engine.connect() as conn:
        q = select(func.count()).where(job_events.c.job_id == job_id, job_events.c.event == name)
        return int(conn.execute(q).scalar_one())


def test_submitted_jobs_complete_on_another_node(
    backend_runtime: Runtime,
    nodes: Callable[..., Runtime],
    user_id: str,
) -> None:
    worker = nodes()
    worker.start_worker(2, embedded=True)
    ids = [new_job(backend_runtime.store, user_id, analyzer=NOOP) for _ in range(6)]
    for job_id in ids:
        backend_runtime.dispatcher.send(job_id)
    for job_id in ids:
        wait_status(backend_runtime, job_id, JobStatus.COMPLETED)
        job = backend_runtime.store.get(job_id)
        assert job is not None and job.result == {"ok": True} and job.attempts == 1
        assert owners(backend_runtime, job_id) == [worker.worker_id]


def test_duplicate_deliveries_run_the_job_once(
    backend_runtime: Runtime,
    nodes: Callable[..., Runtime],
    user_id: str,
) -> None:
    for _ in range(2):
        nodes().start_worker(3, embedded=True)
    job_id = new_job(backend_runtime.store, user_id, analyzer=NOOP)
    for _ in range(8):
        backend_runtime.dispatcher.send(job_id)
    wait_status(backend_runtime, job_id, JobStatus.COMPLETED)
    time.sleep(1.0)  # let every duplicate delivery arrive and be dropped
    assert count_events(backend_runtime, job_id, "job.claimed") == 1
    assert count_events(backend_runtime, job_id, "job.completed") == 1


def test_a_lost_dispatch_is_sent_again_by_the_reaper(
    backend_runtime: Runtime,
    nodes: Callable[..., Runtime],
    user_id: str,
) -> None:
    job_id = new_job(backend_runtime.store, user_id, analyzer=NOOP)  # committed, never sent
    nodes().start_worker(1, embedded=True)
    wait_status(backend_runtime, job_id, JobStatus.COMPLETED, timeout=15)
    assert count_events(backend_runtime, job_id, "job.claimed") == 1


def test_a_dead_workers_job_is_recovered_and_finished_elsewhere(
    backend_runtime: Runtime,
    nodes: Callable[..., Runtime],
    user_id: str,
) -> None:
    job_id = new_job(backend_runtime.store, user_id, analyzer=NOOP)
    # a worker claims it and dies without a word (kill -9): no heartbeat, no finish
    assert backend_runtime.store.claim(job_id, "ghost-lease", "dead-host:1", 1.0)
    nodes().start_worker(1, embedded=True)
    wait_status(backend_runtime, job_id, JobStatus.COMPLETED, timeout=20)
    job = backend_runtime.store.get(job_id)
    assert job is not None and job.attempts == 2
    assert count_events(backend_runtime, job_id, "job.recovered") == 1


def test_graceful_stop_hands_the_lease_back_to_another_worker(
    backend_runtime: Runtime,
    nodes: Callable[..., Runtime],
    user_id: str,
    monkeypatch: pytest.MonkeyPatch,
    clip: Path,
) -> None:
    monkeypatch.setenv("REELQ_TEST_ANALYZER_SECONDS", "60")
    # long leases and a lazy reaper: only the hand-back itself can make the job move on quickly
    slow_reaper = {"lease_seconds": 60.0, "reaper_seconds": 60.0, "redispatch_seconds": 60.0}
    leaving = nodes(**slow_reaper)
    leaving.start_worker(1, embedded=True)
    job_id = slow_job(backend_runtime, user_id, clip)
    backend_runtime.dispatcher.send(job_id)
    wait_status(backend_runtime, job_id, JobStatus.PROCESSING)
    # the analysis child is running (it reported progress): only later children see the new setting
    wait_progress(backend_runtime, job_id)
    monkeypatch.setenv("REELQ_TEST_ANALYZER_SECONDS", "0.2")
    staying = nodes(**slow_reaper)
    staying.start_worker(1, embedded=True)
    time.sleep(0.3)  # its start-up reap pass is over
    started = time.monotonic()
    leaving.stop_worker(0.5)  # SIGTERM with a short grace: the job cannot finish in time
    wait_status(backend_runtime, job_id, JobStatus.COMPLETED, timeout=20)
    # picked up at once, not after the lease expired or the reaper's next pass
    assert time.monotonic() - started < 5
    job = backend_runtime.store.get(job_id)
    assert job is not None and job.attempts == 1
    assert owners(backend_runtime, job_id) == [leaving.worker_id, staying.worker_id]
    assert count_events(backend_runtime, job_id, "job.released") == 1


def test_a_job_finishing_within_the_grace_period_is_not_interrupted(
    backend_runtime: Runtime,
    nodes: Callable[..., Runtime],
    user_id: str,
    monkeypatch: pytest.MonkeyPatch,
    clip: Path,
) -> None:
    monkeypatch.setenv("REELQ_TEST_ANALYZER_SECONDS", "1.5")
    worker = nodes()
    worker.start_worker(1, embedded=True)
    job_id = slow_job(backend_runtime, user_id, clip)
    backend_runtime.dispatcher.send(job_id)
    wait_status(backend_runtime, job_id, JobStatus.PROCESSING)
    worker.stop_worker(10.0)
    job = backend_runtime.store.get(job_id)
    assert job is not None and job.status is JobStatus.COMPLETED and job.attempts == 1
    assert count_events(backend_runtime, job_id, "job.released") == 0


def test_workers_are_seen_by_every_node(
    backend_runtime: Runtime,
    nodes: Callable[..., Runtime],
    tmp_path: Path,
) -> None:
    a, b = nodes(), nodes()
    a.start_worker(1, embedded=True)
    b.start_worker(1, embedded=True)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        seen = {w["id"] for w in backend_runtime.store.live_workers(10)}
        if {a.worker_id, b.worker_id} <= seen:
            break
        time.sleep(0.1)
    assert {a.worker_id, b.worker_id} <= seen
    a.stop_worker(0)
    assert a.worker_id not in {w["id"] for w in backend_runtime.store.live_workers(10)}


def test_the_reaper_sends_a_lost_job_to_its_analyzers_queue(
    backend_runtime: Runtime, user_id: str, nodes: Callable[..., Runtime]
) -> None:
    """A job whose message never left (a crash between commit and send) reaches a worker that runs its
    analyzer, and only such a worker: the re-send is routed like the first send."""
    rt = backend_runtime
    lost = new_job(rt.store, user_id, analyzer=NOOP)  # inserted, never sent
    assert reap_once(rt.store, rt.dispatcher.send, 0.0) == 1
    assert rt.dispatcher.depths([NOOP, "probe"]) == {NOOP: 1, "probe": 0}
    other = nodes(worker_analyzers=["probe"])
    other.start_worker(1, embedded=True)
    time.sleep(1.5)
    assert rt.store.get(lost).status is JobStatus.QUEUED  # not its analyzer: left alone
    right = nodes(worker_analyzers=[NOOP])
    right.start_worker(1, embedded=True)
    wait_status(rt, lost, JobStatus.COMPLETED)
