"""Workers by capability on real PostgreSQL + Redis: each worker runs only its analyzers' jobs, and a job
for an analyzer nobody runs says so and starts as soon as a worker for it does."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from integration.backends import pg_database, redis_queue

from support import Server, base_env, cli, poll_job, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

NOOP = "reelq.testing.analyzers:noop"
SLOW = "reelq.testing.analyzers:slow"


@pytest.fixture
def cluster_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    with pg_database() as db, redis_queue() as queue:
        yield base_env(
            tmp_path / "data",
            REELQ_DATABASE_URL=db,
            REELQ_QUEUE_URL=queue,
            REELQ_ANALYZERS=f"{NOOP},{SLOW}",
            REELQ_LOG_FORMAT="json",
            REELQ_WORKER_HEARTBEAT_SECONDS="0.5",
            REELQ_WORKER_DEAD_SECONDS="3",
            REELQ_TEST_ANALYZER_SECONDS="0.3",
        )


@pytest.fixture
def started() -> Iterator[list[Server]]:
    servers: list[Server] = []
    yield servers
    for s in servers:
        s.stop()


def _upload(base: str, auth: dict[str, str], clip: Path, analyzer: str) -> str:
    with clip.open("rb") as f:
        r = httpx.post(
            f"{base}/api/upload",
            headers=auth,
            files={"video": (clip.name, f)},
            data={"analyzer": analyzer},
            timeout=30,
        )
    assert r.status_code == 202, r.text
    return str(r.json()["job_id"])


def _finished_by(log: Path) -> set[str]:
    done = set()
    for line in log.read_text().splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if record.get("event") == "job.completed" or record.get("message") == "job.completed":
            done.add(record["job_id"])
    return done


def test_each_worker_runs_only_its_analyzers_jobs_and_a_job_waits_for_its_worker(
    cluster_env: dict[str, str], tmp_path: Path, clip: Path, started: list[Server]
) -> None:
    api = Server(cluster_env, "serve", "--no-worker", log=tmp_path / "api.log").start()
    started.append(api)
    videos = Server(cluster_env, "worker", "--analyzers", "video", log=tmp_path / "video.log").start()
    noops = Server(cluster_env, "worker", "--analyzers", NOOP, log=tmp_path / "noop.log").start()
    started += [videos, noops]
    token = cli(cluster_env, "users", "create", "alice").stdout.strip()
    auth = {"Authorization": f"Bearer {token}"}

    def serving() -> dict[str, object] | None:
        body = httpx.get(api.url + "/readyz", timeout=5).json()
        analyzers = body.get("analyzers", {})
        ready = all(analyzers.get(a, {}).get("workers") for a in ("video", NOOP))
        return analyzers if ready else None

    analyzers = wait_for(serving, 60, 0.2, "both workers' heartbeats")
    assert analyzers[SLOW]["workers"] == []

    video_jobs = [_upload(api.url, auth, clip, "video") for _ in range(2)]
    noop_jobs = [_upload(api.url, auth, clip, NOOP) for _ in range(3)]
    waiting = _upload(api.url, auth, clip, SLOW)
    for job_id in video_jobs + noop_jobs:
        assert poll_job(api.url, auth, job_id, {"completed", "failed"}, 90)["status"] == "completed"

    # nobody runs SLOW: the job says so instead of looking stuck
    def status() -> dict:  # type: ignore[type-arg]
        return httpx.get(f"{api.url}/api/results/job/{waiting}", headers=auth, timeout=5).json()  # type: ignore[no-any-return]

    wait_for(lambda: status().get("waiting_for_worker"), 10, 0.2, "waiting_for_worker")
    assert status()["status"] == "queued" and status()["waiting_for_worker"] == SLOW
    ready = httpx.get(api.url + "/readyz", timeout=5).json()
    assert ready["analyzers"][SLOW] == {"queued": 1, "workers": []}
    metrics = httpx.get(api.url + "/metrics", timeout=5).text
    assert f'reelq_analyzer_queue_depth{{analyzer="{SLOW}"}} 1.0' in metrics
    assert 'reelq_analyzer_workers{analyzer="video"} 1.0' in metrics

    wait_for(lambda: len(_finished_by(videos.log) | _finished_by(noops.log)) == 5, 10, 0.1, "log lines")
    assert _finished_by(videos.log) == set(video_jobs)
    assert _finished_by(noops.log) == set(noop_jobs)

    late = Server(cluster_env, "worker", "--analyzers", SLOW, log=tmp_path / "slow.log").start()
    started.append(late)
    done = poll_job(api.url, auth, waiting, {"completed", "failed"}, 90)
    assert done["status"] == "completed" and "waiting_for_worker" not in done
    assert wait_for(lambda: _finished_by(late.log), 10, 0.1, "the log line") == {waiting}
    assert waiting not in _finished_by(videos.log) | _finished_by(noops.log)


def test_a_worker_for_an_analyzer_this_server_does_not_offer_refuses_to_start(
    cluster_env: dict[str, str], tmp_path: Path
) -> None:
    proc = cli(cluster_env, "worker", "--analyzers", "mypkg.pose:analyze", check=False)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "error: REELQ_WORKER_ANALYZERS: 'mypkg.pose:analyze' is not an analyzer uploads may name here "
        "(add it to REELQ_ANALYZERS, or install a package that registers it)"
    ]
