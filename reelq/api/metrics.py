"""GET /metrics: Prometheus text format, from the application's own registry."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from reelq.errors import Unauthorized
from reelq.metrics import CONTENT_TYPE, Metrics, Sources
from reelq.runtime import Runtime

router = APIRouter(tags=["service"])


def metrics_for(request: Request) -> Metrics:
    """The app's Metrics, made on first use from its runtime (one registry per app)."""
    state = request.app.state
    found = getattr(state, "metrics", None)
    if isinstance(found, Metrics):
        return found
    rt: Runtime = state.runtime
    window = max(rt.settings.reaper_seconds * 3, 30.0)
    made = Metrics(Sources(rt.engine, rt.dispatcher.depth, window, rt.analyzer_capacity))
    state.metrics = made
    return made


@router.get("/metrics", summary="Prometheus metrics of the whole deployment", include_in_schema=False)
async def metrics(request: Request) -> Response:
    expected = request.app.state.runtime.settings.metrics_token
    if expected is not None:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        secret = expected.get_secret_value().encode()
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), secret):
            raise Unauthorized("/metrics needs 'Authorization: Bearer <REELQ_METRICS_TOKEN>'")
    body = await run_in_threadpool(metrics_for(request).render)
    return Response(body, media_type=CONTENT_TYPE)
