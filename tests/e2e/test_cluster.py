"""Many machines on real PostgreSQL + Redis: `reelq serve --no-worker` and N `reelq worker` processes,
killed with SIGKILL, with Redis restarted and PostgreSQL connections dropped under them."""

from __future__ import annotations

import contextlib
import random
import subprocess
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from integration.backends import PG_ADMIN_URL, pg_database, redis_queue, terminate_connections

from reelq.testing.fake_expo import FakeExpo

from support import Server, base_env, cli, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

TOKENS = ["ExponentPushToken[cluster-phone]", "ExponentPushToken[cluster-tablet]"]
REDIS_START = [
    "redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "-::1", "--port", "6379", "--save", "",
    "--appendonly", "no", "--dir", "/var/lib/redis", "--logfile", "/var/log/redis/ci.log",
]  # fmt: skip


class Cluster:
    """One API node and worker nodes sharing a data dir, a PostgreSQL database and a Redis queue."""

    def __init__(self, env: dict[str, str], tmp_path: Path) -> None:
        self.env = env
        self.tmp = tmp_path
        self.api: Server | None = None
        self.workers: list[Server] = []
        self.spawned: list[Server] = []
        self.kills = 0

    def start(self, n_workers: int) -> None:
        self.api = self._spawn("serve", "--no-worker", log="api.log")
        self.api.wait_ready()
        for i in range(n_workers):
            self.workers.append(self._spawn("worker", log=f"worker{i}.log"))

    def _spawn(self, *args: str, log: str) -> Server:
        s = Server(self.env, *args, log=self.tmp / log).start(wait=False)
        self.spawned.append(s)
        return s

    def kill_and_restart(self, i: int) -> None:
        self.workers[i].kill9()
        self.kills += 1
        self.workers[i] = self._spawn("worker", log=f"worker{i}.log")

    def stop(self) -> None:
        for s in self.spawned:
            s.stop()

    @property
    def url(self) -> str:
        assert self.api is not None
        return self.api.url


@pytest.fixture
def fake_expo() -> Iterator[FakeExpo]:
    with FakeExpo() as fake:
        for token in TOKENS:
            fake.register(token)
        yield fake


@pytest.fixture
def cluster_env(tmp_path: Path, fake_expo: FakeExpo) -> Iterator[dict[str, str]]:
    with pg_database() as db_url, redis_queue() as queue_url:
        yield base_env(
            tmp_path / "shared-volume",
            REELQ_DATABASE_URL=db_url,
            REELQ_QUEUE_URL=queue_url,
            REELQ_ANALYZER="reelq.testing.analyzers:noop",
            REELQ_REDISPATCH_SECONDS="3",
            REELQ_MAX_ATTEMPTS="6",
            REELQ_EXPO_API_URL=fake_expo.url,
            REELQ_PUSH_LEASE_SECONDS="5",
            REELQ_NOTIFY_RETRY_BASE_SECONDS="0.5",
            REELQ_EXPO_RECEIPT_DELAY_SECONDS="1",
            # one user submits 300 jobs as fast as it can: the per-user quotas are another test's subject
            REELQ_LIMIT_UPLOADS_PER_MINUTE="0",
            REELQ_LIMIT_CONCURRENT_JOBS="0",
        )


@pytest.fixture
def cluster(cluster_env: dict[str, str], tmp_path: Path) -> Iterator[Cluster]:
    c = Cluster(cluster_env, tmp_path)
    yield c
    c.stop()


def new_user(env: dict[str, str], base: str) -> dict[str, str]:
    token = cli(env, "users", "create", "alice").stdout.strip()
    auth = {"Authorization": f"Bearer {token}"}
    for push_token in TOKENS:
        r = httpx.post(f"{base}/api/devices", headers=auth, json={"push_token": push_token}, timeout=10)
        assert r.status_code == 201, r.text
    return auth


def submit(base: str, auth: dict[str, str], clip: Path, n: int) -> list[str]:
    data = clip.read_bytes()

    def one(_: int) -> str:
        for _attempt in range(50):
            try:
                r = httpx.post(
                    f"{base}/api/upload", headers=auth, files={"video": ("c.mp4", data)}, timeout=30
                )
            except httpx.TransportError:
                time.sleep(0.2)
                continue
            if r.status_code == 202:
                return str(r.json()["job_id"])
            # only an outage (503) or the per-user upload limit (429) may refuse an upload
            assert r.status_code in (429, 503), r.text
            time.sleep(0.2)
        raise AssertionError("upload kept failing")

    with ThreadPoolExecutor(4) as pool:  # the API allows 4 uploads at once per user
        return list(pool.map(one, range(n)))


def db_url(env: dict[str, str]) -> str:
    return env["REELQ_DATABASE_URL"]


