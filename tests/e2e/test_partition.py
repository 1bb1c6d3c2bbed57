"""Two workers on two hosts, PostgreSQL and Redis on a third; one host loses its network mid-job.

The other worker takes the job over; when the network comes back, the cut-off worker's late work is
refused; the job ends with exactly one result and one push per device. The hosts are network
namespaces of this machine (see netns.py), with host names of their own.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest
from e2e import netns
from integration.backends import pg_database, redis_queue

from reelq.testing.fake_expo import FakeExpo

from support import Server, base_env, cli, wait_for

pytestmark = pytest.mark.e2e

PHONE = "ExponentPushToken[partitionphone1]"


@pytest.fixture(scope="module", autouse=True)
def _namespaces() -> None:
    reason = netns.usable()
    if reason:
        pytest.skip(f"partition test skipped: {reason}")


def test_cut_off_worker_loses_its_job_and_its_late_work_is_refused(tmp_path: Path, clip: Path) -> None:
    with pg_database() as db_url, redis_queue() as queue_url, FakeExpo() as fake:
        fake.register(PHONE)
        expo_port = urlparse(fake.url).port
        assert expo_port is not None
        services = {"postgresql": 5432, "redis": 6379, "expo": expo_port}
        env = base_env(tmp_path / "data")
        for name in ("REELQ_LEASE_SECONDS", "REELQ_HEARTBEAT_SECONDS", "REELQ_REAPER_SECONDS"):
            env.pop(name)  # the defaults: takeover comes from the dead-worker check, not the lease
        env |= {
            "REELQ_DATABASE_URL": db_url,
            "REELQ_QUEUE_URL": queue_url,
            "REELQ_EXPO_API_URL": fake.url,
            "REELQ_ANALYZER": "reelq.testing.analyzers:slow",
            "REELQ_TEST_ANALYZER_SECONDS": "8",
            "REELQ_WORKER_CONCURRENCY": "1",
        }
        api = Server(env, "serve", "--no-worker", log=tmp_path / "api.log").start()
        procs: list[subprocess.Popen[bytes]] = []
        try:
            with netns.hosts(2, services) as (h1, h2):

                def worker(host: netns.Host, name: str) -> subprocess.Popen[bytes]:
                    local = dict(env)
                    for key in ("REELQ_DATABASE_URL", "REELQ_QUEUE_URL", "REELQ_EXPO_API_URL"):
                        for port, forwarded in host.ports.items():
                            local[key] = local[key].replace(
                                f"127.0.0.1:{port}", f"{host.gateway}:{forwarded}"
                            )
                    log = (tmp_path / f"{name}.log").open("ab")
                    argv = [sys.executable, "-m", "reelq.cli", "worker"]
                    return subprocess.Popen(host.command(name, argv), env=local, stdout=log, stderr=log)

                procs.append(worker(h1, "host-one"))
                token = cli(env, "users", "create", "alice").stdout.strip().splitlines()[-1]
                auth = {"Authorization": f"Bearer {token}"}
                r = httpx.post(
                    f"{api.url}/api/devices", headers=auth, json={"push_token": PHONE, "platform": "ios"}
                )
                assert r.status_code in (200, 201), r.text
                r = httpx.post(
                    f"{api.url}/api/upload", headers=auth, files={"video": ("c.mp4", clip.read_bytes())}
                )
                job_id = r.json()["job_id"]

                def job() -> dict:  # type: ignore[type-arg]
                    return httpx.get(f"{api.url}/api/results/job/{job_id}", headers=auth).json()  # type: ignore[no-any-return]

                wait_for(lambda: job()["progress"] > 0.05, 60, 0.1, "host one running the job")
                procs.append(worker(h2, "host-two"))
                time.sleep(3)  # host two is up and beating
                h1.cut()
                cut = time.monotonic()
                wait_for(lambda: job()["attempts"] == 2, 60, 0.2, "host two taking the job over")
                takeover = time.monotonic() - cut
                final = wait_for(
                    lambda: (j := job())["status"] in ("completed", "failed") and j, 60, 0.2, "the job to end"
                )
                assert final["status"] == "completed"
                time.sleep(8)  # host one's analysis has finished during the cut
                h1.heal()
                one_log = tmp_path / "host-one.log"
                wait_for(lambda: "job.lease_lost" in one_log.read_text(), 120, 0.5, "host one to give up")
                shown = cli(env, "jobs", "show", job_id).stdout
                assert shown.count("job.completed") == 1, shown
                assert "host-two" in shown and "host-one" in shown  # claimed once by each
                wait_for(lambda: len(fake.messages_for(PHONE)) >= 1, 30, 0.2, "the push")
                time.sleep(2)
                assert len(fake.messages_for(PHONE)) == 1
                assert job()["result"]["slept"] == 8.0
                print(f"takeover after {takeover:.1f} s")
        finally:
            for p in procs:
                p.kill()
                p.wait()
            api.stop()
