"""Job routes: status and results, history, cancel, retry, delete, artifacts, live events."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import FileResponse, JSONResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from reelq.api.deps import current_user, runtime
from reelq.api.polling import (
    KEEPALIVE_SECONDS,
    WAIT_CEILING,
    HeldStream,
    Until,
    status_answer,
    status_cache,
    stream_slots,
    watch,
)
from reelq.api.schemas import PROBLEMS, JobList, JobOut, Problem, job_out
from reelq.auth.tokens import User
from reelq.errors import BadRequest, NotFound
from reelq.jobs.models import Job
from reelq.jobs.states import JobStatus
from reelq.runtime import Runtime

router = APIRouter(prefix="/api", tags=["jobs"], responses=PROBLEMS)

UserDep = Annotated[User, Depends(current_user)]
RuntimeDep = Annotated[Runtime, Depends(runtime)]


@router.get(
    "/results/job/{job_id}",
    response_model=JobOut,
    summary="Status and results of a job",
    responses={429: {"model": Problem, "description": "Too many open event streams and long polls"}},
)
async def get_result(
    job_id: str,
    request: Request,
    user: UserDep,
    rt: RuntimeDep,
    wait: Annotated[
        int,
        Query(
            ge=0,
            le=WAIT_CEILING,
            description="Hold the answer up to N s until the job changes (see `until`); "
            "held at most REELQ_MAX_WAIT_SECONDS (default 60), larger values are clamped to it",
        ),
    ] = 0,
    until: Annotated[
        Until,
        Query(description="With `wait`: `change` answers at the first change, `done` when the job has ended"),
    ] = "change",
) -> Response:
    return await status_answer(request, rt, user.id, job_id, wait=wait, until=until)


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
    status_cache(request, rt).discard((user.id, job_id))
    status = rt.service.cancel(user.id, job_id)
    return {"job_id": job_id, "status": status.value}


@router.post("/jobs/{job_id}/retry", status_code=202, summary="Run a failed or cancelled job again")
def retry_job(job_id: str, request: Request, user: UserDep, rt: RuntimeDep) -> dict[str, str]:
    status_cache(request, rt).discard((user.id, job_id))
    rt.service.retry(user.id, job_id)
    return {"job_id": job_id, "status": JobStatus.QUEUED.value}


@router.delete("/jobs/{job_id}", status_code=204, summary="Delete a job with its files and artifacts")
def delete_job(job_id: str, request: Request, user: UserDep, rt: RuntimeDep) -> Response:
    status_cache(request, rt).discard((user.id, job_id))
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
    responses={429: {"model": Problem, "description": "Too many open event streams and long polls"}},
)
async def job_events(job_id: str, request: Request, user: UserDep, rt: RuntimeDep) -> StreamingResponse:
    job = await run_in_threadpool(rt.service.get, user.id, job_id)

    async def load() -> Job:
        return await run_in_threadpool(rt.service.get, user.id, job_id)

    async def stream() -> AsyncIterator[str]:
        changes = watch(load, request, job, keepalive=KEEPALIVE_SECONDS)
        async with contextlib.aclosing(changes):
            try:
                async for current in changes:
                    if current is None:
                        yield ": keep-alive\n\n"
                        continue
                    payload = {
                        k: v for k, v in job_out(current, with_result=False).items() if k != "metadata"
                    }
                    kind = "end" if current.status.terminal else "status"
                    yield f"event: {kind}\ndata: {json.dumps(payload)}\n\n"
            except NotFound:
                yield 'event: end\ndata: {"status": "deleted"}\n\n'

    release = stream_slots(request, rt).take(user.id)
    return HeldStream(
        stream(), release, media_type="text/event-stream", headers={"Cache-Control": "no-cache"}
    )