def query(env: dict[str, str], sql: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(db_url(env)) as conn:
        return conn.execute(sql).fetchall()  # type: ignore[arg-type]


def statuses(env: dict[str, str]) -> dict[str, int]:
    return {s: n for s, n in query(env, "SELECT status, count(*) FROM jobs GROUP BY status")}


def wait_all_finished(env: dict[str, str], total: int, timeout: float) -> dict[str, int]:
    def done() -> dict[str, int] | None:
        counts = statuses(env)
        finished = sum(n for s, n in counts.items() if s in ("completed", "failed", "cancelled"))
        return counts if finished == total else None

    try:
        return wait_for(done, timeout, 0.5, "every job to finish")  # type: ignore[no-any-return]
    except TimeoutError as exc:
        raise AssertionError(f"not finished: {statuses(env)}") from exc


def assert_exactly_once(env: dict[str, str], ids: list[str]) -> None:
    """Every job completed, with one recorded result, one completion and one outbox row per device."""
    assert len(set(ids)) == len(ids)
    rows = query(env, "SELECT id, status, result_json, lease_token FROM jobs")
    assert sorted(r[0] for r in rows) == sorted(ids)
    bad = [r for r in rows if r[1] != "completed" or not r[2] or r[3] is not None]
    assert not bad, bad[:5]
    completions = dict(
        query(env, "SELECT job_id, count(*) FROM job_events WHERE event = 'job.completed' GROUP BY job_id")
    )
    assert {completions.get(i, 0) for i in ids} == {1}
    outbox = dict(query(env, "SELECT job_id, count(*) FROM notifications GROUP BY job_id"))
    assert {outbox.get(i, 0) for i in ids} == {len(TOKENS)}
    per_target = query(
        env,
        "SELECT job_id, target_id FROM notifications GROUP BY job_id, target_id HAVING count(*) > 1",
    )
    assert per_target == []


@pytest.mark.parametrize("n_jobs", [pytest.param(300, id="300jobs")])  # about 2.5-3.5 min on 2 CPUs
def test_jobs_on_3_workers_with_one_killed_every_few_seconds(
    cluster: Cluster, cluster_env: dict[str, str], clip: Path, n_jobs: int
) -> None:
    # Jobs of ~0.3 s: with warm analysis processes a no-op job takes milliseconds, and kills would
    # rarely find one running; these keep the 6 slots busy while the uploads arrive.
    cluster_env.update(REELQ_ANALYZER="reelq.testing.analyzers:slow", REELQ_TEST_ANALYZER_SECONDS="0.3")
    cluster.start(3)
    auth = new_user(cluster_env, cluster.url)
    stop = threading.Event()
    kills_while_busy: list[int] = []

    def chaos() -> None:
        rng = random.Random(6)
        # every 1.5-3 s: warm analysis children finish 300 no-op jobs in well under a minute
        while not stop.wait(rng.uniform(1.5, 3.0)):
            busy = statuses(cluster_env).get("processing", 0)
            cluster.kill_and_restart(rng.randrange(3))
            kills_while_busy.append(busy)

    killer = threading.Thread(target=chaos, daemon=True)
    killer.start()
    try:
        ids = submit(cluster.url, auth, clip, n_jobs)
        counts = wait_all_finished(cluster_env, n_jobs, timeout=n_jobs * 1.0)
    finally:
        stop.set()
        killer.join(10)
    assert counts == {"completed": n_jobs}, counts
    assert_exactly_once(cluster_env, ids)
    # the chaos really hit running jobs: some were recovered from a dead worker's lease
    assert cluster.kills >= 5 and any(kills_while_busy)
    recovered = query(
        cluster_env, "SELECT count(DISTINCT job_id) FROM job_events WHERE event = 'job.recovered'"
    )
    assert recovered[0][0] >= 1
    assert statuses(cluster_env).get("processing", 0) == 0  # none stuck


def redis_running() -> bool:
    return subprocess.run(["redis-cli", "ping"], capture_output=True, text=True).stdout.strip() == "PONG"


@contextlib.contextmanager
def redis_restarted_in_the_end() -> Iterator[None]:
    try:
        yield
    finally:
        if not redis_running():
            subprocess.run(REDIS_START, check=False)
            wait_for(redis_running, 15, 0.2, "redis to come back")


def test_redis_restart_and_database_drop_mid_run(
    cluster: Cluster, cluster_env: dict[str, str], clip: Path
) -> None:
    cluster.start(2)
    base = cluster.url
    auth = new_user(cluster_env, base)
    ids = submit(base, auth, clip, 40)
    with redis_restarted_in_the_end():
        # Redis goes away with everything queued in it (no persistence), then comes back empty
        subprocess.run(["redis-cli", "shutdown", "nosave"], capture_output=True, check=False)
        wait_for(lambda: not redis_running(), 10, 0.1, "redis to stop")
        down = httpx.get(f"{base}/readyz", timeout=10)
        assert down.status_code == 503 and down.json()["checks"]["queue"].startswith("failing")
        ids += submit(base, auth, clip, 10)  # accepted while the queue is down: the row is the truth
        time.sleep(2)
        subprocess.run(REDIS_START, check=True)
        wait_for(redis_running, 15, 0.2, "redis to restart")
    ids += submit(base, auth, clip, 10)

    # PostgreSQL drops every connection and refuses new ones for a few seconds
    database = db_url(cluster_env).rsplit("/", 1)[1]
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS false')
        try:
            terminate_connections(database)
            r = httpx.get(f"{base}/api/jobs", headers=auth, timeout=10)
            assert r.status_code == 503, r.text
            assert r.headers["content-type"] == "application/problem+json"
            assert r.json()["code"] == "database_unavailable"
            assert httpx.get(f"{base}/readyz", timeout=10).json()["checks"]["database"].startswith("failing")
            time.sleep(3)  # workers' heartbeats and reaper passes fail meanwhile
        finally:
            admin.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true')
    wait_for(
        lambda: httpx.get(f"{base}/api/jobs", headers=auth, timeout=10).status_code == 200,
        15,
        0.2,
        "the API to recover by itself",
    )
    counts = wait_all_finished(cluster_env, len(ids), timeout=120)
    assert counts == {"completed": len(ids)}, counts
    assert_exactly_once(cluster_env, ids)
    wait_for(lambda: httpx.get(f"{base}/readyz", timeout=10).status_code == 200, 30, 0.5, "readyz")
