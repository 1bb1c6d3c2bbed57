"""reelq.client against a real `reelq serve` subprocess: uploads, resume, waits, paging, typed errors."""

from __future__ import annotations

import asyncio
import io
import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from reelq.client import (
    AsyncClient,
    Client,
    Conflict,
    ConnectionFailed,
    JobStatus,
    NotFound,
    RateLimited,
    ResumeStore,
    TooLarge,
    Unauthorized,
    UnsupportedMedia,
    artifact_names,
)
from reelq.testing import make_clip

from support import Server, base_env, cli, wait_for

pytestmark = pytest.mark.e2e


def start(server: Server) -> Server:
    """Starts the server, allowing for a slow start on a loaded machine."""
    server.start(wait=False)
    server.wait_ready(timeout=120)
    return server


MP4_HEAD = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"  # sniffed as MP4
LIMIT = 3_000_000  # REELQ_MAX_UPLOAD_BYTES of these servers


def fake_video(size: int, seed: int = 0) -> bytes:
    return MP4_HEAD + os.urandom(size - len(MP4_HEAD)) if seed == 0 else MP4_HEAD + bytes([seed % 256]) * size


@pytest.fixture(scope="module")
def worker_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server with its embedded worker (jobs complete)."""
    data = tmp_path_factory.mktemp("client-worker")
    env = base_env(
        data / "data",
        REELQ_MAX_UPLOAD_BYTES=str(LIMIT),
        REELQ_LOG_LEVEL="WARNING",
        REELQ_ANALYZERS="reelq.testing.analyzers:slow",
        REELQ_TEST_ANALYZER_SECONDS="4",
    )
    server = start(Server(env, "serve", log=data / "serve.log"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def api_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server without a worker (jobs stay queued) and a low cap on unfinished tus uploads."""
    data = tmp_path_factory.mktemp("client-api")
    env = base_env(
        data / "data",
        REELQ_EMBEDDED_WORKER="false",
        REELQ_MAX_UPLOAD_BYTES=str(LIMIT),
        REELQ_MAX_INCOMPLETE_UPLOADS="2",
        REELQ_MAX_CONCURRENT_UPLOADS="1",
        REELQ_LOG_LEVEL="WARNING",
        # 120 jobs stay queued here (no worker): above the default per-user quota of 50 unfinished jobs
        REELQ_LIMIT_CONCURRENT_JOBS="0",
        REELQ_LIMIT_REQUESTS_PER_SECOND="0",
    )
    server = start(Server(env, "serve", log=data / "serve.log"))
    yield server
    server.stop()


def token_for(server: Server, name: str) -> str:
    return cli(server.env, "users", "create", name).stdout.strip()


@pytest.fixture
def store(tmp_path: Path) -> ResumeStore:
    return ResumeStore(tmp_path / "resume.json")


def test_upload_with_wait_returns_the_completed_job_and_its_artifacts(
    worker_server: Server, clip: Path, store: ResumeStore
) -> None:
    seen: list[tuple[int, int]] = []
    with Client(worker_server.url, token_for(worker_server, "waiter"), resume_store=store) as client:
        job = client.upload(
            clip, wait=True, metadata={"take": 3}, on_progress=lambda s, t: seen.append((s, t))
        )
        assert job.status is JobStatus.COMPLETED
        assert job.file.name == "clip.mp4" and job.file.size == clip.stat().st_size
        assert job.metadata == {"take": 3}
        assert job.result is not None and job.result["metadata"]["video"]["display_width"] == 320
        assert seen[-1] == (clip.stat().st_size, clip.stat().st_size)
        names = artifact_names(job.result)
        assert "poster.jpg" in names
        assert client.artifact(job.job_id, "poster.jpg")[:2] == b"\xff\xd8"  # a JPEG
        assert client.job(job.job_id).to_dict() == job.to_dict()
    assert store.path.read_text() == "{}"  # nothing left to resume


def test_multipart_fallback_and_async_client(worker_server: Server, clip: Path, store: ResumeStore) -> None:
    token = token_for(worker_server, "asyncer")

    async def run() -> tuple[str, str, JobStatus, JobStatus, list[str]]:
        async with AsyncClient(worker_server.url, token, resume_store=store) as client:
            first = await client.upload(clip, resumable=False, idempotency_key="k-1")
            again = await client.upload(clip, resumable=False, idempotency_key="k-1")
            done = await client.wait_for(first.job_id, timeout=120)
            resumable = await client.upload(clip, wait=True, timeout=120)  # tus
            listed = [job.job_id async for job in client.jobs(page_size=1)]
            return first.job_id, again.job_id, done.status, resumable.status, listed

    first, again, status, tus_status, listed = asyncio.run(run())
    assert first == again  # the same Idempotency-Key never makes a second job
    assert status is JobStatus.COMPLETED and tus_status is JobStatus.COMPLETED
    assert len(listed) == 2 and listed[1] == first


