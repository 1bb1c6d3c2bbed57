"""The job store's guarded transitions, leases and recovery."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from reelq.db.schema import job_events
from reelq.errors import TransitionConflict
from reelq.ids import new_id
from reelq.jobs.models import JobError
from reelq.jobs.states import JobStatus
from reelq.jobs.store import JobStore
from reelq.runtime import Runtime

from support import Clock


def new_job(store: JobStore, user_id: str, **extra: object) -> str:
    job_id = new_id()
    store.insert(
        {
            "id": job_id,
            "user_id": user_id,
            "analyzer": "probe",
            "max_attempts": 3,
            "file_name": "a.mp4",
            "file_size": 10,
            "file_sha256": "0" * 64,
            "content_type": "video/mp4",
            "source_path": f"users/{user_id}/jobs/{job_id}/source.mp4",
            **extra,
        }
    )
    return job_id


def test_two_claimants_only_one_wins(store: JobStore, user_id: str) -> None:
    job_id = new_job(store, user_id)
    first = store.claim(job_id, "lease-a", "w1", 60)
    second = store.claim(job_id, "lease-b", "w2", 60)
    assert first is not None and first.status is JobStatus.PROCESSING and first.attempts == 1
    assert second is None


def test_worker_that_lost_its_lease_cannot_record_a_result(
    store: JobStore, user_id: str, clock: Clock
) -> None:
    job_id = new_job(store, user_id)
    assert store.claim(job_id, "lease-a", "w1", 10)
    clock.t += 11  # worker 1 stalls past its lease
    recovered = store.recover_expired()
    assert [(r.job_id, r.status) for r in recovered] == [(job_id, JobStatus.QUEUED)]
    assert store.claim(job_id, "lease-b", "w2", 10) is not None
    # the stale worker wakes up and tries to record its result
    with pytest.raises(TransitionConflict):
        store.finish(job_id, "lease-a", JobStatus.COMPLETED, result={"from": "w1"})
    assert not store.heartbeat(job_id, "lease-a", 10).ok
    done = store.finish(job_id, "lease-b", JobStatus.COMPLETED, result={"from": "w2"})
    assert done.result == {"from": "w2"} and done.attempts == 2
    # and a second finish of the same job is a conflict, never a silent overwrite
    with pytest.raises(TransitionConflict):
        store.finish(job_id, "lease-b", JobStatus.COMPLETED, result={"again": True})
    assert store.get(job_id).result == {"from": "w2"}  # type: ignore[union-attr]


def test_heartbeat_extends_the_lease_so_the_reaper_leaves_it(
    store: JobStore, user_id: str, clock: Clock
) -> None:
    job_id = new_job(store, user_id)
    assert store.claim(job_id, "L", "w1", 10)
    for _ in range(5):
        clock.t += 8
        assert store.heartbeat(job_id, "L", 10, progress=0.5).ok
        assert store.recover_expired() == []
    assert store.get(job_id).progress == 0.5  # type: ignore[union-attr]


def test_spent_attempts_fail_with_worker_lost(store: JobStore, user_id: str, clock: Clock) -> None:
    job_id = new_job(store, user_id, max_attempts=2)
    for lease in ("a", "b"):
        assert store.claim(job_id, lease, "w", 5)
        clock.t += 6
        store.recover_expired()
    job = store.get(job_id)
    assert job is not None and job.status is JobStatus.FAILED
    assert job.error is not None and job.error.code == "worker_lost" and job.attempts == 2


def test_claim_respects_run_at(store: JobStore, user_id: str, clock: Clock) -> None:
    job_id = new_job(store, user_id)
    assert store.claim(job_id, "a", "w", 60)
    assert store.reschedule(job_id, "a", clock.t + 30, JobError("io", "x", True))
    assert store.claim(job_id, "b", "w", 60) is None  # not due yet
    assert store.due_for_dispatch(60) == []
    clock.t += 31
    assert store.due_for_dispatch(60) == [job_id]
    assert store.claim(job_id, "b", "w", 60) is not None


def test_cancel_queued_is_immediate_and_running_is_flagged(store: JobStore, user_id: str) -> None:
    queued = new_job(store, user_id)
    assert store.cancel(queued) is JobStatus.CANCELLED
    assert store.claim(queued, "a", "w", 60) is None
    running = new_job(store, user_id)
    assert store.claim(running, "a", "w", 60)
    assert store.cancel(running) is JobStatus.PROCESSING
    assert store.heartbeat(running, "a", 60).cancel_requested
    store.finish(running, "a", JobStatus.CANCELLED)
    with pytest.raises(TransitionConflict) as err:
        store.cancel(running)
    assert err.value.code == "job_finished"


def test_retry_only_from_failed_or_cancelled(store: JobStore, user_id: str) -> None:
    job_id = new_job(store, user_id)
    with pytest.raises(TransitionConflict):
        store.retry(job_id)
    assert store.claim(job_id, "a", "w", 60)
    store.finish(job_id, "a", JobStatus.FAILED, error=JobError("bad", "bad file", False))
    store.retry(job_id)
    job = store.get(job_id)
    assert job is not None and job.status is JobStatus.QUEUED and job.error is None and job.attempts == 0


def test_release_hands_the_job_back_without_spending_an_attempt(store: JobStore, user_id: str) -> None:
    job_id = new_job(store, user_id)
    assert store.claim(job_id, "a", "w", 60)
    assert store.release(job_id, "a")
    again = store.claim(job_id, "b", "w2", 60)
    assert again is not None and again.attempts == 1


def test_every_transition_is_an_event(store: JobStore, user_id: str, runtime: Runtime) -> None:
    job_id = new_job(store, user_id)
    store.claim(job_id, "a", "w", 60)
    store.finish(job_id, "a", JobStatus.COMPLETED, result={})
    with runtime.engine.connect() as conn:
        events = [r.event for r in conn.execute(select(job_events).where(job_events.c.job_id == job_id))]
    assert events == ["job.enqueued", "job.claimed", "job.completed"]


def test_claim_and_finish_record_their_events_in_full_and_a_refused_one_records_none(
    store: JobStore, user_id: str, clock: Clock
) -> None:
    job_id = new_job(store, user_id)
    clock.t += 1
    assert store.claim(job_id, "a", "w1", 60) is not None
    assert store.claim(job_id, "b", "w2", 60) is None  # refused: no event
    clock.t += 2
    err = JobError("bad_input", "no video stream", False)
    failed = store.finish(job_id, "a", JobStatus.FAILED, error=err)
    assert failed.error == err and failed.finished_at == clock.t and failed.lease_token is None
    with pytest.raises(TransitionConflict):  # refused: no event
        store.finish(job_id, "a", JobStatus.COMPLETED, result={})
    events = [(e["event"], e["status"], e["detail"], e["at"]) for e in store.events(job_id)]
    t0 = clock.t - 3
    assert events == [
        ("job.enqueued", "queued", None, t0),
        ("job.claimed", "processing", {"owner": "w1"}, t0 + 1),
        ("job.failed", "failed", {"error": "bad_input"}, t0 + 3),
    ]


def test_terminal_hooks_run_inside_the_transaction(store: JobStore, user_id: str) -> None:
    seen: list[str] = []
    store.terminal_hooks.append(lambda conn, job: seen.append(job.status.value))
    job_id = new_job(store, user_id)
    store.claim(job_id, "a", "w", 60)
    store.finish(job_id, "a", JobStatus.COMPLETED, result={})
    assert seen == ["completed"]

    def boom(conn: object, job: object) -> None:
        raise RuntimeError("hook failed")

    store.terminal_hooks[:] = [boom]
    other = new_job(store, user_id)
    store.claim(other, "b", "w", 60)
    with pytest.raises(RuntimeError):
        store.finish(other, "b", JobStatus.COMPLETED, result={})
    # the transition rolled back with the hook
    assert store.get(other).status is JobStatus.PROCESSING  # type: ignore[union-attr]


def test_list_is_newest_first_and_paginates(store: JobStore, user_id: str) -> None:
    ids = [new_job(store, user_id) for _ in range(5)]
    page = store.list_jobs(user_id, limit=2)
    assert [j.id for j in page] == ids[::-1][:2]
    rest = store.list_jobs(user_id, limit=10, before_id=page[-1].id)
    assert [j.id for j in rest] == ids[::-1][2:]


def test_retention_purges_finished_jobs_with_their_files(runtime: Runtime, clip: object) -> None:
    import shutil
    from pathlib import Path

    from reelq.files import StoredFile

    user, _ = runtime.users.create("carol")
    made = []
    for i in range(3):
        src = runtime.layout.root / f"in{i}.mp4"
        shutil.copy(Path(str(clip)), src)
        job, _ = runtime.service.submit(
            user.id, StoredFile(src, "c.mp4", 1, "0" * 64, "video/mp4", "mp4"), analyzer="probe", metadata={}
        )
        made.append(job.id)
    runtime.store.cancel(made[0])  # finished
    runtime.store.cancel(made[1])
    runtime.store.retry(made[1])  # queued again: not finished, kept
    assert runtime.service.purge_finished(3600) == 0  # finished, but not old enough
    assert runtime.service.purge_finished(-1) == 1
    assert runtime.store.get(made[0]) is None
    assert not runtime.layout.job_dir(user.id, made[0]).exists()
    for kept in made[1:]:
        assert runtime.store.get(kept) is not None
        assert runtime.layout.job_dir(user.id, kept).exists()


def test_redispatch_spacing_doubles_while_a_job_waits(store: JobStore, user_id: str, clock: Clock) -> None:
    """A job waiting behind a backlog still has its message queued: re-sends get rarer, up to a cap."""
    job_id = new_job(store, user_id, dispatched_at=clock.t)
    sends = []
    for _ in range(4000):  # 4000 s of waiting, checked every second
        clock.t += 1
        if store.due_for_dispatch(60) == [job_id]:
            sends.append(clock.t - 1_000_000.0)
            store.mark_dispatched(job_id)
    gaps = [b - a for a, b in zip([0.0, *sends], sends, strict=False)]
    assert gaps[:4] == [61, 62, 124, 248]  # doubling spacing
    assert max(gaps) <= 601  # capped at ten times the setting
    assert len(sends) < 12  # instead of 66 at a fixed 60 s


@pytest.mark.parametrize("returning", [True, False], ids=["update-returning", "sqlite-before-3.35"])
def test_claim_and_finish_return_the_updated_job_with_and_without_returning(
    store: JobStore, user_id: str, returning: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store.engine.dialect, "update_returning", returning)
    job_id = new_job(store, user_id)
    claimed = store.claim(job_id, "lease-a", "w1", 60)
    assert claimed is not None and claimed.id == job_id
    assert claimed.status is JobStatus.PROCESSING and claimed.attempts == 1 and claimed.progress == 0.0
    assert store.claim(job_id, "lease-b", "w2", 60) is None
    done = store.finish(job_id, "lease-a", JobStatus.COMPLETED, result={"n": 1})
    assert done.status is JobStatus.COMPLETED and done.result == {"n": 1} and done.progress == 1.0
    with pytest.raises(TransitionConflict):
        store.finish(job_id, "lease-a", JobStatus.COMPLETED, result={"n": 2})


def test_a_claim_whose_commit_went_through_before_the_connection_died_is_recognised_by_its_lease(
    store: JobStore, user_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The line breaks after COMMIT reached the database: the second try finds the job already claimed
    with this very lease and takes it, instead of leaving it claimed by nobody until the lease expires."""
    import contextlib
    from collections.abc import Iterator

    from sqlalchemy.exc import DBAPIError

    job_id = new_job(store, user_id)
    real_begin = store.engine.begin
    broken = [False]

    @contextlib.contextmanager
    def begin() -> Iterator[object]:
        with real_begin() as conn:
            yield conn
        if not broken[0]:  # committed; then the connection turns out dead
            broken[0] = True
            raise DBAPIError("COMMIT", {}, ConnectionError("gone"), connection_invalidated=True)

    monkeypatch.setattr(store.engine, "begin", begin)
    job = store.claim(job_id, "lease-a", "w1", 60)
    assert job is not None and job.lease_token == "lease-a" and job.attempts == 1
    assert broken == [True]
    assert store.claim(job_id, "lease-b", "w2", 60) is None  # and it is still one claim


def test_a_transition_the_table_does_not_allow_is_refused_when_it_is_built() -> None:
    from reelq.jobs.prepared import PreparedTransition
    from reelq.jobs.states import sources_for

    assert sources_for(JobStatus.COMPLETED) == {JobStatus.PROCESSING}
    with pytest.raises(ValueError, match="transition table"):
        sources_for(JobStatus.COMPLETED, [JobStatus.QUEUED])  # queued -> completed skips the run
    with pytest.raises(ValueError, match="transition table"):
        PreparedTransition(JobStatus.PROCESSING, [JobStatus.FAILED], event="job.claimed")
