"""Dead workers are found in seconds, and their jobs run again without waiting for the lease."""

from __future__ import annotations

import socket

from test_store import new_job

from reelq.jobs.states import JobStatus
from reelq.jobs.store import JobStore
from reelq.queue.reaper import bury_dead_workers, pid_alive

from support import Clock

HOST = socket.gethostname()


def _running(store: JobStore, user_id: str, owner: str) -> str:
    job_id = new_job(store, user_id)
    assert store.claim(job_id, f"lease-{owner}", owner, 60) is not None
    return job_id


def test_pid_alive() -> None:
    import os

    assert pid_alive(os.getpid())
    assert not pid_alive(2**22 + 12345)  # above pid_max: never a process


def test_worker_whose_process_is_gone_on_this_host_is_dead_at_once(
    store: JobStore, user_id: str, clock: Clock
) -> None:
    gone_pid = 2**22 + 54321
    store.touch_worker("crashed", HOST, gone_pid, clock())
    job_id = _running(store, user_id, "crashed")
    sent: list[str] = []
    # its heartbeat is fresh: only the missing process tells
    assert bury_dead_workers(store, "me", HOST, 10.0, lambda j, d: sent.append(j)) == 1
    job = store.get(job_id)
    assert job is not None and job.status is JobStatus.QUEUED
    assert sent == [job_id]
    assert store.live_workers(60) == []


def test_restart_in_a_fresh_pid_namespace_reuses_the_pid(store: JobStore, user_id: str, clock: Clock) -> None:
    """In a container the new worker is often pid 1 again: the old row with our pid cannot be alive."""
    import os

    store.touch_worker("before-restart", HOST, os.getpid(), clock())
    job_id = _running(store, user_id, "before-restart")
    bury_dead_workers(store, "me", HOST, 10.0, lambda j, d: None)
    assert store.get(job_id).status is JobStatus.QUEUED  # type: ignore[union-attr]


def test_silent_worker_on_another_host_is_dead_after_the_window(
    store: JobStore, user_id: str, clock: Clock
) -> None:
    store.touch_worker("far", "other-host", 4242, clock())
    job_id = _running(store, user_id, "far")
    clock.t += 9.0
    assert bury_dead_workers(store, "me", HOST, 10.0, lambda j, d: None) == 0
    assert store.get(job_id).status is JobStatus.PROCESSING  # type: ignore[union-attr]
    clock.t += 2.0  # 11 s without a heartbeat, 49 s before its lease would end
    assert bury_dead_workers(store, "me", HOST, 10.0, lambda j, d: None) == 1
    assert store.get(job_id).status is JobStatus.QUEUED  # type: ignore[union-attr]


def test_live_workers_and_their_jobs_are_left_alone(store: JobStore, user_id: str, clock: Clock) -> None:
    import os

    store.touch_worker("me", HOST, os.getpid(), clock())
    store.touch_worker("busy-far", "other-host", 4242, clock())
    mine, theirs = _running(store, user_id, "me"), _running(store, user_id, "busy-far")
    clock.t += 5.0
    assert bury_dead_workers(store, "me", HOST, 10.0, lambda j, d: None) == 0
    for job_id in (mine, theirs):
        assert store.get(job_id).status is JobStatus.PROCESSING  # type: ignore[union-attr]


def test_a_taken_over_worker_cannot_finish_its_old_attempt(
    store: JobStore, user_id: str, clock: Clock
) -> None:
    """The slow or cut-off worker comes back after the takeover: its result is refused."""
    from reelq.errors import TransitionConflict

    store.touch_worker("slow", "other-host", 4242, clock())
    job_id = _running(store, user_id, "slow")
    clock.t += 11.0
    bury_dead_workers(store, "me", HOST, 10.0, lambda j, d: None)
    assert store.claim(job_id, "lease-new", "me", 60) is not None
    state = store.heartbeat(job_id, "lease-slow", 60)
    assert not state.ok
    try:
        store.finish(job_id, "lease-slow", JobStatus.COMPLETED, result={"late": True})
        refused = False
    except TransitionConflict:
        refused = True
    assert refused
    store.finish(job_id, "lease-new", JobStatus.COMPLETED, result={"ok": True})
    assert store.get(job_id).result == {"ok": True}  # type: ignore[union-attr]