class Counting(httpx.BaseTransport):
    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.gets = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.gets += request.method == "GET"
        return self.inner.handle_request(request)


def test_wait_for_long_polls_instead_of_busy_polling(worker_server: Server, clip: Path) -> None:
    counting = Counting()
    token = token_for(worker_server, "patient")
    with Client(worker_server.url, token, resume_store=False, transport=counting) as client:
        job = client.upload(clip, analyzer="reelq.testing.analyzers:slow")
        started = time.monotonic()
        updates: list[float] = []
        done = client.wait_for(job.job_id, timeout=120, on_update=lambda j: updates.append(j.progress))
    assert done.status is JobStatus.COMPLETED and done.result is not None and done.result["slept"] == 4
    assert time.monotonic() - started >= 3.5
    assert counting.gets <= 15, counting.gets  # a held request per change, not hundreds of polls
    assert updates == sorted(updates) and updates[-1] == 1.0


class CutAfter(httpx.BaseTransport):
    """Breaks the first PATCH after ``limit`` bytes of its body, as a dropped connection does."""

    def __init__(self, limit: int) -> None:
        self.inner = httpx.HTTPTransport()
        self.limit = limit
        self.cuts = 0
        self.patched: list[int] = []  # body bytes sent per PATCH

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method != "PATCH":
            return self.inner.handle_request(request)
        index = len(self.patched)
        self.patched.append(0)
        original = request.stream

        def body() -> Iterator[bytes]:
            for chunk in original:  # type: ignore[union-attr]
                if self.cuts == 0 and self.patched[index] + len(chunk) > self.limit:
                    head = chunk[: self.limit - self.patched[index]]
                    self.patched[index] += len(head)
                    yield head
                    self.cuts += 1
                    raise httpx.WriteError("connection closed by the test")
                self.patched[index] += len(chunk)
                yield chunk

        request.stream = _Stream(body())
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


class _Stream(httpx.SyncByteStream):
    def __init__(self, it: Iterator[bytes]) -> None:
        self.it = it

    def __iter__(self) -> Iterator[bytes]:
        yield from self.it


