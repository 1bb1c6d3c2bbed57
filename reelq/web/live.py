"""What the console's scripts and images ask for with the session cookie.

- ``/console/jobs/{id}/artifacts/{name}``: thumbnails for ``<img>`` (the API's route wants a bearer token);
- ``/console/jobs/{id}/source``: the original for the job page's player (data dir only; byte ranges, so the
  browser can seek);
- ``/console/jobs/{id}/result.json``: the raw result, loaded when the job page's toggle opens;
- ``/console/jobs/{id}/events``: server-sent status and progress of one job: the edge's one event
  stream (:func:`reelq.http.events.job_events`) with the console's view of a job;
- ``/console/events``: server-sent changes of the user's newest jobs, so the list updates without reload;
- ``/console/uploads/``: tus through the edge's one tus adapter (``reelq.http.tus_adapter``, the same
  checks and quotas as ``/api/uploads/``), with the session cookie and the ``X-CSRF-Token`` header
  required on every request.

The streams count against ``REELQ_MAX_STREAMS_PER_USER`` like the API's.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response

from reelq.errors import Forbidden, NotFound, Unauthorized
from reelq.http import events, tus_adapter
from reelq.http.caller import Caller
from reelq.http.events import KEEPALIVE_SECONDS, HeldStream, etag_of, sse
from reelq.http.state import edge_of
from reelq.http.stored_files import artifact_response
from reelq.jobs.models import Job
from reelq.web.pages import SessionDep, runtime, same_origin
from reelq.web.present import STATUS_WORDS, list_entry, source_url
from reelq.web.rendering import ConsoleRoute
from reelq.web.session import CsrfRejected, SignInRequired, check_csrf, load_session

router = APIRouter(prefix="/console", route_class=ConsoleRoute, include_in_schema=False)

LIST_STEP = 1.0  # how often the job list stream re-reads the user's newest jobs
LIST_SIZE = 50


@router.get("/jobs/{job_id}/artifacts/{name}")
async def artifact(job_id: str, name: str, s: SessionDep, request: Request) -> Response:
    rt = runtime(request)
    job = await run_in_threadpool(rt.service.get, s.user.id, job_id)
    found = await run_in_threadpool(rt.storage.artifact, job.user_id, job.id, name)
    if found is None:
        raise NotFound(f"job {job_id} has no picture {name[:100]!r}", code="artifact_not_found")
    headers = {"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"}
    return await artifact_response(rt.storage, found, headers)


@router.get("/jobs/{job_id}/source")
async def source(job_id: str, s: SessionDep, request: Request) -> Response:
    """The original, for ``<video>``: the session's own job only; the path is the job row's."""
    rt = runtime(request)
    job = await run_in_threadpool(rt.service.get, s.user.id, job_id)
    if source_url(job, rt.storage.kind) is None:
        raise NotFound(f"job {job_id} has no original to play here", code="source_not_found")
    path = rt.storage.fetch_source(job.source_path, Path())  # the data dir's own file, never a copy
    if not path.is_file():
        raise NotFound(f"job {job_id} has no original to play here", code="source_not_found")
    headers = {
        "Cache-Control": "private, max-age=3600",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
    }
    # the declared type is the uploader's word: only a video type is passed on, never text/html
    declared = (job.content_type or "").partition(";")[0].strip().lower()
    media_type = declared if declared.startswith("video/") else "application/octet-stream"
    return FileResponse(path, media_type=media_type, headers=headers)


@router.get("/jobs/{job_id}/result.json")
async def result_json(job_id: str, s: SessionDep, request: Request) -> Response:
    """The job's raw result, for the job page's "Raw result" toggle."""
    job = await run_in_threadpool(runtime(request).service.get, s.user.id, job_id)
    return JSONResponse(job.result, headers={"Cache-Control": "no-store"})


def brief(job: Job) -> dict[str, Any]:
    """What a list row or the job page's status line shows (the file name is text, escaped by the script)."""
    return {
        "job_id": job.id,
        "status": job.status.value,
        "status_words": STATUS_WORDS[job.status.value],
        "progress": round(job.progress, 4),
        "file_name": job.file_name,
        "file_size": job.file_size,
        "created_at": job.created_at,
        "error": job.error.message if job.error and job.status.value == "failed" else None,
        **asdict(list_entry(job)),
    }


@router.get("/jobs/{job_id}/events")
async def job_events(job_id: str, request: Request, s: SessionDep) -> Response:
    return await events.job_events(request, s.user.id, job_id, brief)


@router.get("/events")
async def list_events(request: Request, s: SessionDep) -> Response:
    """The user's newest ``LIST_SIZE`` jobs, then each one that is new or changed, as it happens."""
    rt = runtime(request)

    async def stream() -> AsyncIterator[str]:
        seen: dict[str, str] = {}
        idle = 0.0
        while not await request.is_disconnected():
            jobs, _ = await run_in_threadpool(rt.service.list, s.user.id, [], LIST_SIZE, None)
            changed = False
            for job in reversed(jobs):  # oldest first, so new rows stack up in order
                tag = etag_of(job)
                if seen.get(job.id) != tag:
                    seen[job.id] = tag
                    changed = True
                    yield sse("job", brief(job))  # the first round too: the page may be a moment old
            if changed:
                idle = 0.0
            elif idle >= KEEPALIVE_SECONDS:
                idle = 0.0
                yield ": keep-alive\n\n"
            await asyncio.sleep(LIST_STEP)
            idle += LIST_STEP

    release = edge_of(request.app.state).streams.take(s.user.id)
    return HeldStream(
        stream(), release, media_type="text/event-stream", headers={"Cache-Control": "no-cache"}
    )


# -- tus with the session cookie -------------------------------------------------------------------
async def session_caller(request: Request) -> Caller:
    """The console face's caller for tus: a session, a same-site Origin and the CSRF header."""
    try:
        s = await load_session(request)
        same_origin(request)
        check_csrf(s, request.headers.get("x-csrf-token"))
    except SignInRequired as exc:
        raise Unauthorized("sign in again") from exc
    except CsrfRejected as exc:
        raise Forbidden("missing or wrong X-CSRF-Token; reload the page", code="csrf") from exc
    return Caller(s.user, s.token, "session", s.admin)


async def _tus(request: Request, upload_id: str | None) -> Response:
    return await tus_adapter.handle(request, upload_id, session_caller, "/console/uploads/")


@router.post("/uploads/")
async def tus_create(request: Request) -> Response:
    return await _tus(request, None)


@router.api_route("/uploads/{upload_id}", methods=["HEAD", "PATCH", "DELETE"])
async def tus_resource(request: Request, upload_id: str) -> Response:
    return await _tus(request, upload_id)
