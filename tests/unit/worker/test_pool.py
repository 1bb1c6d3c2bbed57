"""Warm analysis processes: reused for many jobs, replaced whenever a job did not end normally."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from reelq.runtime import Runtime
from reelq.worker.execute import WorkerConfig, WorkerDeps, execute

from support import make_user

A = "reelq.testing.analyzers:"


@pytest.fixture
def rt(api_only: TestClient) -> Runtime:
    return api_only.app.state.runtime  # type: ignore[attr-defined,no-any-return]


def make_deps(rt: Runtime, **config: Any) -> WorkerDeps:
    cfg = WorkerConfig(
        analyzers=frozenset(A + n for n in ("state", "crash", "leak", "slow", "noop")), **config
    )
    return WorkerDeps(rt.store, rt.layout, cfg, "w", lambda j, d: None)


@pytest.fixture
def deps(rt: Runtime) -> Iterator[WorkerDeps]:
    d = make_deps(rt)
    yield d
    d.pool.close()


def submit(client: TestClient, auth: dict[str, str], clip: Path, analyzer: str) -> str:
    r = client.post("/api/upload", headers=auth, files={"video": ("c.mp4", clip.read_bytes())})
    job_id: str = r.json()["job_id"]
    rt = client.app.state.runtime  # type: ignore[attr-defined]
    from sqlalchemy import update

    from reelq.db.schema import jobs

    with rt.engine.begin() as conn:
        conn.execute(update(jobs).where(jobs.c.id == job_id).values(analyzer=A + analyzer))
    return job_id


def result(client: TestClient, auth: dict[str, str], job_id: str) -> dict[str, Any]:
    return client.get(f"/api/results/job/{job_id}", headers=auth).json()  # type: ignore[no-any-return]


def test_one_process_runs_many_jobs_each_in_a_fresh_directory(
    api_only: TestClient, deps: WorkerDeps, clip: Path
) -> None:
    alice, bob = make_user(api_only, "alice"), make_user(api_only, "bob")
    first = submit(api_only, alice, clip, "state")
    second = submit(api_only, bob, clip, "state")
    assert execute(first, deps) == "completed"
    assert execute(second, deps) == "completed"
    a, b = result(api_only, alice, first)["result"], result(api_only, bob, second)["result"]
    assert a["pid"] == b["pid"] and deps.pool.started == 1  # warm: no second interpreter
    assert b["kept"] == 1  # the same process indeed
    # but bob's job sees nothing alice's job left in its directory or its temp dir
    assert b["cwd_files"] == [] and b["tmp_files"] == []


def test_a_crashed_process_is_replaced_and_the_job_is_retried(
    api_only: TestClient, deps: WorkerDeps, clip: Path
) -> None:
    auth = make_user(api_only)
    warm = submit(api_only, auth, clip, "state")
    execute(warm, deps)
    pid = result(api_only, auth, warm)["result"]["pid"]
    crashed = submit(api_only, auth, clip, "crash")
    assert execute(crashed, deps) == "retry_scheduled"  # as before: a crash is transient
    after = submit(api_only, auth, clip, "state")
    execute(after, deps)
    fresh = result(api_only, auth, after)["result"]
    assert fresh["pid"] != pid and fresh["kept"] == 0


def test_a_process_that_grew_past_its_memory_is_replaced(
    rt: Runtime, api_only: TestClient, clip: Path
) -> None:
    deps = make_deps(rt, child_max_memory_mb=120)
    try:
        auth = make_user(api_only)
        leaky = submit(api_only, auth, clip, "leak")  # keeps 150 MiB
        assert execute(leaky, deps) == "completed"
        after = submit(api_only, auth, clip, "state")
        execute(after, deps)
        assert (
            result(api_only, auth, after)["result"]["pid"] != result(api_only, auth, leaky)["result"]["pid"]
        )
        assert deps.pool.started == 2
    finally:
        deps.pool.close()


def test_after_max_jobs_the_process_is_replaced_by_a_successor_no_job_waits_for(
    rt: Runtime, api_only: TestClient, clip: Path
) -> None:
    deps = make_deps(rt, child_max_jobs=2)
    try:
        auth = make_user(api_only)
        queued = [submit(api_only, auth, clip, "state") for _ in range(4)]  # no upload between runs

        def run() -> int:
            job_id = queued.pop(0)
            execute(job_id, deps)
            return int(result(api_only, auth, job_id)["result"]["pid"])

        first, second = run(), run()
        assert first == second and deps.pool.started == 2  # the successor started after the 2nd job
        [old] = deps.pool._idle
        successor = old.successor
        assert successor is not None and successor.proc.pid != first
        # the next job does not wait for the successor's start: the old process serves it meanwhile
        assert not successor.ready.is_set()
        assert run() == first
        assert successor.ready.wait(60)  # started, and it imported the analyzer the old one ran
        assert run() == successor.proc.pid
        assert old.proc.poll() is not None  # the old process has ended
        assert deps.pool.started == 2
    finally:
        deps.pool.close()


def test_a_job_past_its_time_limit_kills_its_process(
    rt: Runtime, api_only: TestClient, clip: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REELQ_TEST_ANALYZER_SECONDS", "30")
    deps = make_deps(rt, job_time_limit=120.0)
    try:
        auth = make_user(api_only)
        warm = submit(api_only, auth, clip, "state")
        execute(warm, deps)
        deps.config.job_time_limit = 1.5  # the warm process is ready: only the analysis counts now
        slow = submit(api_only, auth, clip, "slow")
        assert execute(slow, deps) == "failed"
        assert result(api_only, auth, slow)["error"]["code"] == "time_limit_exceeded"
        assert deps.pool._idle == []  # the hung process was killed, not kept
        deps.config.job_time_limit = 120.0  # a fresh process starts slowly on a busy machine
        after = submit(api_only, auth, clip, "state")
        execute(after, deps)
        assert result(api_only, auth, after)["result"]["pid"] != result(api_only, auth, warm)["result"]["pid"]
    finally:
        deps.pool.close()


def test_close_ends_idle_processes(deps: WorkerDeps, api_only: TestClient, clip: Path) -> None:
    auth = make_user(api_only)
    execute(submit(api_only, auth, clip, "noop"), deps)
    idle = list(deps.pool._idle)
    assert idle and all(c.alive for c in idle)
    deps.pool.close()
    assert not any(c.alive for c in idle)


def test_a_cancelled_job_kills_its_process(
    rt: Runtime, api_only: TestClient, clip: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    from support import wait_for

    monkeypatch.setenv("REELQ_TEST_ANALYZER_SECONDS", "30")
    deps = make_deps(rt)
    try:
        auth = make_user(api_only)
        slow = submit(api_only, auth, clip, "slow")
        outcome: list[str] = []
        runner = threading.Thread(target=lambda: outcome.append(execute(slow, deps)))
        runner.start()
        wait_for(lambda: result(api_only, auth, slow)["progress"] > 0, 20, what="the job running")
        assert api_only.post(f"/api/jobs/{slow}/cancel", headers=auth).status_code == 202
        runner.join(20)
        assert outcome == ["cancelled"]
        assert deps.pool._idle == []
    finally:
        deps.pool.close()


def test_the_attempt_directory_is_removed_after_the_job_whatever_it_holds(
    api_only: TestClient, deps: WorkerDeps, clip: Path, rt: Runtime
) -> None:
    alice = make_user(api_only, "alice")
    job_id = submit(api_only, alice, clip, "state")  # leaves a file in its working directory
    assert execute(job_id, deps) == "completed"
    job = rt.store.get(job_id)
    assert job is not None
    assert list(rt.layout.job_dir(job.user_id, job_id).glob("attempt-*")) == []


def test_remove_dir_removes_flat_and_nested_directories(tmp_path: Path) -> None:
    from reelq.worker.execute import _remove_dir

    flat, nested = tmp_path / "flat", tmp_path / "nested"
    flat.mkdir()
    (flat / "result.json").write_text("{}")
    (nested / "tmp" / "deeper").mkdir(parents=True)
    (nested / "a.txt").write_text("a")
    (nested / "tmp" / "deeper" / "b.txt").write_text("b")
    _remove_dir(flat)
    _remove_dir(nested)
    _remove_dir(tmp_path / "missing")  # nothing to do, no error
    assert sorted(p.name for p in tmp_path.iterdir()) == []
