"""The polled status answer, made cheap, and the one loop that watches a job change.

Clients ask for a job's status over and over. One cache layer serves them: ``StatusCacheHit``, a pure
ASGI middleware (``app.add_middleware``) that answers a plain poll whose token was seen moments ago
(``REELQ_AUTH_CACHE_SECONDS``): from memory when the answer is younger than ``REELQ_STATUS_CACHE_SECONDS``,
else from the job's row, read with no thread hop; an unchanged queued or running job's answer is not
rendered again (``StatusAnswers``). Anything else — a browser request with ``Origin`` (it needs CORS), any
query string (``?wait=``), a job the reader does not find — reaches the documented FastAPI route
``get_result`` in ``api/jobs.py``, which fills the cache.

Long polls (``?wait=``) and server-sent events both follow a job with :func:`watch`: one loop, one step.
Each user may hold at most ``REELQ_MAX_STREAMS_PER_USER`` of them open per process (429 beyond).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from annotated_types import Le
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from reelq.api.limits import count_token_request
from reelq.api.middleware import ALWAYS_HEADERS, SecurityHeaders, log_request
from reelq.api.schemas import job_out, status_url
from reelq.api.signed import signer_of, signer_of_state
from reelq.auth.signing import UrlSigner
from reelq.cache import BoundedLRU
from reelq.config import Settings
from reelq.errors import RateLimited
from reelq.ids import is_id
from reelq.jobs.models import Job
from reelq.runtime import Runtime

PATH_PREFIX = status_url("")
RETRY_AFTER_SECONDS = 2
WAIT_STEP = 0.25  # how often a watched job is re-read
KEEPALIVE_SECONDS = 15.0

Until = Literal["change", "done"]


def _wait_ceiling() -> int:
    """The largest ``REELQ_MAX_WAIT_SECONDS`` the settings allow: the most ``?wait=`` can ask for."""
    bounds = [m.le for m in Settings.model_fields["max_wait_seconds"].metadata if isinstance(m, Le)]
    return int(str(bounds[0]))


WAIT_CEILING = _wait_ceiling()


Version = tuple[str, float, int, float, str | None]


def version_of(job: Job, waiting: str | None = None) -> Version:
    """What the answer (and its ETag) changes with: every change of a job's row that a user sees, and
    whether a queued job waits for a worker that runs its analyzer (``waiting_for``)."""
    return (job.status.value, job.progress, job.attempts, job.updated_at, waiting)


def row_version(row: Mapping[str, Any], waiting: str | None = None) -> Version:
    """``version_of`` read straight from a row, before any ``Job`` is built."""
    return (row["status"], row["progress"], row["attempts"], row["updated_at"], waiting)


def waiting_for(rt: Runtime, status: str, analyzer: str) -> str | None:
    """The analyzer a queued job waits for because no live worker runs it (``waiting_for_worker``)."""
    return rt.served.waiting_for_worker(status, analyzer)


def etag_of(job: Job, waiting: str | None = None) -> str:
    status, progress, attempts, updated_at, _ = version_of(job)
    raw = f"{job.id}:{status}:{progress:.4f}:{attempts}:{updated_at:.6f}" + (
        f":w:{waiting}" if waiting else ""
    )
    return '"' + hashlib.sha1(raw.encode()).hexdigest()[:20] + '"'


@dataclass(frozen=True)
class Rendered:
    """A status answer ready to send: as a Response (the route) or as raw ASGI messages (the hot path)."""

    etag: str
    body: bytes
    terminal: bool
    raw_200: list[tuple[bytes, bytes]] = field(init=False, repr=False, compare=False)
    raw_304: list[tuple[bytes, bytes]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        def raw(headers: dict[str, str]) -> list[tuple[bytes, bytes]]:
            return [*((k.lower().encode(), v.encode()) for k, v in headers.items()), *ALWAYS_HEADERS]

        length = str(len(self.body)).encode()
        ok = [*raw(self.headers()), (b"content-type", b"application/json"), (b"content-length", length)]
        object.__setattr__(self, "raw_200", ok)
        object.__setattr__(self, "raw_304", raw(self.headers(not_modified=True)))

    @classmethod
    def of(cls, job: Job, signer: UrlSigner | None = None, waiting: str | None = None) -> Rendered:
        body = json.dumps(job_out(job, signer=signer, waiting_for_worker=waiting), separators=(",", ":"))
        return cls(etag_of(job, waiting), body.encode(), job.status.terminal)

    def headers(self, *, not_modified: bool = False) -> dict[str, str]:
        headers = {"ETag": self.etag} if not_modified else {"ETag": self.etag, "Cache-Control": "no-cache"}
        if not self.terminal:
            headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return headers

    def response(self, if_none_match: str | None) -> Response:
        if if_none_match and if_none_match == self.etag:
            return Response(status_code=304, headers=self.headers(not_modified=True))
        return Response(self.body, media_type="application/json", headers=self.headers())

    async def send(self, send: Send, if_none_match: str | None) -> int:
        """Send the answer as raw ASGI messages, with the security headers; returns the status."""
        if if_none_match and if_none_match == self.etag:
            await send({"type": "http.response.start", "status": 304, "headers": self.raw_304})
            await send({"type": "http.response.body", "body": b""})
            return 304
        await send({"type": "http.response.start", "status": 200, "headers": self.raw_200})
        await send({"type": "http.response.body", "body": self.body})
        return 200


def _state_item(state: Any, name: str, make: Callable[[], Any]) -> Any:
    item = getattr(state, name, None)
    if item is None:
        item = make()
        setattr(state, name, item)
    return item


class StatusAnswers:
    """The status cache: each user's answer for a job, with the version of the row it was rendered from.

    ``fresh``: an answer confirmed less than ``fresh_seconds`` ago (``REELQ_STATUS_CACHE_SECONDS``), sent
    without reading the database. ``same``: the answer of a queued or running job whose row was just read
    and has not changed, sent without rendering it again (a finished job's answer holds its result with
    signed URLs that expire: it is rendered on each read). Bounded in entries and in bytes; thread-safe (the
    routes that change a job discard answers from threads).
    """

    def __init__(self, fresh_seconds: float, max_items: int = 10_000, max_bytes: int = 64 * 2**20) -> None:
        self.fresh_seconds = fresh_seconds
        # (confirmed at, version, answer)
        self._lru: BoundedLRU[tuple[str, str], tuple[float, Version, Rendered]] = BoundedLRU(
            max_items, max_bytes, weight=lambda hit: len(hit[2].body)
        )

    def fresh(self, key: tuple[str, str]) -> Rendered | None:
        hit = self._lru.get(key)
        if hit is None or self.fresh_seconds <= 0 or time.monotonic() - hit[0] > self.fresh_seconds:
            return None
        return hit[2]

    def same(self, key: tuple[str, str], version: Version) -> Rendered | None:
        hit = self._lru.get(key)
        if hit is None or hit[1] != version or hit[2].terminal:
            return None
        self._lru.put(key, (time.monotonic(), version, hit[2]))  # confirmed by the read just made
        return hit[2]

    def put(self, key: tuple[str, str], version: Version, rendered: Rendered) -> None:
        self._lru.put(key, (time.monotonic(), version, rendered))

    def discard(self, key: tuple[str, str]) -> None:
        self._lru.discard(key)


def status_answers(state: Any, rt: Runtime) -> StatusAnswers:
    """The app's status cache (``request.app.state``, or ``scope["app"].state`` on the hot path)."""
    answers: StatusAnswers = _state_item(
        state, "status_cache", lambda: StatusAnswers(rt.settings.status_cache_seconds)
    )
    return answers


