"""Fixtures for the notification tests: a running fake Expo and a Runtime pointed at it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from reelq.config import Settings
from reelq.ids import new_id
from reelq.jobs.models import Job, JobError
from reelq.jobs.states import JobStatus
from reelq.notify.push.expo import ExpoClient
from reelq.runtime import Runtime
from reelq.testing.fake_expo import FakeExpo


@pytest.fixture
def fake() -> Iterator[FakeExpo]:
    with FakeExpo() as f:
        yield f


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client() as c:
        yield c


@pytest.fixture
def expo(fake: FakeExpo, http: httpx.Client) -> ExpoClient:
    delays: list[float] = []
    client = ExpoClient(http, fake.url, timeout=5, max_retries=3, retry_base=0.01, sleep=delays.append)
    client.delays = delays  # type: ignore[attr-defined]
    return client


@pytest.fixture
def nsettings(tmp_path: Path, fake: FakeExpo) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        disk_reserve_bytes=0,
        expo_api_url=fake.url,
        expo_retry_base_seconds=0.01,
        expo_timeout_seconds=5,
        notify_retry_base_seconds=0,
        expo_receipt_delay_seconds=0,
        webhook_timeout_seconds=2,
        webhook_allow_private=True,  # the test receivers listen on 127.0.0.1
    )


@pytest.fixture
def rt(nsettings: Settings) -> Iterator[Runtime]:
    runtime = Runtime.build(nsettings)
    yield runtime
    runtime.close()


@pytest.fixture
def user(rt: Runtime) -> str:
    u, _ = rt.users.create(f"u{new_id()[-6:]}")
    return u.id


@pytest.fixture
def finish(rt: Runtime) -> Callable[..., Job]:
    """Drive one job through the real store to a terminal state (what a worker does, minus analysis)."""

    def run(user_id: str, status: JobStatus = JobStatus.COMPLETED, name: str = "swing.mov") -> Job:
        job_id = new_id()
        rt.store.insert(
            {
                "id": job_id,
                "user_id": user_id,
                "analyzer": "probe",
                "max_attempts": 3,
                "file_name": name,
                "file_size": 10,
                "file_sha256": "0" * 64,
                "content_type": "video/mp4",
                "source_path": f"users/{user_id}/jobs/{job_id}/source.mp4",
            }
        )
        lease = new_id()
        assert rt.store.claim(job_id, lease, "test", 30) is not None
        error = JobError("unreadable_video", "The file is not a readable video.", False)
        return rt.store.finish(
            job_id,
            lease,
            status,
            result={"ok": True} if status is JobStatus.COMPLETED else None,
            error=None if status is JobStatus.COMPLETED else error,
        )

    return run
