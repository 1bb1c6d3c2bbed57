"""Uploads through the console's tus endpoint meet the same quotas as ``POST /api/upload``, through
the same code: the same problem codes and the same headers."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from console_helpers import sign_in
from fastapi.testclient import TestClient

from reelq.api.admin import accounts_of
from reelq.app import create_app

from support import fast_settings

PROBLEM_HEADERS = ("retry-after", "ratelimit", "ratelimit-policy")


@pytest.fixture
def c(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(fast_settings(tmp_path / "data", embedded_worker=False))) as client:
        yield client


def limit(c: TestClient, name: str, **limits: int) -> None:
    rt = c.app.state.runtime  # type: ignore[attr-defined]
    user = rt.users.by_name(name)
    accounts_of(rt).update(user.id, limits=limits)


def api_upload(c: TestClient, token: str, clip: Path) -> httpx.Response:
    return c.post(
        "/api/upload",
        headers={"Authorization": f"Bearer {token}"},
        files={"video": ("clip.mp4", clip.read_bytes(), "video/mp4")},
    )


def console_upload(c: TestClient, csrf: str, clip: Path) -> httpx.Response:
    tus = {"Tus-Resumable": "1.0.0", "X-CSRF-Token": csrf}
    size = clip.stat().st_size
    made = c.post("/console/uploads/", headers={**tus, "Upload-Length": str(size)})
    if made.status_code != 201:
        return made
    assert made.headers["location"].startswith("/console/uploads/")
    return c.patch(
        made.headers["location"],
        content=clip.read_bytes(),
        headers={**tus, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"},
    )


def same_refusal(a: httpx.Response, b: httpx.Response) -> None:
    assert a.status_code == b.status_code, (a.text, b.text)
    assert a.json()["code"] == b.json()["code"]
    for name in PROBLEM_HEADERS:
        assert (name in a.headers) == (name in b.headers), name


def test_concurrent_jobs(c: TestClient, clip: Path) -> None:
    token, csrf = sign_in(c, "alice")
    limit(c, "alice", concurrent_jobs=1)
    assert console_upload(c, csrf, clip).status_code == 204  # one queued job (no worker runs it)
    by_console = console_upload(c, csrf, clip)
    by_api = api_upload(c, token, clip)
    assert by_console.status_code == 429 and by_console.json()["code"] == "too_many_active_jobs"
    same_refusal(by_console, by_api)


def test_uploads_per_minute(c: TestClient, clip: Path) -> None:
    token, csrf = sign_in(c, "alice")
    limit(c, "alice", uploads_per_minute=2, concurrent_jobs=0)
    if 60 - time.time() % 60 < 10:  # not across a minute's edge
        time.sleep(60 - time.time() % 60 + 0.05)
    assert console_upload(c, csrf, clip).status_code == 204
    assert api_upload(c, token, clip).status_code == 202  # one counter for both faces
    by_console = console_upload(c, csrf, clip)
    by_api = api_upload(c, token, clip)
    assert by_console.status_code == 429 and by_console.json()["code"] == "upload_rate_limited"
    same_refusal(by_console, by_api)
    assert by_console.headers["ratelimit-policy"] == by_api.headers["ratelimit-policy"]


def test_storage_quota(c: TestClient, clip: Path) -> None:
    token, csrf = sign_in(c, "alice")
    limit(c, "alice", storage_bytes=clip.stat().st_size * 3 // 2, concurrent_jobs=0)
    assert console_upload(c, csrf, clip).status_code == 204
    by_console = console_upload(c, csrf, clip)
    by_api = api_upload(c, token, clip)
    assert by_console.status_code == 507 and by_console.json()["code"] == "storage_quota_exceeded"
    same_refusal(by_console, by_api)
