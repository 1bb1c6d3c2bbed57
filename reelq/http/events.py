"""Following a job: its version and ETag, the one ``watch`` loop, and the one server-sent event stream.

Long polls (``?wait=``) and event streams of both faces follow a job with :func:`watch`: one loop, one
step. :func:`job_events` is the stream itself; each face passes who is calling and how a job is shown.
Each user may hold at most ``REELQ_MAX_STREAMS_PER_USER`` streams and long polls open per process
(``EdgeState.streams``; 429 beyond).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from reelq.errors import NotFound
from reelq.http.state import edge_of
from reelq.jobs.models import Job
from reelq.runtime import Runtime

WAIT_STEP = 0.25  # how often a watched job is re-read
KEEPALIVE_SECONDS = 15.0

Version = tuple[str, float, int, float, str | None]


def version_of(job: Job, waiting: str | None = None) -> Version:
    """What the answer (and its ETag) changes with: every change of a job's row that a user sees, and
    whether a queued job waits for a worker that runs its analyzer (``waiting``)."""
    return (job.status.value, job.progress, job.attempts, job.updated_at, waiting)


def row_version(row: Mapping[str, Any], waiting: str | None = None) -> Version:
    """``version_of`` read straight from a row, before any ``Job`` is built."""
    return (row["status"], row["progress"], row["attempts"], row["updated_at"], waiting)


def waiting_for(rt: Runtime | None, status: str, analyzer: str) -> str | None:
    """The analyzer a queued job waits for because no live worker runs it (``waiting_for_worker``)."""
    return rt.served.waiting_for_worker(status, analyzer) if rt is not None else None


def etag_of(job: Job, waiting: str | None = None) -> str:
    status, progress, attempts, updated_at, _ = version_of(job)
    raw = f"{job.id}:{status}:{progress:.4f}:{attempts}:{updated_at:.6f}" + (
        f":w:{waiting}" if waiting else ""
    )
    return '"' + hashlib.sha1(raw.encode()).hexdigest()[:20] + '"'


class HeldStream(StreamingResponse):
    """A streaming response that gives its stream slot back however the stream ends."""

    def __init__(self, content: AsyncIterator[str], release: Callable[[], None], **kwargs: Any) -> None:
        super().__init__(content, **kwargs)
        self._release = release

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._release()


async def watch(
    load: Callable[[], Awaitable[Job]],
    request: Request,
    job: Job,
    *,
    seen: str | None = None,
    deadline: float | None = None,
    keepalive: float | None = None,
) -> AsyncGenerator[Job | None, None]:
    """Yield ``job`` each time its ETag differs from the last one yielded (or ``seen``).

    Yields None after ``keepalive`` seconds without a change. Ends after a terminal job, at ``deadline``
    (event-loop time), or when the client has gone. ``load`` re-reads the job (and raises if it was
    deleted). Long polls and event streams both use this loop.
    """
    loop = asyncio.get_running_loop()
    rt: Runtime | None = getattr(request.app.state, "runtime", None)
    idle = 0.0
    while True:
        tag = etag_of(job, waiting_for(rt, job.status.value, job.analyzer))
        if tag != seen:
            seen, idle = tag, 0.0
            yield job
            if job.status.terminal:
                return
        elif keepalive is not None and idle >= keepalive:
            idle = 0.0
            yield None
        if deadline is not None and loop.time() >= deadline:
            return
        if await request.is_disconnected():
            return
        await asyncio.sleep(WAIT_STEP)
        idle += WAIT_STEP
        job = await load()


def sse(kind: str, data: Mapping[str, Any]) -> str:
    return f"event: {kind}\ndata: {json.dumps(data)}\n\n"


async def job_events(
    request: Request, user_id: str, job_id: str, show: Callable[[Job], Mapping[str, Any]]
) -> StreamingResponse:
    """Server-sent ``status`` events of one job of ``user_id`` until an ``end`` event (or ``deleted``).

    ``show`` is the face's view of a job. The stream holds one of the user's stream slots.
    """
    rt: Runtime = request.app.state.runtime
    job = await run_in_threadpool(rt.service.get, user_id, job_id)

    async def load() -> Job:
        return await run_in_threadpool(rt.service.get, user_id, job_id)

    async def stream() -> AsyncIterator[str]:
        changes = watch(load, request, job, keepalive=KEEPALIVE_SECONDS)
        async with contextlib.aclosing(changes):
            try:
                async for current in changes:
                    if current is None:
                        yield ": keep-alive\n\n"
                        continue
                    yield sse("end" if current.status.terminal else "status", show(current))
            except NotFound:
                yield sse("end", {"job_id": job_id, "status": "deleted"})

    release = edge_of(request.app.state).streams.take(user_id)
    return HeldStream(
        stream(), release, media_type="text/event-stream", headers={"Cache-Control": "no-cache"}
    )
