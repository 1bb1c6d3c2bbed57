"""`reelq serve` (a subprocess) + the fake Expo (in this process): pushes end to end, and across crashes."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from reelq.testing.fake_expo import FakeExpo

from support import Server, base_env, cli, poll_job, wait_for

pytestmark = pytest.mark.e2e

TOKEN = "ExponentPushToken[e2e-phone-1]"

# The worker side of `execute`, killed by SIGKILL right after the terminal commit, before any send.
DOOMED_WORKER = """
import os, signal, sys
from reelq.config import Settings
from reelq.runtime import Runtime
from reelq.worker.execute import WorkerConfig, WorkerDeps, execute

rt = Runtime.build(Settings())
die = lambda job: os.kill(os.getpid(), signal.SIGKILL)
deps = WorkerDeps(rt.store, rt.layout, WorkerConfig(), "doomed", lambda j, d: None, after_finish=[die])
execute(sys.argv[1], deps)
"""


@pytest.fixture
def fake() -> Iterator[FakeExpo]:
    with FakeExpo() as f:
        f.register(TOKEN)
        yield f


@pytest.fixture
def env(tmp_path: Path, fake: FakeExpo) -> dict[str, str]:
    return base_env(
        tmp_path / "data",
        REELQ_EXPO_API_URL=fake.url,
        REELQ_EXPO_RETRY_BASE_SECONDS="0.05",
        REELQ_NOTIFY_RETRY_BASE_SECONDS="0.2",
        REELQ_EXPO_COLLAPSE_DUPLICATES="true",
    )


@pytest.fixture
def servers() -> Iterator[list[Server]]:
    started: list[Server] = []
    yield started
    for s in started:
        s.stop()


def new_user(env: dict[str, str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {cli(env, 'users', 'create', 'alice').stdout.strip()}"}


def upload(base: str, auth: dict[str, str], clip: Path) -> str:
    with clip.open("rb") as f:
        r = httpx.post(
            f"{base}/api/upload",
            headers=auth,
            files={"video": ("swing.mp4", f)},
            data={"push_token": TOKEN},
            timeout=30,
        )
    assert r.status_code == 202, r.text
    return str(r.json()["job_id"])


def history(base: str, auth: dict[str, str], job_id: str) -> list[dict[str, Any]]:
    r = httpx.get(f"{base}/api/jobs/{job_id}/notifications", headers=auth, timeout=10)
    return list(r.json()["notifications"])


def test_upload_with_a_push_token_gets_exactly_one_push_with_the_right_data(
    env: dict[str, str], servers: list[Server], fake: FakeExpo, tmp_path: Path, clip: Path
) -> None:
    server = Server(env, "serve", log=tmp_path / "serve.log").start()
    servers.append(server)
    auth = new_user(env)
    job_id = upload(server.url, auth, clip)
    poll_job(server.url, auth, job_id, {"completed"})
    wait_for(lambda: fake.messages_for(TOKEN), 15, what="the push")
    time.sleep(1.5)  # several notify ticks later: still one
    [msg] = fake.messages_for(TOKEN)
    assert msg["data"] == {"jobId": job_id, "status": "completed", "url": f"reelq://results/{job_id}"}
    assert msg["title"] == "Analysis ready" and msg["body"] == "swing.mp4 has been analysed"
    [row] = history(server.url, auth, job_id)
    assert row["channel"] == "push" and row["state"] == "sent"
    assert row["ticket_id"] == fake.delivered[0].ticket_id


def test_worker_killed_after_the_terminal_commit_sends_exactly_once_after_restart(
    env: dict[str, str], servers: list[Server], fake: FakeExpo, tmp_path: Path, clip: Path
) -> None:
    api = Server(env, "serve", "--no-worker", log=tmp_path / "api.log").start()
    auth = new_user(env)
    job_id = upload(api.url, auth, clip)
    api.stop()
    doomed = subprocess.run(
        [sys.executable, "-c", DOOMED_WORKER, job_id], env=env, capture_output=True, text=True, timeout=120
    )
    assert doomed.returncode == -9, doomed.stderr
    assert fake.delivered == []
    assert json.loads(cli(env, "jobs", "show", job_id).stdout)["status"] == "completed"

    server = Server(env, "serve", log=tmp_path / "serve.log").start()
    servers.append(server)
    assert history(server.url, auth, job_id)[0]["state"] in ("pending", "sent")  # the row survived the kill
    wait_for(lambda: fake.messages_for(TOKEN), 15, what="the push after restart")
    time.sleep(1.5)
    assert len(fake.messages_for(TOKEN)) == 1
    assert fake.messages_for(TOKEN)[0]["data"]["jobId"] == job_id
    assert history(server.url, auth, job_id)[0]["state"] == "sent"


def test_worker_killed_while_expo_stalls_gives_at_most_one_duplicate(
    env: dict[str, str], servers: list[Server], fake: FakeExpo, tmp_path: Path, clip: Path
) -> None:
    env = {**env, "REELQ_EXPO_TIMEOUT_SECONDS": "30", "REELQ_PUSH_LEASE_SECONDS": "2"}
    fake.stall_s = 60  # Expo takes the message, then does not answer
    server = Server(env, "serve", log=tmp_path / "serve1.log").start()
    auth = new_user(env)
    job_id = upload(server.url, auth, clip)
    wait_for(lambda: fake.messages_for(TOKEN), 30, what="the stalled send")
    server.kill9()  # dies mid-request: the ticket never reached the database
    fake.stall_s = 0

    server = Server(env, "serve", log=tmp_path / "serve2.log").start()
    servers.append(server)
    wait_for(lambda: history(server.url, auth, job_id)[0]["state"] == "sent", 20, what="the resend")
    time.sleep(1.5)
    copies = fake.messages_for(TOKEN)
    assert len(copies) == 2  # the original and one duplicate, never more
    assert {c["data"]["jobId"] for c in copies} == {job_id}
    assert {c["collapseId"] for c in copies} == {f"job:{job_id}"}  # the copy replaces the first on the phone
    assert history(server.url, auth, job_id)[0]["attempts"] == 2
