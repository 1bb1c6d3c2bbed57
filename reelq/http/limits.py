"""Rate limits at the HTTP edge: requests per second per token (the bearer token on ``/api``, the
session's on ``/console``), per job for valid signed artifact URLs, or else per client address; answered
before anything else runs; and the upload checks called by the upload routes.

The request layer sits in front of every route; the status hot path (``api/polling.py``), which answers
before it, counts its polls with the same ``count_token_request``, so a poll answered from memory counts
too. A token counts under its own key only once it was verified (it is in the auth cache); anything else
counts under the client address, so random tokens cannot dodge the per-address limit.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from reelq.auth.limits import LimitExceeded, RedisCounters, StorageQuotaExceeded, rate_headers
from reelq.auth.tokens import User
from reelq.http.caller import bearer_token, session_token
from reelq.http.errors import problem
from reelq.http.state import edge_of
from reelq.runtime import Runtime


async def check_upload_limits(request: Request, user: User, declared: str | None = None) -> None:
    """Quotas of an upload about to start (``declared``: its size header; default Content-Length)."""
    raw = declared if declared is not None else request.headers.get("content-length")
    size = int(raw) if raw is not None and raw.isdigit() else 0
    rt: Runtime = request.app.state.runtime
    if size > rt.settings.max_upload_bytes:
        return  # the upload route answers 413 upload_too_large itself, before any quota
    await run_in_threadpool(rt.limiter.check_upload, user.id, size)


async def is_replay(rt: Runtime, user_id: str, idempotency_key: str | None) -> bool:
    """Whether an upload repeats one whose job exists (its ``Idempotency-Key`` was used): it spends no
    quota, since its answer is the existing job."""
    if idempotency_key is None:
        return False
    return await run_in_threadpool(rt.store.by_idempotency_key, user_id, idempotency_key) is not None


async def counted_against_storage(
    request: Request, user: User, body: AsyncIterator[bytes]
) -> AsyncIterator[bytes]:
    """``body``, counted against the user's storage quota as it arrives (with the user's other uploads
    this process is receiving): 507 ``storage_quota_exceeded`` when the bytes received pass it, whatever
    the request declared (a chunked body declares nothing; parallel uploads each declare their own)."""
    rt: Runtime = request.app.state.runtime
    quota = (await run_in_threadpool(rt.limiter.limits_for, user.id)).storage_bytes
    if not quota:
        return body
    stored = await run_in_threadpool(rt.limiter.stored_bytes, user.id)
    slots = edge_of(request.app.state).uploads

    async def counted() -> AsyncIterator[bytes]:
        got = 0
        try:
            async for chunk in body:
                got += len(chunk)
                slots.receiving(user.id, len(chunk))
                if stored + slots.in_flight(user.id) > quota:
                    raise StorageQuotaExceeded(
                        f"you store {stored} of {quota} bytes and your uploads in progress pass it; "
                        "delete finished jobs to free room"
                    )
                yield chunk
        finally:
            slots.receiving(user.id, -got)

    return counted()


# health probes and the API documentation are never refused for their rate
UNLIMITED_PREFIXES = (
    "/healthz",
    "/readyz",
    "/metrics",
    "/docs",
    "/redoc",
    "/openapi.json",
    "/static/",
    "/console/static/",
)


class RequestRateLimit:
    def __init__(self, app: ASGIApp, owner: FastAPI) -> None:
        self.app = app
        self.owner = owner

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] != "OPTIONS"
            and not scope["path"].startswith(UNLIMITED_PREFIXES)
        ):
            refused = await self._check(scope)
            if refused is not None:
                await refused(scope, receive, send)
                return
        await self.app(scope, receive, send)

    async def _check(self, scope: Scope) -> JSONResponse | None:
        rt: Runtime = self.owner.state.runtime
        limiter = rt.limiter
        token = rate_token(scope)
        user = rt.users.cached(token) if token else None
        if user is not None and token is not None:
            limits = limiter.cached_limits(user.id)
            if limits is None:
                try:
                    limits = await run_in_threadpool(limiter.limits_for, user.id)
                except Exception:  # the database is down: the route itself will answer 503
                    limits = limiter.defaults
            return await count_token_request(rt, token, limits.requests_per_second)
        signed = signed_job(scope, self.owner.state)
        if signed is not None:  # an app's image list: counted per job, at the per-token budget
            return await count_request(
                rt, "url:" + signed, rt.settings.limit_requests_per_second, "signed URL"
            )
        client = scope.get("client")
        key = "ip:" + (client[0] if client else "unknown")
        return await count_request(rt, key, rt.settings.limit_anonymous_requests_per_second, "address")


def rate_token(scope: Scope) -> str | None:
    """The token a request is counted under: its bearer token, or on the console its session's."""
    headers = scope["headers"]
    if scope["path"].startswith("/console/"):
        return session_token(headers)
    return bearer_token(headers)


def signed_job(scope: Scope, state: Any) -> str | None:
    """The job of a request for an artifact by a valid signed URL (an HMAC check, no database)."""
    parts: list[str] = scope["path"].split("/")  # "", "api", "jobs", id, "artifacts", name
    if (
        len(parts) != 6
        or parts[1:3] != ["api", "jobs"]
        or parts[4] != "artifacts"
        or not scope["query_string"]
    ):
        return None
    query = parse_qs(scope["query_string"].decode("latin-1"))
    exp, sig = query.get("exp", [""])[0], query.get("sig", [""])[0]
    if not (exp.isascii() and exp.isdigit() and len(exp) < 20 and sig):
        return None
    if not edge_of(state).signer.valid(parts[3], parts[5], int(exp), sig):
        return None
    return parts[3]


async def count_token_request(rt: Runtime, token: str, quota: int) -> JSONResponse | None:
    """Count one request of a verified token; the 429 answer if it is over ``quota`` per second."""
    if not quota:
        return None
    key = "tok:" + hashlib.sha256(token.encode()).hexdigest()[:32]
    return await count_request(rt, key, quota, "token")


async def count_request(rt: Runtime, key: str, quota: int, policy: str) -> JSONResponse | None:
    """Count one request under ``key``; the 429 answer if the count is over ``quota`` (0: no limit)."""
    if not quota:
        return None
    counters: Any = rt.limiter.requests
    if isinstance(counters, RedisCounters):
        count, reset = await counters.hit_async(key, 1)
    else:
        count, reset = counters.hit(key, 1)
    if count <= quota:
        return None
    return problem(
        429,
        "request_rate_limited",
        f"at most {quota} requests per second per {policy}; slow down",
        headers=rate_headers(policy, quota, 1, 0, reset),
    )


def install(app: FastAPI) -> None:
    """The request limit in front of the routes and the status hot path, and 429 answers that carry the
    limit's headers."""

    @app.exception_handler(LimitExceeded)
    async def _limited(_: Request, exc: LimitExceeded) -> JSONResponse:
        return problem(429, exc.code, exc.detail, exc.title, exc.headers)

    app.add_middleware(RequestRateLimit, owner=app)