def test_an_interrupted_upload_resumes_from_the_server_offset_in_a_later_call(
    worker_server: Server, tmp_path: Path, store: ResumeStore
) -> None:
    video = make_clip(tmp_path / "long.mp4", seconds=6.0, width=640, height=480)
    size = video.stat().st_size
    token = token_for(worker_server, "resumer")
    cut = CutAfter(limit=size // 2)
    with (
        Client(worker_server.url, token, resume_store=store, transport=cut, max_retries=0) as client,
        pytest.raises(ConnectionFailed, match="connection closed by the test"),
    ):
        client.upload(video)
    url = next(iter(json.loads(store.path.read_text()).values()))["url"]
    head = {"Authorization": f"Bearer {token}", "Tus-Resumable": "1.0.0"}
    offset = wait_for(
        lambda: int(httpx.head(url, headers=head).headers["upload-offset"]) or None,
        15,
        0.2,
        "the partial bytes",
    )
    assert 0 < offset <= size // 2

    counted = CutAfter(limit=size * 10)  # never cuts; counts what the second call sends
    counted.cuts = 1
    with Client(worker_server.url, token, resume_store=store, transport=counted) as client:
        job = client.upload(video, wait=True)
        assert counted.patched == [size - offset]  # only the rest went over the wire
        assert job.status is JobStatus.COMPLETED and job.file.size == size
        assert [j.job_id for j in client.jobs()] == [job.job_id]  # exactly one job


def test_a_dropped_patch_is_resumed_within_the_same_call(
    api_server: Server, tmp_path: Path, store: ResumeStore
) -> None:
    data = fake_video(1_500_000)
    token = token_for(api_server, "retrier")
    cut = CutAfter(limit=400_000)
    with Client(api_server.url, token, resume_store=store, transport=cut, max_retries=3) as client:
        job = client.upload(io.BytesIO(data), filename="x.mp4")
        assert cut.cuts == 1 and len(cut.patched) == 2
        assert cut.patched[0] == 400_000 and cut.patched[1] < len(data)  # the second PATCH sent the rest
        assert job.file.size == len(data)
        assert [j.job_id for j in client.jobs()] == [job.job_id]


def test_jobs_iterates_every_page(api_server: Server) -> None:
    with Client(api_server.url, token_for(api_server, "pager"), resume_store=False) as client:
        made = [
            client.upload(io.BytesIO(fake_video(2048, seed=i)), filename=f"{i}.mp4", resumable=False).job_id
            for i in range(120)
        ]
        listed = [job.job_id for job in client.jobs(page_size=50)]
        assert listed == made[::-1]  # newest first, across three pages, none twice
        assert [j.status for j in client.jobs(status="completed")] == []
        client.cancel(made[0])
        assert client.job(made[0]).status is JobStatus.CANCELLED
        with pytest.raises(Conflict) as conflict:
            client.cancel(made[0])
        assert conflict.value.status == 409
        client.delete(made[1])
        with pytest.raises(NotFound):
            client.job(made[1])


def test_typed_errors(api_server: Server, tmp_path: Path, store: ResumeStore) -> None:
    token = token_for(api_server, "errors")
    with Client(api_server.url, "rq_not_a_token", resume_store=store) as bad:
        with pytest.raises(Unauthorized) as e401:
            next(iter(bad.jobs()))
        assert (e401.value.status, e401.value.code, e401.value.retryable) == (401, "unauthorized", False)
    with Client(api_server.url, token, resume_store=store, max_retries=1) as client:
        with pytest.raises(NotFound) as e404:
            client.job("0190b8c2-0000-7000-8000-000000000000")
        assert e404.value.status == 404 and e404.value.code == "job_not_found"
        for resumable in (True, False):
            with pytest.raises(TooLarge) as e413:
                client.upload(io.BytesIO(fake_video(LIMIT + 2 * 1024 * 1024)), resumable=resumable)
            assert e413.value.status == 413 and e413.value.code == "upload_too_large"
            with pytest.raises(UnsupportedMedia) as e415:
                client.upload(io.BytesIO(b"just some text, not a video" * 100), resumable=resumable)
            assert e415.value.status == 415 and e415.value.code == "unsupported_media"
        # two unfinished tus uploads is this server's cap; a third is refused with 429
        head = {"Authorization": f"Bearer {token}", "Tus-Resumable": "1.0.0", "Upload-Length": "1000"}
        for _ in range(2):
            assert httpx.post(api_server.url + "/api/uploads/", headers=head).status_code == 201
        with pytest.raises(RateLimited) as e429:
            client.upload(io.BytesIO(fake_video(5000)))
        assert e429.value.status == 429 and e429.value.code == "too_many_incomplete_uploads"
        assert e429.value.retryable


def slow_multipart(url: str, token: str, seconds: float) -> threading.Thread:
    """A multipart upload whose body trickles in for ``seconds`` (it holds the user's one upload slot)."""
    boundary = "slowboundary"

    def body() -> Iterator[bytes]:
        yield (
            f'--{boundary}\r\nContent-Disposition: form-data; name="video"; filename="slow.mp4"\r\n'
            "Content-Type: video/mp4\r\n\r\n"
        ).encode() + MP4_HEAD
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            time.sleep(0.1)
            yield b"\0" * 1000
        yield f"\r\n--{boundary}--\r\n".encode()

    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": f"multipart/form-data; boundary={boundary}",
    }
    thread = threading.Thread(target=lambda: httpx.post(url + "/api/upload", content=body(), headers=headers))
    thread.start()
    return thread


def test_rate_limited_carries_retry_after_and_retries_wait_for_it(api_server: Server) -> None:
    token = token_for(api_server, "limited")  # this server lets a user stream one multipart upload at once
    thread = slow_multipart(api_server.url, token, 2.5)
    time.sleep(0.8)
    with (
        Client(api_server.url, token, resume_store=False, max_retries=0) as client,
        pytest.raises(RateLimited) as e429,
    ):
        client.upload(io.BytesIO(fake_video(5000)), resumable=False)
    assert (e429.value.status, e429.value.code, e429.value.retry_after) == (429, "too_many_uploads", 1.0)
    started = time.monotonic()
    with Client(api_server.url, token, resume_store=False, max_retries=5) as client:
        job = client.upload(io.BytesIO(fake_video(5000)), resumable=False)
    assert job.status is JobStatus.QUEUED
    assert time.monotonic() - started >= 1.0  # it waited for Retry-After (at least once) and then got in
    thread.join()