class StreamSlots:
    """Open event streams and long polls per user (in this process); 429 ``too_many_streams`` beyond."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.open: dict[str, int] = {}

    def take(self, user_id: str) -> Callable[[], None]:
        """Hold a slot; returns the function that gives it back (safe to call more than once)."""
        if self.open.get(user_id, 0) >= self.limit:
            raise RateLimited(
                f"at most {self.limit} event streams and long polls at once per user; close one first",
                code="too_many_streams",
            )
        self.open[user_id] = self.open.get(user_id, 0) + 1
        done = False

        def release() -> None:
            nonlocal done
            if done:
                return
            done = True
            self.open[user_id] -= 1
            if not self.open[user_id]:
                del self.open[user_id]

        return release


def stream_slots(request: Request, rt: Runtime) -> StreamSlots:
    slots: StreamSlots = _state_item(
        request.app.state, "stream_slots", lambda: StreamSlots(rt.settings.max_streams_per_user)
    )
    return slots


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
    idle = 0.0
    rt: Runtime | None = getattr(request.app.state, "runtime", None)
    while True:
        tag = etag_of(job, waiting_for(rt, job.status.value, job.analyzer) if rt is not None else None)
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


async def status_answer(
    request: Request, rt: Runtime, user_id: str, job_id: str, *, wait: int, until: Until
) -> Response:
    """The status of a job; with ``wait``, held until it changes (``until="done"``: until it ends).

    ``wait`` is clamped to ``REELQ_MAX_WAIT_SECONDS``.
    """
    known = request.headers.get("if-none-match")
    cache = status_answers(request.app.state, rt)
    wait = min(wait, rt.settings.max_wait_seconds)
    if not wait:
        rendered = cache.fresh((user_id, job_id))
        if rendered is not None:
            return rendered.response(known)

    async def load() -> Job:
        return await run_in_threadpool(rt.service.get, user_id, job_id)

    job = await load()
    if wait and not job.status.terminal:
        release = stream_slots(request, rt).take(user_id)
        try:
            deadline = asyncio.get_running_loop().time() + wait
            seen = known or etag_of(job, waiting_for(rt, job.status.value, job.analyzer))
            changes = watch(load, request, job, seen=seen, deadline=deadline)
            async with contextlib.aclosing(changes):
                async for current in changes:
                    assert current is not None  # no keepalive asked for
                    job = current
                    if until == "change" or job.status.terminal:
                        break
        finally:
            release()
    waiting = waiting_for(rt, job.status.value, job.analyzer)
    rendered = Rendered.of(job, signer_of(request), waiting)
    cache.put((user_id, job_id), version_of(job, waiting), rendered)
    return rendered.response(known)


class StatusCacheHit:
    """ASGI middleware, the outermost layer: the hot path of a plain poll (see the module docstring).

    A poll without a query string or ``Origin``, whose token was checked moments ago, is answered here:
    from the micro-cache, or else from one row read by the runtime's status reader (no thread hop, no
    SQL compilation, no framework). It does what the layers behind it would: counts the request against
    the token's rate limit, adds the security headers, and writes the ``http.request`` log line when
    DEBUG is on. Anything else, and any doubt, goes on to those layers and the documented route.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] == "GET"
            and scope["path"].startswith(PATH_PREFIX)
            and not scope["query_string"]
        ):
            started = time.perf_counter()
            status = await self._answer(scope, receive, send)
            if status:
                log_request(scope, status, started)
                return
        await self.app(scope, receive, send)

    async def _answer(self, scope: Scope, receive: Receive, send: Send) -> int:
        """The status sent, or 0 when the request must go on to the full stack."""
        job_id = scope["path"][len(PATH_PREFIX) :]
        token = known = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                token = value
            elif name == b"if-none-match":
                known = value
            elif name == b"origin":
                return 0  # browsers need the CORS layer
        if token is None or token[:7].lower() != b"bearer " or not is_id(job_id):
            return 0
        state = scope["app"].state
        rt: Runtime = state.runtime
        secret = token[7:].strip().decode("latin-1")
        user = rt.users.cached(secret)
        if user is None:
            return 0
        limits = rt.limiter.cached_limits(user.id)
        if limits is None:
            return 0  # the full stack reads the user's limits
        scope.setdefault("state", {})["user"] = user
        refused = await count_token_request(rt, secret, limits.requests_per_second)
        if refused is not None:
            await SecurityHeaders(refused)(scope, receive, send)
            return refused.status_code
        answers = status_answers(state, rt)
        key = (user.id, job_id)
        rendered = answers.fresh(key)
        if rendered is None:
            reader = rt.status_reader
            row = await reader.get(job_id, user.id) if reader is not None else None
            if row is None:
                return 0  # no such job for this user, or the reader is unavailable: the route answers
            waiting = waiting_for(rt, row["status"], row["analyzer"])
            version = row_version(row, waiting)
            rendered = answers.same(key, version)
            if rendered is None:
                rendered = Rendered.of(Job.from_mapping(row), signer_of_state(state), waiting)
                answers.put(key, version, rendered)
        return await rendered.send(send, known.decode("latin-1") if known is not None else None)
