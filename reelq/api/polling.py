"""The polled status answer, made cheap.

Clients ask for a job's status over and over. One cache layer serves them: ``StatusCacheHit``, a pure
ASGI middleware (``app.add_middleware``) that answers a plain poll whose token was seen moments ago
(``REELQ_AUTH_CACHE_SECONDS``): from memory when the answer is younger than ``REELQ_STATUS_CACHE_SECONDS``,
else from the job's row, read with no thread hop; an unchanged queued or running job's answer is not
rendered again (``StatusAnswers``). Anything else — a browser request with ``Origin`` (it needs CORS), any
query string (``?wait=``), a job the reader does not find — reaches the documented FastAPI route
``get_result`` in ``api/jobs.py``, which fills the cache.

Long polls (``?wait=``) follow the job with the edge's one :func:`reelq.http.events.watch` loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from dataclasses import dataclass, field
from typing import Any, Literal

from annotated_types import Le
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from reelq.api.schemas import job_out, status_url
from reelq.auth.signing import UrlSigner
from reelq.config import Settings
from reelq.http.events import etag_of, row_version, version_of, waiting_for, watch
from reelq.http.limits import count_token_request
from reelq.http.middleware import ALWAYS_HEADERS, SecurityHeaders, log_request
from reelq.http.signed import signer_of, signer_of_state
from reelq.http.state import StatusAnswers, edge_of
from reelq.ids import is_id
from reelq.jobs.models import Job
from reelq.runtime import Runtime

PATH_PREFIX = status_url("")
RETRY_AFTER_SECONDS = 2

Until = Literal["change", "done"]


def _wait_ceiling() -> int:
    """The largest ``REELQ_MAX_WAIT_SECONDS`` the settings allow: the most ``?wait=`` can ask for."""
    bounds = [m.le for m in Settings.model_fields["max_wait_seconds"].metadata if isinstance(m, Le)]
    return int(str(bounds[0]))


WAIT_CEILING = _wait_ceiling()


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


def answers_of(state: Any) -> StatusAnswers[Rendered]:
    """The edge's status cache, holding this module's rendered answers."""
    answers: StatusAnswers[Rendered] = edge_of(state).answers
    return answers


async def status_answer(
    request: Request, rt: Runtime, user_id: str, job_id: str, *, wait: int, until: Until
) -> Response:
    """The status of a job; with ``wait``, held until it changes (``until="done"``: until it ends).

    ``wait`` is clamped to ``REELQ_MAX_WAIT_SECONDS``.
    """
    known = request.headers.get("if-none-match")
    cache = answers_of(request.app.state)
    wait = min(wait, rt.settings.max_wait_seconds)
    if not wait:
        rendered = cache.fresh((user_id, job_id))
        if rendered is not None:
            return rendered.response(known)

    async def load() -> Job:
        return await run_in_threadpool(rt.service.get, user_id, job_id)

    job = await load()
    if wait and not job.status.terminal:
        release = edge_of(request.app.state).streams.take(user_id)
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


# Every other middleware of the app, and what the hot path does in its place for a plain poll. A new
# middleware must be added here too (a test compares this with the app), so plain polls cannot skip it
# unnoticed.
MIRRORED: dict[str, str] = {
    "RequestLog": "log_request (reelq.http.middleware)",
    "SecurityHeaders": "ALWAYS_HEADERS on every answer; SecurityHeaders around a refusal",
    "RequestRateLimit": "count_token_request (reelq.http.limits)",
    "BodyGuard": "nothing to guard: a GET without a body",
    "CORSMiddleware": "not needed: a request with Origin goes on to the full stack",
}


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
        answers = answers_of(state)
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
