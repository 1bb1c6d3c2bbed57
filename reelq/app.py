"""``create_app(settings)``: the FastAPI application (``uvicorn --factory reelq.app:create_app``)."""

from __future__ import annotations

import inspect
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.concurrency import run_in_threadpool

from reelq import __version__, logs, web
from reelq.api import admin as admin_api
from reelq.api import (
    devices,
    direct_upload,
    jobs,
    notifications,
    openapi,
    polling,
    service,
    tus,
    upload,
    webhooks,
)
from reelq.api import metrics as metrics_api
from reelq.config import Settings, get_settings
from reelq.embedded import EmbeddedWorkerLock, log_shutdown_wait
from reelq.http import errors
from reelq.http import limits as limits_api
from reelq.http.guard import BodyGuard
from reelq.http.middleware import RequestLog, SecurityHeaders
from reelq.http.state import EdgeState
from reelq.runtime import Runtime
from reelq.uploads.tus_headers import TUS_EXPOSED_HEADERS

log = logging.getLogger("reelq.app")
# What a browser may read: tus and the job id, plus the rate-limit and back-off hints.
CORS_EXPOSED_HEADERS = (*TUS_EXPOSED_HEADERS, "Retry-After", "RateLimit", "RateLimit-Policy")
# Seconds running jobs of the embedded worker may finish in at shutdown (uvicorn's own grace is 15 s).
SHUTDOWN_GRACE = 10.0


def _telemetry(wanted: bool) -> dict[str, Any]:
    """FastAPI's own OpenTelemetry (FastAPI 0.165 and later) only when asked for: with it on, FastAPI
    looks up the OpenTelemetry providers on every request, before any middleware runs."""
    if wanted or "telemetry" not in inspect.signature(FastAPI.__init__).parameters:
        return {}
    return {"telemetry": {"tracing": False, "metrics": False, "logs": False, "operation_spans": False}}


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    logs.configure(settings.log_level, settings.log_format)
    rt = Runtime.build(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        lock = EmbeddedWorkerLock(settings.data_dir)
        worker = settings.embedded_worker and lock.acquire()
        if settings.embedded_worker and not worker:
            log.warning(
                "embedded worker skipped: another process on this data directory runs it "
                "(several HTTP processes share one worker; run `reelq worker` for more)",
                extra={"holder_pid": lock.holder(), "lock": str(lock.path)},
            )
        if worker:
            await run_in_threadpool(rt.start_worker, settings.worker_concurrency, embedded=True)
        sweeper = rt.start_upload_sweeper()
        try:
            yield
        finally:
            sweeper.stop()
            if worker:
                await run_in_threadpool(log_shutdown_wait, rt.engine, rt.worker_id, SHUTDOWN_GRACE)
                await run_in_threadpool(rt.stop_worker, SHUTDOWN_GRACE)
                lock.release()
            await rt.aclose_readers()
            rt.close()

    app = FastAPI(
        **_telemetry(settings.opentelemetry),
        title="reelq",
        version=__version__,
        description="Upload videos, get a job id at once, follow the analysis, get a push when it is done.",
        lifespan=lifespan,
        docs_url=None,  # served from the package by reelq.api.docs (no CDN)
        redoc_url=None,
    )
    app.state.runtime = rt
    app.state.edge = EdgeState.build(settings)  # the edge's per-process state, made once
    errors.install(app)
    app.include_router(upload.router)
    app.include_router(direct_upload.router)  # before tus: /api/uploads/direct is not a tus upload id
    app.include_router(tus.router)
    # Innermost: who is calling is checked before any body byte; every body has a limit and a deadline.
    app.add_middleware(BodyGuard, owner=app)
    # Browser clients: off unless REELQ_CORS_ORIGINS names origins (auth is a bearer token, no cookies).
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PATCH", "HEAD", "DELETE", "OPTIONS"],
            allow_headers=["*"],
            expose_headers=list(CORS_EXPOSED_HEADERS),
            max_age=86400,
        )
    app.include_router(jobs.router)
    app.include_router(service.router)
    app.include_router(metrics_api.router)
    app.include_router(devices.router)
    app.include_router(webhooks.router)
    app.include_router(notifications.router)
    app.include_router(admin_api.router)
    limits_api.install(app)  # requests per second per token / client address, before the hot path
    openapi.install(app)
    web.mount(app)  # the browser console at / and /console/ (reelq/web)
    # Outermost last: the log sees every answer, including CORS preflights and the headers added here.
    app.add_middleware(SecurityHeaders)
    app.add_middleware(RequestLog)
    # In front of everything: plain status polls answered from memory or one row read (api/polling.py);
    # it counts the request, adds the security headers and logs like the layers it skips.
    app.add_middleware(polling.StatusCacheHit)
    return app
