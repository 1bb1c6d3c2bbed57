"""`kill -9` of the only worker, then a restart: the interrupted job runs again in seconds, not after
its lease (60 s by default). The settings here are the defaults, except the analysis length."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from support import Server, base_env, cli, wait_for

DEFAULT_TIMING = ("REELQ_LEASE_SECONDS", "REELQ_HEARTBEAT_SECONDS", "REELQ_REAPER_SECONDS")


@pytest.fixture
def servers() -> Iterator[list[Server]]:
    running: list[Server] = []
    yield running
    for server in running:
        server.stop()


@pytest.mark.parametrize("split", [False, True], ids=["serve", "worker"])
def test_kill9_then_restart_runs_the_job_again_within_10_s(
    tmp_path: Path, clip: Path, servers: list[Server], split: bool
) -> None:
    env = base_env(tmp_path / "data")
    for name in DEFAULT_TIMING:
        env.pop(name)
    env |= {
        "REELQ_ANALYZER": "reelq.testing.analyzers:slow",
        "REELQ_TEST_ANALYZER_SECONDS": "60",
        "REELQ_WORKER_CONCURRENCY": "1",
    }
    api = Server(env, "serve", *(["--no-worker"] if split else []), log=tmp_path / "api.log").start()
    servers.append(api)
    worker = Server(env, "worker", log=tmp_path / "worker.log").start() if split else api
    if split:
        servers.append(worker)
    token = cli(env, "users", "create", "alice").stdout.strip().splitlines()[-1]
    auth = {"Authorization": f"Bearer {token}"}
    r = httpx.post(f"{api.url}/api/upload", headers=auth, files={"video": ("c.mp4", clip.read_bytes())})
    job_id = r.json()["job_id"]

    def job() -> dict:  # type: ignore[type-arg]
        return httpx.get(f"{api.url}/api/results/job/{job_id}", headers=auth, timeout=10).json()  # type: ignore[no-any-return]

    wait_for(lambda: job()["progress"] > 0.01, 30, what="the job running")
    worker.kill9()
    killed = time.monotonic()
    if split:
        servers.append(Server(env, "worker", log=tmp_path / "worker2.log").start())
    else:
        api = Server(env, "serve", log=tmp_path / "api2.log", port=api.port).start()
        servers.append(api)
    wait_for(lambda: job()["attempts"] == 2 and job()["status"] == "processing", 30, 0.1, "the job again")
    elapsed = time.monotonic() - killed
    assert elapsed <= 10.0, f"the job ran again {elapsed:.1f} s after the kill"
    assert "worker.dead" in (tmp_path / ("worker2.log" if split else "api2.log")).read_text()
