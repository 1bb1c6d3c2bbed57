"""Job routes against the app with its embedded worker: results, caching, long poll, history, actions."""

from __future__ import annotations

import time
from pathlib import Path

from fastapi.testclient import TestClient

from reelq.app import create_app
from reelq.runtime import Runtime

from support import fast_settings, make_user, wait_for


def rt_of(client: TestClient) -> Runtime:
    return client.app.state.runtime  # type: ignore[attr-defined,no-any-return]


def submit(client: TestClient, auth: dict[str, str], clip: Path, **form: str) -> str:
    r = client.post("/api/upload", headers=auth, files={"video": ("clip.mp4", clip.read_bytes())}, data=form)
    assert r.status_code == 202, r.text
    return str(r.json()["job_id"])


def wait_status(
    client: TestClient, auth: dict[str, str], job_id: str, statuses: set[str], timeout: float = 30
):  # type: ignore[no-untyped-def]
    def check():  # type: ignore[no-untyped-def]
        body = client.get(f"/api/results/job/{job_id}", headers=auth).json()
        return body if body["status"] in statuses else None

    return wait_for(check, timeout, 0.1, f"{job_id} in {statuses}")


def test_probe_result_describes_the_clip(client: TestClient, auth: dict[str, str], clip: Path) -> None:
    job_id = submit(client, auth, clip, analyzer="probe")
    job = wait_status(client, auth, job_id, {"completed", "failed"})
    assert job["status"] == "completed", job
    result = job["result"]
    assert result["analyzer"]["name"] == "probe"
    metadata = result["metadata"]  # the same shape as the video analyzer's
    assert abs(metadata["duration"] - 2.0) < 0.05
    assert (metadata["video"]["display_width"], metadata["video"]["display_height"]) == (320, 240)
    assert metadata["video"]["codec"] == "h264" and metadata["audio"]["codec"] == "aac"
    assert job["progress"] == 1.0 and job["attempts"] == 1
    assert job["started_at"] and job["finished_at"] and job["error"] is None


