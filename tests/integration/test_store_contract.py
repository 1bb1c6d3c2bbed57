"""The job store contract on SQLite and on PostgreSQL.

Every test of tests/unit/jobs/test_store.py runs here again on both databases, followed by the
races that only a real multi-connection database can show."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from backends import cluster_settings
from sqlalchemy import func, select
from unit.jobs import test_store as unit

from reelq.db.engine import make_engine
from reelq.db.migrate import current_revision
from reelq.db.schema import job_events, jobs
from reelq.errors import TransitionConflict
from reelq.jobs.states import JobStatus
from reelq.jobs.store import JobStore
from reelq.runtime import Runtime

pytestmark = pytest.mark.integration

# Re-collect the unit suite here, so that it runs against each database of the `db_url` fixture.
for _name in dir(unit):
    if _name.startswith("test_"):
        globals()[_name] = getattr(unit, _name)

Clock = unit.Clock
new_job = unit.new_job


@pytest.fixture
def runtime(db_url: str, tmp_path: Path) -> Iterator[Runtime]:
    rt = Runtime.build(cluster_settings(tmp_path / "data", database_url=db_url))
    yield rt
    rt.close()


@pytest.fixture
def clock() -> unit.Clock:
    return unit.Clock()


@pytest.fixture
def store(runtime: Runtime, clock: unit.Clock) -> JobStore:
    return JobStore(runtime.engine, clock=clock)


@pytest.fixture
def user_id(runtime: Runtime) -> str:
    user, _ = runtime.users.create("alice")
    return user.id


def race(n: int, fn: Callable[[int], Any]) -> list[Any]:
    """Run ``fn(i)`` for i < n in n threads released at the same instant; return results or exceptions."""
    barrier = threading.Barrier(n)
    out: list[Any] = [None] * n

    def run(i: int) -> None:
        barrier.wait()
        try:
            out[i] = fn(i)
        except Exception as exc:
            out[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return out


def test_migrations_reach_every_head(runtime: Runtime) -> None:
    revision = current_revision(runtime.engine)
    assert revision and "0001" not in revision.split(",")  # later migrations applied on top of the first


def test_migrations_are_idempotent_across_nodes(runtime: Runtime, db_url: str) -> None:
    """Every `reelq serve`/`reelq worker` upgrades on start: a second node must find nothing to do."""
    other = make_engine(db_url)
    try:
        from reelq.db.migrate import upgrade

        upgrade(other)
        assert current_revision(other) == current_revision(runtime.engine)
    finally:
        other.dispose()


def test_eight_concurrent_claims_one_winner(store: JobStore, user_id: str) -> None:
    for _ in range(10):
        job_id = new_job(store, user_id)
        got = race(8, lambda i, j=job_id: store.claim(j, f"lease-{i}", f"w{i}", 60))
        winners = [g for g in got if g is not None]
        assert not [g for g in got if isinstance(g, Exception)], got
        assert len(winners) == 1 and winners[0].attempts == 1
        job = store.get(job_id)
        assert job is not None and job.lease_token == winners[0].lease_token


def test_concurrent_finish_records_one_result(store: JobStore, user_id: str) -> None:
    job_id = new_job(store, user_id)
    assert store.claim(job_id, "L", "w", 60)
    got = race(6, lambda i: store.finish(job_id, "L", JobStatus.COMPLETED, result={"writer": i}))
    done = [g for g in got if not isinstance(g, Exception)]
    conflicts = [g for g in got if isinstance(g, TransitionConflict)]
    assert len(done) == 1 and len(conflicts) == 5, got
    assert store.get(job_id).result == done[0].result  # type: ignore[union-attr]
    with store.engine.connect() as conn:
        n = conn.execute(
            select(func.count()).where(job_events.c.job_id == job_id, job_events.c.event == "job.completed")
        ).scalar_one()
    assert n == 1


def test_two_reapers_recover_each_expired_job_once(store: JobStore, user_id: str, clock: unit.Clock) -> None:
    ids = [new_job(store, user_id) for _ in range(20)]
    for job_id in ids:
        assert store.claim(job_id, f"L-{job_id[-12:]}", "dead-worker", 5)
    clock.t += 6
    got = race(3, lambda _: store.recover_expired())
    assert not [g for g in got if isinstance(g, Exception)], got
    recovered = [r.job_id for batch in got for r in batch]
    assert sorted(recovered) == sorted(ids)  # each exactly once across the three reapers
    assert store.due_for_dispatch(60) == sorted(ids)


def test_late_heartbeat_after_recovery_cannot_revive_the_lease(
    store: JobStore, user_id: str, clock: unit.Clock
) -> None:
    job_id = new_job(store, user_id)
    assert store.claim(job_id, "old", "w1", 5)
    clock.t += 6
    store.recover_expired()
    assert not store.heartbeat(job_id, "old", 60).ok
    assert store.get(job_id).status is JobStatus.QUEUED  # type: ignore[union-attr]


def test_floats_keep_sub_millisecond_times(store: JobStore, user_id: str, clock: unit.Clock) -> None:
    """Times are float epoch seconds on both databases; a lease must not be rounded away."""
    clock.t = 1_764_000_000.123456
    job_id = new_job(store, user_id)
    claimed = store.claim(job_id, "L", "w", 0.5)
    assert claimed is not None
    assert claimed.lease_expires_at == pytest.approx(1_764_000_000.623456, abs=1e-5)
    clock.t += 0.49
    assert store.recover_expired() == []
    clock.t += 0.02
    assert [r.job_id for r in store.recover_expired()] == [job_id]


def test_workers_table_tracks_heartbeats(store: JobStore, clock: unit.Clock) -> None:
    store.touch_worker("host-a:1", "host-a", 1, clock.t)
    store.touch_worker("host-b:2", "host-b", 2, clock.t)
    clock.t += 20
    store.touch_worker("host-a:1", "host-a", 1, clock.t - 20)
    assert [w["id"] for w in store.live_workers(10)] == ["host-a:1"]
    store.forget_worker("host-a:1")
    assert store.live_workers(10) == []


def test_count_by_status(store: JobStore, user_id: str) -> None:
    a, b, _ = (new_job(store, user_id) for _ in range(3))
    store.claim(a, "L", "w", 60)
    store.cancel(b)
    assert store.count_by_status() == {"queued": 1, "processing": 1, "cancelled": 1}
    with store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(jobs)).scalar_one() == 3
