"""Rate limits at the HTTP edge: requests per second per token (or per client address without a valid
token), answered before anything else runs; and the upload checks called by the upload routes.

The request layer is the outermost ASGI layer, so a poll answered from a cache counts too. A token
counts under its own key only once it was verified (it is in the auth cache); anything else counts
under the client address, so random tokens cannot dodge the per-address limit.
"""

from __future__ import annotations

import hashlib
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from reelq.api.errors import problem
from reelq.auth.limits import LimitExceeded, RedisCounters, rate_headers
from reelq.auth.tokens import User
from reelq.runtime import Runtime


async def check_upload_limits(request: Request, user: User, declared: str | None = None) -> None:
    """Quotas of an upload about to start (``declared``: its size header; default Content-Length)."""
    raw = declared if declared is not None else request.headers.get("content-length")
    size = int(raw) if raw is not None and raw.isdigit() else 0
    rt: Runtime = request.app.state.runtime
    if size > rt.settings.max_upload_bytes:
        return  # the upload route answers 413 upload_too_large itself, before any quota
    await run_in_threadpool(rt.limiter.check_upload, user.id, size)


# health probes and the API documentation are never refused for their rate
UNLIMITED_PREFIXES = ("/healthz", "/readyz", "/metrics", "/docs", "/redoc", "/openapi.json", "/static/")


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
        token = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                token = value[7:].strip().decode("latin-1") if value[:7].lower() == b"bearer " else None
                break
        user = rt.users.cached(token) if token else None
        if user is not None:
            limits = limiter.cached_limits(user.id)
            if limits is None:
                try:
                    limits = await run_in_threadpool(limiter.limits_for, user.id)
                except Exception:  # the database is down: the route itself will answer 503
                    limits = limiter.defaults
            quota = limits.requests_per_second
            key, policy = "tok:" + hashlib.sha256(token.encode()).hexdigest()[:32], "token"  # type: ignore[union-attr]
        else:
            quota = rt.settings.limit_anonymous_requests_per_second
            client = scope.get("client")
            key, policy = "ip:" + (client[0] if client else "unknown"), "address"
        if not quota:
            return None
        counters: Any = limiter.requests
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
