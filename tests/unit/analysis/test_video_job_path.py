"""The video analyzer through the real job path: upload, queue, child process, result, artifacts."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from reelq.app import create_app
from reelq.config import Settings
from reelq.runtime import Runtime
from reelq.testing.corpus import CorpusClip, long_clip


def _client(data_dir: Path, **overrides: Any) -> TestClient:
    values: dict[str, Any] = {"data_dir": data_dir, "analyzer": "video", "disk_reserve_bytes": 0}
    values.update(overrides)
    return TestClient(create_app(Settings(**values)))


def _token(client: TestClient) -> dict[str, str]:
    runtime: Runtime = client.app.state.runtime  # type: ignore[attr-defined]
    _, token = runtime.users.create("alice")
    return {"Authorization": f"Bearer {token}"}


def _run(client: TestClient, auth: dict[str, str], path: Path, timeout: float) -> tuple[str, dict[str, Any]]:
    with path.open("rb") as f:
        r = client.post("/api/upload", headers=auth, files={"video": (path.name, f)})
    assert r.status_code == 202, r.text
    job_id = r.json()["job_id"]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job: dict[str, Any] = client.get(f"/api/results/job/{job_id}", headers=auth).json()
        if job["status"] in ("completed", "failed", "cancelled"):
            return job_id, job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not finish in {timeout} s")


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with _client(tmp_path / "data") as c:
        yield c


def test_video_job_completes_with_served_thumbnails(
    client: TestClient, corpus: dict[str, CorpusClip]
) -> None:
    auth = _token(client)
    job_id, job = _run(client, auth, corpus["portrait_hevc"].path, timeout=60)
    assert job["status"] == "completed", job
    result = job["result"]
    assert result["analyzer"] == {"name": "video", "version": "1.2"}
    assert result["metadata"]["video"]["rotation"] == -90
    poster = result["thumbnails"]["poster"]
    path, _, signature = poster["url"].partition("?")
    assert path == f"/api/jobs/{job_id}/artifacts/poster.jpg" and signature.startswith("exp=")
    r = client.get(path, headers=auth)
    assert r.status_code == 200 and r.content[:3] == b"\xff\xd8\xff"  # a JPEG
    assert client.get(path).status_code == 401  # owner only, or
    assert client.get(poster["url"]).content == r.content  # the signed URL of the owner's answer


def test_unreadable_upload_fails_permanently(client: TestClient, corpus: dict[str, CorpusClip]) -> None:
    auth = _token(client)
    _, job = _run(client, auth, corpus["truncated_end"].path, timeout=60)
    assert job["status"] == "failed"
    assert job["error"]["code"] == "unreadable_media" and job["error"]["retryable"] is False
    assert job["attempts"] == 1


@pytest.mark.slow
def test_five_minute_1080p_clip_finishes_within_the_default_time_limit(tmp_path: Path) -> None:
    clip = long_clip(tmp_path / "five_minutes.mp4", seconds=300)
    limit = Settings().job_time_limit
    with _client(tmp_path / "data") as client:
        auth = _token(client)
        started = time.monotonic()
        _, job = _run(client, auth, clip.path, timeout=limit + 60)
        elapsed = time.monotonic() - started
    assert job["status"] == "completed", job
    assert elapsed < limit
    result = job["result"]
    assert result["integrity"]["status"] == "ok"
    assert result["integrity"]["frames_decoded"] == 9000
    assert result["metadata"]["duration"] == pytest.approx(300.0, abs=0.1)
    assert len(result["cuts"]) == len(clip.truth["cuts"])
    print(f"5-minute 1080p30 clip through the job path: {elapsed:.1f} s (limit {limit:.0f} s)")
