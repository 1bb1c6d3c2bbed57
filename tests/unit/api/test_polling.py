"""The status route: one cache layer as middleware, the documented route runs, ``?wait=`` and ``until``,
and the per-user cap on event streams and long polls."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from starlette.types import Receive, Scope, Send

from reelq.api.polling import StatusCacheHit
from reelq.app import create_app
from reelq.jobs.states import JobStatus
from reelq.runtime import Runtime

from support import fast_settings, make_user, wait_for


def rt_of(client: TestClient) -> Runtime:
    return client.app.state.runtime  # type: ignore[attr-defined,no-any-return]


def submit(client: TestClient, auth: dict[str, str], clip: Path) -> str:
    r = client.post("/api/upload", headers=auth, files={"video": ("clip.mp4", clip.read_bytes())})
    assert r.status_code == 202, r.text
    return str(r.json()["job_id"])


def etag(client: TestClient, auth: dict[str, str], job_id: str) -> str:
    return client.get(f"/api/results/job/{job_id}", headers=auth).headers["etag"]  # type: ignore[no-any-return]


def user_id(client: TestClient) -> str:
    user = rt_of(client).users.by_name("alice")
    assert user is not None
    return user.id


@pytest.fixture
def app_client(tmp_path: Path) -> Iterator[TestClient]:
    settings = fast_settings(
        tmp_path / "d", embedded_worker=False, max_wait_seconds=120, max_streams_per_user=2
    )
    with TestClient(create_app(settings)) as c:
        yield c


def test_the_cache_is_ordinary_middleware_and_the_documented_route_answers(
    app_client: TestClient, clip: Path
) -> None:
    app = app_client.app
    assert "build_middleware_stack" not in vars(app)  # nothing patched
    assert StatusCacheHit in [m.cls for m in app.user_middleware]  # type: ignore[attr-defined]
    auth = make_user(app_client)
    job_id = submit(app_client, auth, clip)
    seen: list[object] = []

    async def recording(scope: Scope, receive: Receive, send: Send) -> None:
        await app(scope, receive, send)  # type: ignore[arg-type]
        if scope["type"] == "http":
            seen.append(scope.get("endpoint"))

    with TestClient(recording) as c:
        assert c.get(f"/api/results/job/{job_id}?wait=0", headers=auth).status_code == 200
    assert [getattr(e, "__name__", e) for e in seen] == ["get_result"]


def test_wait_accepts_up_to_the_setting_and_refuses_beyond_the_ceiling(
    app_client: TestClient, clip: Path
) -> None:
    auth = make_user(app_client)
    job_id = submit(app_client, auth, clip)
    threading.Timer(0.5, lambda: rt_of(app_client).service.cancel(user_id(app_client), job_id)).start()
    t = time.monotonic()
    r = app_client.get(f"/api/results/job/{job_id}?wait=90", headers=auth)  # REELQ_MAX_WAIT_SECONDS=120
    assert r.status_code == 200 and r.json()["status"] == "cancelled" and time.monotonic() - t < 10
    too_long = app_client.get(f"/api/results/job/{job_id}?wait=301", headers=auth)
    assert too_long.status_code == 400 and too_long.json()["code"] == "bad_request"


def test_wait_is_clamped_to_the_setting(tmp_path: Path, clip: Path) -> None:
    settings = fast_settings(tmp_path / "d", embedded_worker=False, max_wait_seconds=1)
    with TestClient(create_app(settings)) as c:
        auth = make_user(c)
        job_id = submit(c, auth, clip)
        t = time.monotonic()
        r = c.get(f"/api/results/job/{job_id}?wait=50", headers=auth)
        assert r.status_code == 200 and r.json()["status"] == "queued"
        assert 0.9 <= time.monotonic() - t < 5


@pytest.mark.parametrize("raw", ["%C2%B9", "%C2%B2", "%E2%91%A0", "%D9%A3", "-1", "x"])
def test_wait_that_is_not_an_ascii_number_is_a_400(app_client: TestClient, clip: Path, raw: str) -> None:
    auth = make_user(app_client)
    job_id = submit(app_client, auth, clip)
    r = app_client.get(f"/api/results/job/{job_id}?wait={raw}", headers=auth)
    assert r.status_code == 400 and r.json()["code"] == "bad_request"


def test_wait_returns_at_the_first_change_and_until_done_at_the_end(
    app_client: TestClient, clip: Path
) -> None:
    auth = make_user(app_client)
    rt = rt_of(app_client)

    def run(job_id: str, *, end: bool) -> None:
        time.sleep(0.4)
        rt.store.claim(job_id, "lease", "test", 30)  # queued → processing
        if end:
            time.sleep(0.8)
            rt.store.finish(job_id, "lease", JobStatus.COMPLETED, result={"ok": True})

    first = submit(app_client, auth, clip)
    queued = {**auth, "If-None-Match": etag(app_client, auth, first)}
    threading.Thread(target=run, args=(first,), kwargs={"end": False}).start()
    r = app_client.get(f"/api/results/job/{first}?wait=20", headers=queued)
    assert r.json()["status"] == "processing"

    second = submit(app_client, auth, clip)
    queued = {**auth, "If-None-Match": etag(app_client, auth, second)}
    threading.Thread(target=run, args=(second,), kwargs={"end": True}).start()
    t = time.monotonic()
    r = app_client.get(f"/api/results/job/{second}?wait=20&until=done", headers=queued)
    assert r.json()["status"] == "completed" and r.json()["result"] == {"ok": True}
    assert time.monotonic() - t < 15
    bad = app_client.get(f"/api/results/job/{second}?wait=1&until=forever", headers=auth)
    assert bad.status_code == 400


def test_until_done_is_bounded_by_wait(app_client: TestClient, clip: Path) -> None:
    auth = make_user(app_client)
    job_id = submit(app_client, auth, clip)
    rt_of(app_client).store.claim(job_id, "lease", "test", 30)
    t = time.monotonic()
    r = app_client.get(f"/api/results/job/{job_id}?wait=1&until=done", headers=auth)
    assert r.json()["status"] == "processing" and 0.9 <= time.monotonic() - t < 5


def test_open_streams_and_long_polls_are_capped_per_user(app_client: TestClient, clip: Path) -> None:
    auth = make_user(app_client)
    other = make_user(app_client, "bob")
    job_id = submit(app_client, auth, clip)
    answers: list[int] = []

    def sse() -> None:
        with app_client.stream("GET", f"/api/jobs/{job_id}/events", headers=auth) as r:
            answers.append(r.status_code)
            r.read()

    def long_poll() -> None:
        answers.append(app_client.get(f"/api/results/job/{job_id}?wait=30", headers=auth).status_code)

    threads = [threading.Thread(target=sse), threading.Thread(target=long_poll)]
    for thread in threads:
        thread.start()
    uid = user_id(app_client)

    def both_open() -> bool:
        slots = getattr(app_client.app.state, "stream_slots", None)
        return slots is not None and slots.open.get(uid) == 2  # REELQ_MAX_STREAMS_PER_USER=2

    wait_for(both_open, 30, 0.05, "two open streams")
    over = app_client.get(f"/api/results/job/{job_id}?wait=5", headers=auth)
    assert over.status_code == 429 and over.json()["code"] == "too_many_streams"
    assert over.headers["retry-after"]
    assert app_client.get(f"/api/jobs/{job_id}/events", headers=auth).status_code == 429
    assert app_client.get(f"/api/results/job/{job_id}", headers=auth).status_code == 200  # no wait: no slot
    other_job = submit(app_client, other, clip)
    threading.Timer(0.3, lambda: app_client.post(f"/api/jobs/{other_job}/cancel", headers=other)).start()
    assert app_client.get(f"/api/results/job/{other_job}?wait=5", headers=other).status_code == 200
    rt_of(app_client).service.cancel(user_id(app_client), job_id)  # ends both
    for thread in threads:
        thread.join(10)
    assert answers.count(200) == 2
    assert rt_of(app_client) and not app_client.app.state.stream_slots.open  # type: ignore[attr-defined]
    job2 = submit(app_client, auth, clip)
    assert app_client.get(f"/api/results/job/{job2}?wait=1", headers=auth).status_code == 200


SECURITY = ("x-content-type-options", "referrer-policy", "x-frame-options")


def test_plain_polls_are_answered_in_front_of_every_other_layer_with_the_same_headers(
    app_client: TestClient, clip: Path
) -> None:
    """The hot path is the outermost layer (a poll pays for no other middleware), and what it sends is
    what the full stack sends: the security headers, ETag, Cache-Control, Retry-After, 304 on a match."""
    app = app_client.app
    assert app.user_middleware[0].cls is StatusCacheHit  # type: ignore[attr-defined]
    auth = make_user(app_client)
    job_id = submit(app_client, auth, clip)
    url = f"/api/results/job/{job_id}"
    routed = app_client.get(url + "?wait=0", headers=auth)  # a query string: the documented route
    hot = app_client.get(url, headers=auth)
    assert hot.status_code == routed.status_code == 200
    assert hot.content == routed.content
    for name in (*SECURITY, "etag", "cache-control", "retry-after", "content-type", "content-length"):
        assert hot.headers[name] == routed.headers[name], name
    again = app_client.get(url, headers={**auth, "If-None-Match": hot.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert all(name in again.headers for name in (*SECURITY, "etag", "retry-after"))


def test_polls_answered_from_memory_count_against_the_rate_limit(tmp_path: Path, clip: Path) -> None:
    settings = fast_settings(tmp_path / "d", embedded_worker=False, limit_requests_per_second=4)
    with TestClient(create_app(settings)) as c:
        auth = make_user(c)
        job_id = submit(c, auth, clip)
        time.sleep(1.05)  # a fresh one-second window
        codes = [c.get(f"/api/results/job/{job_id}", headers=auth).status_code for _ in range(10)]
        assert codes.count(200) <= 4 and 429 in codes, codes
        r = c.get(f"/api/results/job/{job_id}", headers=auth)
        if r.status_code == 429:
            assert r.json()["code"] == "request_rate_limited"
            assert r.headers["ratelimit-policy"] == '"token";q=4;w=1'
            assert all(name in r.headers for name in SECURITY)


def test_an_unchanged_running_job_is_read_on_every_poll_but_rendered_once(
    app_client: TestClient, clip: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the micro-cache off (the fixture's REELQ_STATUS_CACHE_SECONDS=0) every poll reads the row, so a
    change shows at once; an answer is rendered again only when the row changed."""
    from reelq.api import polling

    rendered: list[str] = []
    real_of = polling.Rendered.of

    def counting(job: object, signer: object = None, waiting: str | None = None) -> polling.Rendered:
        rendered.append(job.status.value)  # type: ignore[attr-defined]
        return real_of(job, signer, waiting)  # type: ignore[arg-type]

    monkeypatch.setattr(polling.Rendered, "of", staticmethod(counting))
    auth = make_user(app_client)
    job_id = submit(app_client, auth, clip)
    url = f"/api/results/job/{job_id}"
    answers = [app_client.get(url, headers=auth) for _ in range(5)]
    assert {a.content for a in answers} == {answers[0].content} and len(rendered) == 1
    store = rt_of(app_client).store
    assert store.claim(job_id, "lease", "w", 60) is not None  # behind the API's back
    running = app_client.get(url, headers=auth)
    assert running.json()["status"] == "processing" and len(rendered) == 2
    store.heartbeat(job_id, "lease", 60, progress=0.5)
    assert app_client.get(url, headers=auth).json()["progress"] == 0.5 and len(rendered) == 3
    store.finish(job_id, "lease", JobStatus.COMPLETED, result={"n": 1})
    for _ in range(3):  # a finished job's answer (signed URLs in its result) is rendered on each read
        assert app_client.get(url, headers=auth).json()["result"] == {"n": 1}
    assert rendered == ["queued", "processing", "processing", "completed", "completed", "completed"]


