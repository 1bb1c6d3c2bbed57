"""Job routes: status and results, history, cancel, retry, delete, artifacts, live events."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import FileResponse, JSONResponse, StreamingResponse
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.routing import Route

from reelq.api.deps import current_user, runtime, runtime_of
from reelq.api.schemas import PROBLEMS, JobList, JobOut, job_out
from reelq.auth.tokens import User
from reelq.cache import TTLCache
from reelq.errors import BadRequest, NotFound
from reelq.jobs.models import Job
from reelq.jobs.states import JobStatus
from reelq.runtime import Runtime

router = APIRouter(prefix="/api", tags=["jobs"], responses=PROBLEMS)

RETRY_AFTER_SECONDS = 2
WAIT_STEP = 0.25
UserDep = Annotated[User, Depends(current_user)]
RuntimeDep = Annotated[Runtime, Depends(runtime)]


def etag_of(job: Job) -> str:
    raw = f"{job.id}:{job.status.value}:{job.progress:.4f}:{job.attempts}:{job.updated_at:.6f}"
    return '"' + hashlib.sha1(raw.encode()).hexdigest()[:20] + '"'


@dataclass(frozen=True)
class Rendered:
    """A status answer ready to send: polled hard, it is served from a short-lived cache."""

    etag: str
    body: bytes
    terminal: bool

    @classmethod
    def of(cls, job: Job) -> Rendered:
        body = json.dumps(job_out(job), separators=(",", ":")).encode()
        return cls(etag_of(job), body, job.status.terminal)

    def headers(self) -> dict[str, str]:
        headers = {"ETag": self.etag, "Cache-Control": "no-cache"}
        if not self.terminal:
            headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return headers


def _status_cache(request: Request, rt: Runtime) -> TTLCache[tuple[str, str], Rendered]:
    state = request.app.state
    cache: TTLCache[tuple[str, str], Rendered] | None = getattr(state, "status_cache", None)
    if cache is None:
        cache = state.status_cache = TTLCache(rt.settings.status_cache_seconds)
    return cache


@router.get("/results/job/{job_id}", response_model=JobOut, summary="Status and results of a job")
async def get_result(
    job_id: str,
    request: Request,
    wait: Annotated[int, Query(ge=0, le=60, description="Hold until the job changes, at most N s")] = 0,
) -> Response:
    return await _status_answer(request, job_id, wait)


async def status_fast_path(request: Request) -> Response:
    """The same answer as ``get_result``, routed by Starlette directly.

    Clients poll this route hard; FastAPI's dependency and routing machinery would cost more than
    the answer itself, so ``install_fast_path`` puts this plain route first (the FastAPI route
    above stays for the OpenAPI document and answers identically).
    """
    raw = request.query_params.get("wait", "0")
    if not raw.isdigit() or int(raw) > 60:
        raise BadRequest("query.wait: must be an integer from 0 to 60")
    return await _status_answer(request, request.path_params["job_id"], int(raw))


def install_fast_path(app: Starlette) -> None:
    app.router.routes.insert(
        0, Route("/api/results/job/{job_id}", status_fast_path, methods=["GET"], include_in_schema=False)
    )


async def _status_answer(request: Request, job_id: str, wait: int) -> Response:
    user = await current_user(request)
    rt = runtime_of(request)
    cache = _status_cache(request, rt)
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
        rendered = Rendered.of(job)
        cache.put((user.id, job_id), rendered)
    if known and known == rendered.etag:
        headers = rendered.headers()
        del headers["Cache-Control"]
        return Response(status_code=304, headers=headers)
    return Response(rendered.body, media_type="application/json", headers=rendered.headers())


@router.get("/jobs", response_model=JobList, summary="Job history, newest first (without results)")
def list_jobs(
    user: UserDep,
    rt: RuntimeDep,
    status: Annotated[list[str] | None, Query(description="Filter by status (repeatable)")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
) -> JSONResponse:
    try:
        statuses = [JobStatus(s) for s in status or []]
    except ValueError as exc:
        raise BadRequest(f"unknown status; use one of {', '.join(s.value for s in JobStatus)}") from exc
    jobs, next_cursor = rt.service.list(user.id, statuses, limit, cursor)
    body = {"jobs": [job_out(j, with_result=False) for j in jobs], "next_cursor": next_cursor}
    return JSONResponse(body)


@router.post("/jobs/{job_id}/cancel", status_code=202, summary="Cancel a queued or running job")
def cancel_job(job_id: str, request: Request, user: UserDep, rt: RuntimeDep) -> dict[str, str]:
    _status_cache(request, rt).discard((user.id, job_id))
    status = rt.service.cancel(user.id, job_id)
    return {"job_id": job_id, "status": status.value}


@router.post("/jobs/{job_id}/retry", status_code=202, summary="Run a failed or cancelled job again")
def retry_job(job_id: str, request: Request, user: UserDep, rt: RuntimeDep) -> dict[str, str]:
    _status_cache(request, rt).discard((user.id, job_id))
    rt.service.retry(user.id, job_id)
    return {"job_id": job_id, "status": JobStatus.QUEUED.value}


@router.delete("/jobs/{job_id}", status_code=204, summary="Delete a job with its files and artifacts")
def delete_job(job_id: str, request: Request, user: UserDep, rt: RuntimeDep) -> Response:
    _status_cache(request, rt).discard((user.id, job_id))
    rt.service.delete(user.id, job_id)
    return Response(status_code=204)


@router.get("/jobs/{job_id}/artifacts/{name}", summary="A file the analyzer produced (thumbnails …)")
def get_artifact(job_id: str, name: str, user: UserDep, rt: RuntimeDep) -> FileResponse:
    job = rt.service.get(user.id, job_id)
    path = rt.layout.artifact_path(job.user_id, job.id, name)
    if path is None:
        raise NotFound(f"job {job_id} has no artifact {name[:100]!r}", code="artifact_not_found")
    return FileResponse(path, headers={"Cache-Control": "private, max-age=3600"})


@router.get(
    "/jobs/{job_id}/events",
    summary="Server-sent events of status and progress until the job ends",
    response_class=StreamingResponse,
)
async def job_events(job_id: str, request: Request, user: UserDep, rt: RuntimeDep) -> StreamingResponse:
    job = await run_in_threadpool(rt.service.get, user.id, job_id)

    async def stream() -> AsyncIterator[str]:
        nonlocal job
        last = ""
        idle = 0.0
        while True:
            tag = etag_of(job)
            if tag != last:
                last, idle = tag, 0.0
                payload = {k: v for k, v in job_out(job, with_result=False).items() if k != "metadata"}
                yield f"event: {'end' if job.status.terminal else 'status'}\ndata: {json.dumps(payload)}\n\n"
                if job.status.terminal:
                    return
            elif idle >= 15:
                idle = 0.0
                yield ": keep-alive\n\n"
            if await request.is_disconnected():
                return
            await asyncio.sleep(WAIT_STEP)
            idle += WAIT_STEP
            try:
                job = await run_in_threadpool(rt.service.get, user.id, job_id)
            except NotFound:
                yield 'event: end\ndata: {"status": "deleted"}\n\n'
                return

    return StreamingResponse(stream(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})
