"""Job routes: status and results, history, cancel, retry, delete, artifacts, live events."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import FileResponse, JSONResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from reelq.api.deps import current_user, runtime
from reelq.api.schemas import PROBLEMS, JobList, JobOut, job_out
from reelq.auth.tokens import User
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


def _job_response(job: Job, status_code: int = 200) -> Response:
    headers = {"ETag": etag_of(job), "Cache-Control": "no-cache"}
    if not job.status.terminal:
        headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return JSONResponse(job_out(job), status_code=status_code, headers=headers)


@router.get("/results/job/{job_id}", response_model=JobOut, summary="Status and results of a job")
async def get_result(
    job_id: str,
    request: Request,
    user: UserDep,
    rt: RuntimeDep,
    wait: Annotated[int, Query(ge=0, le=60, description="Hold until the job changes, at most N s")] = 0,
) -> Response:
    job = await run_in_threadpool(rt.service.get, user.id, job_id)
    known = request.headers.get("if-none-match")
    baseline = known or etag_of(job)
    if wait:
        deadline = asyncio.get_running_loop().time() + min(wait, rt.settings.max_wait_seconds)
        while etag_of(job) == baseline and not job.status.terminal:
            if asyncio.get_running_loop().time() >= deadline or await request.is_disconnected():
                break
            await asyncio.sleep(WAIT_STEP)
            job = await run_in_threadpool(rt.service.get, user.id, job_id)
    tag = etag_of(job)
    if known and known == tag:
        headers = {"ETag": tag}
        if not job.status.terminal:
            headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return Response(status_code=304, headers=headers)
    return _job_response(job)


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
def cancel_job(job_id: str, user: UserDep, rt: RuntimeDep) -> dict[str, str]:
    status = rt.service.cancel(user.id, job_id)
    return {"job_id": job_id, "status": status.value}


@router.post("/jobs/{job_id}/retry", status_code=202, summary="Run a failed or cancelled job again")
def retry_job(job_id: str, user: UserDep, rt: RuntimeDep) -> dict[str, str]:
    rt.service.retry(user.id, job_id)
    return {"job_id": job_id, "status": JobStatus.QUEUED.value}


@router.delete("/jobs/{job_id}", status_code=204, summary="Delete a job with its files and artifacts")
def delete_job(job_id: str, user: UserDep, rt: RuntimeDep) -> Response:
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
