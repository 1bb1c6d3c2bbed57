"""The polled status answer, made cheap: clients ask for it over and over.

Three layers, each answering exactly what the FastAPI route documents:
1. ``StatusCacheHit`` (outermost ASGI layer): a repeat poll whose token and answer were seen moments
   ago (``REELQ_AUTH_CACHE_SECONDS``, ``REELQ_STATUS_CACHE_SECONDS``) is answered from memory without
   entering the framework. Anything else — a browser request with ``Origin`` (it needs CORS), ``?wait=``,
   a cache miss — goes on down.
2. ``status_fast_path``: a plain Starlette route in front of the FastAPI one.
3. the FastAPI route in ``api/jobs.py``, which the OpenAPI document describes.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from reelq.api.deps import current_user, runtime_of
from reelq.api.schemas import job_out
from reelq.api.signed import signer_of
from reelq.auth.signing import UrlSigner
from reelq.cache import TTLCache
from reelq.errors import BadRequest
from reelq.jobs.models import Job
from reelq.runtime import Runtime

PATH_PREFIX = "/api/results/job/"
RETRY_AFTER_SECONDS = 2
WAIT_STEP = 0.25


def etag_of(job: Job) -> str:
    raw = f"{job.id}:{job.status.value}:{job.progress:.4f}:{job.attempts}:{job.updated_at:.6f}"
    return '"' + hashlib.sha1(raw.encode()).hexdigest()[:20] + '"'


@dataclass(frozen=True)
class Rendered:
    """A status answer ready to send."""

    etag: str
    body: bytes
    terminal: bool

    @classmethod
    def of(cls, job: Job, signer: UrlSigner | None = None) -> Rendered:
        body = json.dumps(job_out(job, signer=signer), separators=(",", ":")).encode()
        return cls(etag_of(job), body, job.status.terminal)

    def headers(self, *, not_modified: bool = False) -> dict[str, str]:
        headers = {"ETag": self.etag} if not_modified else {"ETag": self.etag, "Cache-Control": "no-cache"}
        if not self.terminal:
            headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return headers

    def response(self, if_none_match: str | None) -> Response:
        if if_none_match and if_none_match == self.etag:
            return Response(status_code=304, headers=self.headers(not_modified=True))
        return Response(self.body, media_type="application/json", headers=self.headers())


def status_cache(request: Request, rt: Runtime) -> TTLCache[tuple[str, str], Rendered]:
    return _cache_of(request.app.state, rt)


def _cache_of(state: Any, rt: Runtime) -> TTLCache[tuple[str, str], Rendered]:
    cache: TTLCache[tuple[str, str], Rendered] | None = getattr(state, "status_cache", None)
    if cache is None:
        cache = state.status_cache = TTLCache(rt.settings.status_cache_seconds)
    return cache


async def status_answer(request: Request, job_id: str, wait: int) -> Response:
    user = await current_user(request)
    rt = runtime_of(request)
    cache = status_cache(request, rt)
    known = request.headers.get("if-none-match")
    rendered = None if wait else cache.get((user.id, job_id))
    if rendered is None:
        job = await run_in_threadpool(rt.service.get, user.id, job_id)
        baseline = known or etag_of(job)
        if wait:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + min(wait, rt.settings.max_wait_seconds)
            while etag_of(job) == baseline and not job.status.terminal:
                if loop.time() >= deadline or await request.is_disconnected():
                    break
                await asyncio.sleep(WAIT_STEP)
                job = await run_in_threadpool(rt.service.get, user.id, job_id)
        rendered = Rendered.of(job, signer_of(request))
        cache.put((user.id, job_id), rendered)
    return rendered.response(known)


async def status_fast_path(request: Request) -> Response:
    raw = request.query_params.get("wait", "0")
    if not raw.isdigit() or int(raw) > 60:
        raise BadRequest("query.wait: must be an integer from 0 to 60")
    return await status_answer(request, request.path_params["job_id"], int(raw))


class StatusCacheHit:
    """ASGI layer answering repeat polls from the caches (see the module docstring)."""

    def __init__(self, app: ASGIApp, owner: Starlette) -> None:
        self.app = app
        self.owner = owner

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] == "GET"
            and scope["path"].startswith(PATH_PREFIX)
            and not scope["query_string"]
        ):
            hit = self._lookup(scope)
            if hit is not None:
                await hit(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _lookup(self, scope: Scope) -> Response | None:
        job_id = scope["path"][len(PATH_PREFIX) :]
        token = known = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                token = value
            elif name == b"if-none-match":
                known = value
            elif name == b"origin":
                return None  # browsers need the CORS layer
        if token is None or token[:7].lower() != b"bearer " or "/" in job_id:
            return None
        rt: Runtime = self.owner.state.runtime
        user = rt.users.cached(token[7:].strip().decode("latin-1"))
        if user is None:
            return None
        rendered = _cache_of(self.owner.state, rt).get((user.id, job_id))
        if rendered is None:
            return None
        return rendered.response(known.decode("latin-1") if known is not None else None)


def install_fast_path(app: Starlette) -> None:
    app.router.routes.insert(
        0, Route(PATH_PREFIX + "{job_id}", status_fast_path, methods=["GET"], include_in_schema=False)
    )
    build = app.build_middleware_stack

    def build_with_cache_hits() -> ASGIApp:
        return StatusCacheHit(build(), app)

    app.build_middleware_stack = build_with_cache_hits  # type: ignore[method-assign]
