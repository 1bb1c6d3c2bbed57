"""Service routes: liveness and readiness."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from sqlalchemy import text

from reelq.http.deps import runtime
from reelq.runtime import Runtime

router = APIRouter(tags=["service"])


@router.get("/healthz", summary="The process is alive")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="Database, queue, storage and a recent worker heartbeat answer")
def readyz(rt: Annotated[Runtime, Depends(runtime)]) -> JSONResponse:
    checks: dict[str, Any] = {}
    try:
        with rt.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"failing: {exc.__class__.__name__}"
    try:
        rt.dispatcher.ping()
        checks["queue"] = "ok"
    except Exception as exc:
        checks["queue"] = f"failing: {exc.__class__.__name__}"
    try:
        rt.storage.check()  # the data dir, or the bucket (HEAD bucket)
        checks["storage"] = "ok"
    except Exception as exc:
        checks["storage"] = f"failing: {exc.__class__.__name__}"
    analyzers: dict[str, Any] = {}
    if checks["database"] == "ok":
        window = max(rt.settings.reaper_seconds * 3, 30.0)
        checks["workers"] = "ok" if rt.store.live_workers(window) else "failing: no worker heartbeat"
        analyzers = {c.analyzer: c.as_dict() for c in rt.analyzer_capacity()}
    else:
        checks["workers"] = "unknown"
    failing = [k for k, v in checks.items() if v != "ok"]
    status = 200 if not failing else 503
    body = {"status": "ok" if not failing else "unavailable", "checks": checks, "analyzers": analyzers}
    return JSONResponse(body, status_code=status)