def test_status_answers_are_per_user_and_bounded_in_entries_and_bytes() -> None:
    from reelq.api.polling import Rendered, StatusAnswers

    def answer(body: bytes, terminal: bool = False) -> Rendered:
        return Rendered('"e"', body, terminal)

    v1, v2 = ("queued", 0.0, 0, 1.0), ("processing", 0.0, 1, 2.0)
    answers = StatusAnswers(0.0, max_items=3, max_bytes=10)
    answers.put(("alice", "j"), v1, answer(b"aa"))
    assert answers.same(("alice", "j"), v1) is not None
    assert answers.same(("bob", "j"), v1) is None  # another user's answer is never reused
    assert answers.same(("alice", "j"), v2) is None  # the row changed
    assert answers.fresh(("alice", "j")) is None  # fresh_seconds 0: never sent without a read
    answers.put(("alice", "k"), v1, answer(b"bbbbbbbb"))  # 2 + 8 bytes: at the budget
    answers.put(("alice", "l"), v1, answer(b"c"))  # over it: the oldest goes
    assert answers.same(("alice", "j"), v1) is None and answers.same(("alice", "l"), v1) is not None
    for i in range(5):
        answers.put(("alice", f"m{i}"), v1, answer(b""))
    assert len(answers._lru) == 3
    answers.put(("alice", "t"), v2, answer(b"", terminal=True))
    assert answers.same(("alice", "t"), v2) is None  # a finished job's answer is not reused
    fresh = StatusAnswers(10.0)
    fresh.put(("alice", "j"), v1, answer(b"x"))
    assert fresh.fresh(("alice", "j")) is not None


def test_fastapi_opentelemetry_is_off_unless_asked_for(tmp_path: Path) -> None:
    """With it on, FastAPI looks up the OpenTelemetry providers on every request, polls included."""
    off = create_app(fast_settings(tmp_path / "a", embedded_worker=False))
    on = create_app(fast_settings(tmp_path / "b", embedded_worker=False, opentelemetry=True))
    if not hasattr(off, "_telemetry"):
        pytest.skip("this FastAPI has no OpenTelemetry of its own")
    flags = ("tracing", "metrics", "logs")
    assert [off._telemetry[f] for f in flags] == [False, False, False]
    assert [on._telemetry[f] for f in flags] == [True, True, True]  # FastAPI's defaults
    for app in (off, on):
        app.state.runtime.close()
