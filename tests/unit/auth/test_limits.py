"""Quotas and rate limits: 429 with Retry-After and RateLimit fields, 507/413 for storage, nothing stored."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from reelq.app import create_app
from reelq.runtime import Runtime

from support import fast_settings


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def rt_of(client: TestClient) -> Runtime:
    return client.app.state.runtime  # type: ignore[attr-defined,no-any-return]


def upload(client: TestClient, headers: dict[str, str], data: bytes):  # type: ignore[no-untyped-def]
    return client.post("/api/upload", headers=headers, files={"video": ("c.mp4", data, "video/mp4")})


def stored_files(rt: Runtime) -> list[Path]:
    return [p for p in (rt.layout.root / "users").rglob("*") if p.is_file()] + [
        p for p in rt.layout.incoming.rglob("*") if p.is_file()
    ]


def client_with(tmp_path: Path, **limits: object) -> TestClient:
    return TestClient(create_app(fast_settings(tmp_path / "data", embedded_worker=False, **limits)))


def away_from_window_edge(window: int, margin: float) -> None:
    """Fixed windows: start a burst well inside one, so it cannot straddle a reset."""
    left = window - time.time() % window
    if left < margin:
        time.sleep(left + 0.05)


@pytest.fixture
def small(tmp_path: Path) -> Iterator[TestClient]:
    with client_with(tmp_path, limit_uploads_per_minute=2, limit_concurrent_jobs=0) as c:
        yield c


def test_the_n_plus_first_upload_in_a_minute_is_429_with_retry_after(small: TestClient, clip: Path) -> None:
    _, token = rt_of(small).users.create("eager")
    data = clip.read_bytes()
    away_from_window_edge(60, 10)
    assert [upload(small, bearer(token), data).status_code for _ in range(2)] == [202, 202]
    r = upload(small, bearer(token), data)
    assert r.status_code == 429, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["code"] == "upload_rate_limited"
    retry = int(r.headers["retry-after"])
    assert 1 <= retry <= 60
    assert r.headers["ratelimit-policy"] == '"uploads";q=2;w=60'
    assert r.headers["ratelimit"] == f'"uploads";r=0;t={retry}'
    # another user has a counter of its own
    _, other = rt_of(small).users.create("calm")
    assert upload(small, bearer(other), data).status_code == 202


def test_over_the_storage_quota_is_507_and_nothing_is_stored(tmp_path: Path, clip: Path) -> None:
    size = clip.stat().st_size
    with client_with(tmp_path, limit_storage_bytes=size + size // 2) as c:
        rt = rt_of(c)
        _, token = rt.users.create("hoarder")
        assert upload(c, bearer(token), clip.read_bytes()).status_code == 202
        before = stored_files(rt)
        r = upload(c, bearer(token), clip.read_bytes())
        assert r.status_code == 507, r.text
        body = r.json()
        assert body["code"] == "storage_quota_exceeded" and str(size) in body["detail"]
        assert stored_files(rt) == before
        assert len(c.get("/api/jobs", headers=bearer(token)).json()["jobs"]) == 1


def test_an_upload_larger_than_the_whole_quota_is_413(tmp_path: Path, clip: Path) -> None:
    with client_with(tmp_path, limit_storage_bytes=1000) as c:
        _, token = rt_of(c).users.create("big")
        r = upload(c, bearer(token), clip.read_bytes())
        assert r.status_code == 413 and r.json()["code"] == "upload_exceeds_quota"
        assert stored_files(rt_of(c)) == []


def test_tus_creation_over_the_storage_quota_is_refused_before_any_byte(tmp_path: Path) -> None:
    with client_with(tmp_path, limit_storage_bytes=10_000) as c:
        _, token = rt_of(c).users.create("tusser")
        headers = {**bearer(token), "Tus-Resumable": "1.0.0", "Upload-Length": "20000"}
        r = c.post("/api/uploads/", headers=headers)
        assert r.status_code == 413 and r.json()["code"] == "upload_exceeds_quota"
        assert r.headers["tus-resumable"] == "1.0.0"
        ok = c.post("/api/uploads/", headers={**headers, "Upload-Length": "6000"})
        assert ok.status_code == 201, ok.text
        r = c.post("/api/uploads/", headers={**headers, "Upload-Length": "6000"})  # 6000 already promised
        assert r.status_code == 507 and r.json()["code"] == "storage_quota_exceeded"


def test_concurrent_jobs_limit_is_429(tmp_path: Path, clip: Path) -> None:
    with client_with(tmp_path, limit_concurrent_jobs=1) as c:
        _, token = rt_of(c).users.create("busy")
        assert upload(c, bearer(token), clip.read_bytes()).status_code == 202  # queued: no worker here
        r = upload(c, bearer(token), clip.read_bytes())
        assert r.status_code == 429 and r.json()["code"] == "too_many_active_jobs"
        assert int(r.headers["retry-after"]) > 0


def test_jobs_per_day_limit_is_429_until_the_next_utc_day(tmp_path: Path, clip: Path) -> None:
    with client_with(tmp_path, limit_jobs_per_day=1, limit_concurrent_jobs=0) as c:
        _, token = rt_of(c).users.create("daily")
        assert upload(c, bearer(token), clip.read_bytes()).status_code == 202
        r = upload(c, bearer(token), clip.read_bytes())
        assert r.status_code == 429 and r.json()["code"] == "daily_job_limit"
        assert 0 < int(r.headers["retry-after"]) <= 86400
        assert r.headers["ratelimit-policy"] == '"jobs-day";q=1;w=86400'


def test_requests_per_second_per_token_and_admin_override(tmp_path: Path) -> None:
    with client_with(tmp_path, limit_requests_per_second=5) as c:
        rt = rt_of(c)
        _, token = rt.users.create("poller")
        away_from_window_edge(1, 0.5)
        codes = [c.get("/api/jobs", headers=bearer(token)).status_code for _ in range(12)]
        assert codes.count(429) >= 1 and codes[:5] == [200] * 5
        r = c.get("/api/jobs", headers=bearer(token))
        if r.status_code == 429:
            assert r.json()["code"] == "request_rate_limited"
            assert r.headers["ratelimit-policy"] == '"token";q=5;w=1'
            assert r.headers["retry-after"] == "1"
        # an admin raises this user's limit
        user = rt.users.by_name("poller")
        assert user is not None
        from reelq.api.admin import accounts_of

        accounts_of(rt).update(user.id, limits={"requests_per_second": 1000})
        time.sleep(1.0)
        assert all(c.get("/api/jobs", headers=bearer(token)).status_code == 200 for _ in range(12))


def test_unauthenticated_requests_are_limited_per_client_address(tmp_path: Path) -> None:
    with client_with(tmp_path, limit_anonymous_requests_per_second=3) as c:
        away_from_window_edge(1, 0.5)
        codes = [c.get("/api/jobs", headers=bearer("rq_made_up")).status_code for _ in range(8)]
        assert codes[:3] == [401] * 3 and 429 in codes
        r = c.get("/healthz")
        assert r.status_code in (200, 429)


def test_a_dead_redis_does_not_take_requests_down(tmp_path: Path) -> None:
    """Counters in Redis fail open: with Redis unreachable, requests are answered (not counted)."""
    settings = fast_settings(tmp_path / "data", embedded_worker=False, queue_url="redis://127.0.0.1:1/0")
    with TestClient(create_app(settings)) as c:
        _, token = rt_of(c).users.create("steady")
        assert c.get("/healthz").status_code == 200
        assert [c.get("/api/jobs", headers=bearer(token)).status_code for _ in range(3)] == [200] * 3
