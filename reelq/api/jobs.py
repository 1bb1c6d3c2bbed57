"""Job routes: status and results, history, cancel, retry, delete, artifacts, live events."""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from reelq.api.polling import WAIT_CEILING, Until, status_answer
from reelq.api.schemas import PROBLEMS, JobList, JobOut, Problem, job_out
from reelq.auth.tokens import User
from reelq.errors import BadRequest, Forbidden, JobNotFound, NotFound
from reelq.http import actions, events
from reelq.http.deps import current_user, runtime
from reelq.http.signed import signer_of
from reelq.http.stored_files import artifact_response
from reelq.ids import is_id
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
    status = actions.cancel(request, user.id, job_id)
    return {"job_id": job_id, "status": status.value}


@router.post("/jobs/{job_id}/retry", status_code=202, summary="Run a failed or cancelled job again")
def retry_job(job_id: str, request: Request, user: UserDep, rt: RuntimeDep) -> dict[str, str]:
    actions.retry(request, user.id, job_id)
    return {"job_id": job_id, "status": JobStatus.QUEUED.value}


@router.delete("/jobs/{job_id}", status_code=204, summary="Delete a job with its files and artifacts")
def delete_job(job_id: str, request: Request, user: UserDep, rt: RuntimeDep) -> Response:
    actions.delete(request, user.id, job_id)
    return Response(status_code=204)


@router.get(
    "/jobs/{job_id}/artifacts/{name}",
    summary="A file the analyzer produced (thumbnails …): with a token, or by the signed URL in the result",
)
async def get_artifact(
    job_id: str,
    name: str,
    request: Request,
    rt: RuntimeDep,
    exp: Annotated[
        int | None, Query(ge=0, lt=2**63, description="Expiry of a signed URL (unix time)")
    ] = None,
    sig: Annotated[str | None, Query(max_length=64, description="Signature of a signed URL")] = None,
) -> Response:
    if exp is None and sig is None:
        user = await current_user(request)
        job = await run_in_threadpool(rt.service.get, user.id, job_id)
        cache = "private, max-age=3600"
    else:
        signer = signer_of(request)
        if exp is None or sig is None or not signer.valid(job_id, name, exp, sig):
            raise Forbidden("the signed URL is not valid", code="bad_signature")
        if signer.expired(exp):
            raise Forbidden(
                "the signed URL has expired; fetch the job again for a new one", code="url_expired"
            )
        found = await run_in_threadpool(rt.store.get, job_id) if is_id(job_id) else None
        if found is None:
            raise JobNotFound(f"no job {job_id[:64]!r}")
        job = found
        cache = f"private, max-age={max(0, min(3600, exp - int(time.time())))}"
    found_artifact = await run_in_threadpool(rt.storage.artifact, job.user_id, job.id, name)
    if found_artifact is None:
        raise NotFound(f"job {job_id[:64]} has no artifact {name[:100]!r}", code="artifact_not_found")
    return await artifact_response(rt.storage, found_artifact, {"Cache-Control": cache})


@router.get(
    "/jobs/{job_id}/events",
    summary="Server-sent events of status and progress until the job ends",
    response_class=StreamingResponse,
    responses={429: {"model": Problem, "description": "Too many open event streams and long polls"}},
)
async def job_events(job_id: str, request: Request, user: UserDep) -> StreamingResponse:
    return await events.job_events(request, user.id, job_id, _event_view)


def _event_view(job: Job) -> dict[str, Any]:
    return {k: v for k, v in job_out(job, with_result=False).items() if k != "metadata"}