def test_etag_304_and_retry_after(api_only: TestClient, clip: Path) -> None:
    auth = make_user(api_only)
    job_id = submit(api_only, auth, clip)
    r = api_only.get(f"/api/results/job/{job_id}", headers=auth)
    assert r.headers["retry-after"] and r.headers["etag"]
    again = api_only.get(f"/api/results/job/{job_id}", headers={**auth, "If-None-Match": r.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    rt_of(api_only).service.cancel(rt_of(api_only).users.by_name("alice").id, job_id)  # type: ignore[union-attr]
    changed = api_only.get(f"/api/results/job/{job_id}", headers={**auth, "If-None-Match": r.headers["etag"]})
    assert changed.status_code == 200 and changed.json()["status"] == "cancelled"
    assert "retry-after" not in changed.headers  # terminal


def test_long_poll_returns_when_the_job_changes(api_only: TestClient, clip: Path) -> None:
    auth = make_user(api_only)
    job_id = submit(api_only, auth, clip)
    t = time.monotonic()
    r = api_only.get(f"/api/results/job/{job_id}?wait=1", headers=auth)
    assert r.json()["status"] == "queued" and 0.9 <= time.monotonic() - t < 5
    import threading

    rt = rt_of(api_only)
    user_id = rt.users.by_name("alice").id  # type: ignore[union-attr]
    threading.Timer(0.5, lambda: rt.service.cancel(user_id, job_id)).start()
    t = time.monotonic()
    r = api_only.get(f"/api/results/job/{job_id}?wait=30", headers=auth)
    assert r.json()["status"] == "cancelled" and time.monotonic() - t < 5
    assert api_only.get(f"/api/results/job/{job_id}?wait=301", headers=auth).status_code == 400


def test_history_paginates_and_filters(api_only: TestClient, clip: Path) -> None:
    auth = make_user(api_only)
    ids = [submit(api_only, auth, clip) for _ in range(5)]
    api_only.post(f"/api/jobs/{ids[0]}/cancel", headers=auth)
    page1 = api_only.get("/api/jobs?limit=2", headers=auth).json()
    assert [j["job_id"] for j in page1["jobs"]] == ids[::-1][:2]
    assert "result" not in page1["jobs"][0]
    page2 = api_only.get(f"/api/jobs?limit=2&cursor={page1['next_cursor']}", headers=auth).json()
    page3 = api_only.get(f"/api/jobs?limit=2&cursor={page2['next_cursor']}", headers=auth).json()
    assert [j["job_id"] for j in page2["jobs"] + page3["jobs"]] == ids[::-1][2:]
    assert page3["next_cursor"] is None
    cancelled = api_only.get("/api/jobs?status=cancelled", headers=auth).json()["jobs"]
    assert [j["job_id"] for j in cancelled] == [ids[0]]
    both = api_only.get("/api/jobs?status=cancelled&status=queued", headers=auth).json()["jobs"]
    assert len(both) == 5
    assert api_only.get("/api/jobs?status=done", headers=auth).status_code == 400
    assert api_only.get("/api/jobs?limit=101", headers=auth).status_code == 400
    assert api_only.get("/api/jobs?cursor=../x", headers=auth).status_code == 400


def test_cancel_retry_delete(api_only: TestClient, clip: Path) -> None:
    auth = make_user(api_only)
    job_id = submit(api_only, auth, clip)
    assert api_only.post(f"/api/jobs/{job_id}/retry", headers=auth).status_code == 409
    assert api_only.post(f"/api/jobs/{job_id}/cancel", headers=auth).status_code == 202
    r = api_only.post(f"/api/jobs/{job_id}/cancel", headers=auth)
    assert r.status_code == 409 and r.json()["code"] == "job_finished"
    assert api_only.post(f"/api/jobs/{job_id}/retry", headers=auth).status_code == 202
    assert api_only.get(f"/api/results/job/{job_id}", headers=auth).json()["status"] == "queued"
    job_dir = next(rt_of(api_only).layout.root.rglob(job_id))
    assert job_dir.is_dir()
    assert api_only.delete(f"/api/jobs/{job_id}", headers=auth).status_code == 204
    assert api_only.get(f"/api/results/job/{job_id}", headers=auth).status_code == 404
    assert not job_dir.exists()


def test_running_job_is_cancelled_within_seconds(tmp_path: Path, clip: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("REELQ_TEST_ANALYZER_SECONDS", "60")
    settings = fast_settings(tmp_path / "d", analyzer="reelq.testing.analyzers:slow", worker_concurrency=1)
    with TestClient(create_app(settings)) as client:
        auth = make_user(client)
        job_id = submit(client, auth, clip)
        wait_for(
            lambda: client.get(f"/api/results/job/{job_id}", headers=auth).json()["progress"] > 0,
            30,
            what="progress",
        )
        t = time.monotonic()
        assert client.post(f"/api/jobs/{job_id}/cancel", headers=auth).json()["status"] == "processing"
        job = wait_status(client, auth, job_id, {"cancelled"}, timeout=10)
        assert time.monotonic() - t < 5
        assert job["finished_at"]
        # the worker is free again: the next job runs
        monkeypatch.setenv("REELQ_TEST_ANALYZER_SECONDS", "0.1")


def test_transient_error_is_retried_with_backoff(tmp_path: Path, clip: Path) -> None:
    settings = fast_settings(tmp_path / "d", analyzer="reelq.testing.analyzers:flaky")
    with TestClient(create_app(settings)) as client:
        auth = make_user(client)
        job_id = submit(client, auth, clip)
        job = wait_status(client, auth, job_id, {"completed", "failed"})
        assert job["status"] == "completed" and job["attempts"] == 2
        assert job["result"]["attempt"] == 2
        events = [e["event"] for e in rt_of(client).store.events(job_id)]
        assert "job.retry_scheduled" in events


def test_analyzer_bug_fails_without_retry(tmp_path: Path, clip: Path) -> None:
    settings = fast_settings(tmp_path / "d", analyzer="reelq.testing.analyzers:explode")
    with TestClient(create_app(settings)) as client:
        auth = make_user(client)
        job_id = submit(client, auth, clip)
        job = wait_status(client, auth, job_id, {"completed", "failed"})
        assert job["status"] == "failed" and job["attempts"] == 1
        assert job["error"]["code"] == "analyzer_error" and not job["error"]["retryable"]
        assert "ZeroDivisionError" not in job["error"]["message"]  # the details are for the admin
        assert "Traceback" not in job["error"]["message"]


def test_time_limit_kills_the_analysis(tmp_path: Path, clip: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("REELQ_TEST_ANALYZER_SECONDS", "60")
    settings = fast_settings(tmp_path / "d", analyzer="reelq.testing.analyzers:slow", job_time_limit=2.0)
    with TestClient(create_app(settings)) as client:
        auth = make_user(client)
        job_id = submit(client, auth, clip)
        job = wait_status(client, auth, job_id, {"completed", "failed"}, timeout=20)
        assert job["status"] == "failed" and job["error"]["code"] == "time_limit_exceeded"


def test_artifacts_are_served_to_the_owner_only(api_only: TestClient, clip: Path) -> None:
    alice = make_user(api_only, "alice")
    job_id = submit(api_only, alice, clip)
    rt = rt_of(api_only)
    job = rt.store.get(job_id)
    assert job is not None
    art = rt.layout.artifacts_dir(job.user_id, job_id)
    art.mkdir(parents=True)
    (art / "poster.jpg").write_bytes(b"\xff\xd8jpeg")
    (rt.layout.root / "secret.txt").write_text("no")
    r = api_only.get(f"/api/jobs/{job_id}/artifacts/poster.jpg", headers=alice)
    assert r.status_code == 200 and r.content == b"\xff\xd8jpeg"
    for bad in ["..%2F..%2F..%2F..%2F..%2Fsecret.txt", "missing.jpg", ".hidden", "%2E%2E", "a%00b"]:
        assert api_only.get(f"/api/jobs/{job_id}/artifacts/{bad}", headers=alice).status_code == 404, bad


def test_events_stream_until_terminal(client: TestClient, auth: dict[str, str], clip: Path) -> None:
    job_id = submit(client, auth, clip)
    with client.stream("GET", f"/api/jobs/{job_id}/events", headers=auth) as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        text = "".join(r.iter_text())
    assert "event: end" in text and '"status": "completed"' in text


def test_problem_json_for_unknown_routes(client: TestClient) -> None:
    r = client.get("/api/nope")
    assert r.status_code in (401, 404)
    assert r.headers["content-type"] == "application/problem+json"
    assert set(r.json()) == {"type", "title", "status", "detail", "code"}


def test_openapi_describes_the_contract(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path in [
        "/api/upload",
        "/api/results/job/{job_id}",
        "/api/jobs",
        "/api/jobs/{job_id}/cancel",
        "/api/jobs/{job_id}/retry",
        "/api/jobs/{job_id}",
        "/api/jobs/{job_id}/artifacts/{name}",
        "/api/jobs/{job_id}/events",
        "/healthz",
        "/readyz",
    ]:
        assert path in spec["paths"], path
    assert "multipart/form-data" in spec["paths"]["/api/upload"]["post"]["requestBody"]["content"]
    # /docs can authorize: the bearer scheme is declared and every /api operation needs it
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert spec["paths"]["/api/upload"]["post"]["security"] == [{"bearerAuth": []}]
    assert "security" not in spec["paths"]["/healthz"]["get"]


def test_status_micro_cache_is_short_lived_and_per_user(tmp_path: Path, clip: Path) -> None:
    settings = fast_settings(tmp_path / "d", embedded_worker=False, status_cache_seconds=0.5)
    with TestClient(create_app(settings)) as client:
        alice = make_user(client, "alice")
        bob = make_user(client, "bob")
        job_id = submit(client, alice, clip)
        assert client.get(f"/api/results/job/{job_id}", headers=alice).json()["status"] == "queued"
        rt = rt_of(client)
        rt.store.cancel(job_id)  # as a worker would: behind the API's back
        # within the TTL the answer may be stale, but never leaks to another user
        assert client.get(f"/api/results/job/{job_id}", headers=bob).status_code == 404
        time.sleep(0.6)
        assert client.get(f"/api/results/job/{job_id}", headers=alice).json()["status"] == "cancelled"
        # an action through the API is visible at once
        assert client.post(f"/api/jobs/{job_id}/retry", headers=alice).status_code == 202
        assert client.get(f"/api/results/job/{job_id}", headers=alice).json()["status"] == "queued"
        # ?wait= always reads fresh
        assert client.get(f"/api/results/job/{job_id}?wait=1", headers=alice).json()["status"] == "queued"
        # a repeat poll answered from memory is the same answer, 304 included
        first = client.get(f"/api/results/job/{job_id}", headers=alice)
        again = client.get(f"/api/results/job/{job_id}", headers=alice)
        assert again.content == first.content and again.headers["etag"] == first.headers["etag"]
        assert again.headers["retry-after"] == first.headers["retry-after"]
        etag = {"If-None-Match": first.headers["etag"]}
        assert client.get(f"/api/results/job/{job_id}", headers={**alice, **etag}).status_code == 304
        # a browser (Origin) still gets its CORS headers
        browser = client.get(f"/api/results/job/{job_id}", headers={**alice, "Origin": "https://app.example"})
        assert browser.content == first.content
        assert browser.headers["access-control-allow-origin"] in ("*", "https://app.example")
        assert client.get(f"/api/results/job/{job_id}?wait=x", headers=alice).status_code == 400


def test_the_default_analyzer_is_video(client: TestClient, auth: dict[str, str], clip: Path) -> None:
    job_id = submit(client, auth, clip)
    job = wait_status(client, auth, job_id, {"completed", "failed"})
    assert job["status"] == "completed", job
    assert job["analyzer"] == "video" and job["result"]["analyzer"]["name"] == "video"
    assert abs(job["result"]["metadata"]["duration"] - 2.0) < 0.05
    poster = job["result"]["thumbnails"]["poster"]["url"]
    assert poster.startswith(f"/api/jobs/{job_id}/artifacts/")
    r = client.get(poster, headers=auth)
    assert r.status_code == 200 and r.content[:2] == b"\xff\xd8"
