"""``create_app(settings)``: the FastAPI application (``uvicorn --factory reelq.app:create_app``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.concurrency import run_in_threadpool

from reelq import __version__, logs, web
from reelq.api import devices, errors, jobs, notifications, openapi, polling, service, tus, upload, webhooks
from reelq.api import metrics as metrics_api
from reelq.config import Settings, get_settings
from reelq.runtime import Runtime
from reelq.uploads.tus_headers import TUS_EXPOSED_HEADERS


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    logs.configure(settings.log_level, settings.log_format)
    rt = Runtime.build(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.embedded_worker:
            await run_in_threadpool(rt.start_worker, settings.worker_concurrency, embedded=True)
        sweeper = rt.start_upload_sweeper()
        try:
            yield
        finally:
            sweeper.stop()
            if settings.embedded_worker:
                await run_in_threadpool(rt.stop_worker, 10.0)
            rt.close()

    app = FastAPI(
        title="reelq",
        version=__version__,
        description="Upload videos, get a job id at once, follow the analysis, get a push when it is done.",
        lifespan=lifespan,
    )
    app.state.runtime = rt
    errors.install(app)
    app.include_router(upload.router)
    app.include_router(tus.router)
    # Browser clients: auth is a bearer token (no cookies), so any origin by default.
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=["GET", "POST", "PATCH", "HEAD", "DELETE", "OPTIONS"],
        allow_headers=["*"],
        expose_headers=list(TUS_EXPOSED_HEADERS),
        max_age=86400,
    )
    app.include_router(jobs.router)
    app.add_middleware(polling.StatusCacheHit)  # repeat polls answered from memory (api/polling.py)
    app.include_router(service.router)
    app.include_router(metrics_api.router)
    app.include_router(devices.router)
    app.include_router(webhooks.router)
    app.include_router(notifications.router)
    openapi.install(app)
    web.mount(app)  # the browser console at / and /console/ (reelq/web)
    return app
