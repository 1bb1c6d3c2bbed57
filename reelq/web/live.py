"""What the console's scripts and images ask for with the session cookie.

- ``/console/jobs/{id}/artifacts/{name}``: thumbnails for ``<img>`` (the API's route wants a bearer token);
- ``/console/jobs/{id}/source``: the original for the job page's player (data dir only; byte ranges, so the
  browser can seek);
- ``/console/jobs/{id}/result.json``: the raw result, loaded when the job page's toggle opens;
- ``/console/jobs/{id}/events``: server-sent status and progress of one job, through the API's
  :func:`reelq.api.polling.watch` loop;
- ``/console/events``: server-sent changes of the user's newest jobs, so the list updates without reload;
- ``/console/uploads/``: tus, the same core as ``/api/uploads/`` (``rt.tus``), with cookie auth and the
  ``X-CSRF-Token`` header required on every request.

The streams count against ``REELQ_MAX_STREAMS_PER_USER`` like the API's.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect
from starlette.responses import JSONResponse, Response

from reelq.api.polling import KEEPALIVE_SECONDS, HeldStream, etag_of, stream_slots, watch
from reelq.api.stored_files import artifact_response
from reelq.errors import NotFound, ReelqError
from reelq.http.errors import problem, status_for
from reelq.jobs.models import Job
from reelq.runtime import Runtime
from reelq.uploads.tus import BodyInterrupted
from reelq.uploads.tus_headers import TUS_VERSION, check_version
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


def _sse(kind: str, data: dict[str, Any]) -> str:
    return f"event: {kind}\ndata: {json.dumps(data)}\n\n"


@router.get("/jobs/{job_id}/events")
async def job_events(job_id: str, request: Request, s: SessionDep) -> Response:
    rt = runtime(request)
    job = await run_in_threadpool(rt.service.get, s.user.id, job_id)

    async def load() -> Job:
        return await run_in_threadpool(rt.service.get, s.user.id, job_id)

    async def stream() -> AsyncIterator[str]:
        changes = watch(load, request, job, keepalive=KEEPALIVE_SECONDS)
        async with contextlib.aclosing(changes):
            try:
                async for current in changes:
                    if current is None:
                        yield ": keep-alive\n\n"
                        continue
                    yield _sse("end" if current.status.terminal else "status", brief(current))
            except NotFound:
                yield _sse("end", {"job_id": job_id, "status": "deleted"})

    release = stream_slots(request, rt).take(s.user.id)
    return HeldStream(
        stream(), release, media_type="text/event-stream", headers={"Cache-Control": "no-cache"}
    )


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
                    yield _sse("job", brief(job))  # the first round too: the page may be a moment old
            if changed:
                idle = 0.0
            elif idle >= KEEPALIVE_SECONDS:
                idle = 0.0
                yield ": keep-alive\n\n"
            await asyncio.sleep(LIST_STEP)
            idle += LIST_STEP

    release = stream_slots(request, rt).take(s.user.id)
    return HeldStream(
        stream(), release, media_type="text/event-stream", headers={"Cache-Control": "no-cache"}
    )


# -- tus with the session cookie -------------------------------------------------------------------
def _tus_answer(status: int, headers: dict[str, str]) -> Response:
    out = {**headers, "Tus-Resumable": TUS_VERSION}
    if "Location" in out:
        out["Location"] = out["Location"].replace("/api/uploads/", "/console/uploads/", 1)
    return Response(status_code=status, headers=out)


async def _body(request: Request) -> AsyncIterator[bytes]:
    try:
        async for chunk in request.stream():
            yield chunk
    except ClientDisconnect as exc:
        raise BodyInterrupted from exc


async def _tus(request: Request, upload_id: str | None) -> Response:
    rt: Runtime = runtime(request)
    method = request.method.upper()
    headers = dict(request.headers)
    try:
        check_version(headers)
        s = await load_session(request)
        same_origin(request)
        check_csrf(s, request.headers.get("x-csrf-token"))
        if upload_id is None and method == "POST":
            resp = await rt.tus.create(s.user.id, headers, _body(request), "")
        elif upload_id is not None and method == "HEAD":
            resp = await rt.tus.head(s.user.id, upload_id)
        elif upload_id is not None and method == "PATCH":
            resp = await rt.tus.patch(s.user.id, upload_id, headers, _body(request))
        elif upload_id is not None and method == "DELETE":
            resp = await rt.tus.terminate(s.user.id, upload_id)
        else:
            return problem(405, "method_not_allowed", "not a tus method here")
    except SignInRequired:
        return problem(401, "unauthorized", "sign in again", headers={"Tus-Resumable": TUS_VERSION})
    except CsrfRejected:
        return problem(
            403,
            "csrf",
            "missing or wrong X-CSRF-Token; reload the page",
            headers={"Tus-Resumable": TUS_VERSION},
        )
    except ReelqError as exc:
        return problem(status_for(exc), exc.code, exc.detail, exc.title, {"Tus-Resumable": TUS_VERSION})
    return _tus_answer(resp.status, dict(resp.headers))


@router.post("/uploads/")
async def tus_create(request: Request) -> Response:
    return await _tus(request, None)


@router.api_route("/uploads/{upload_id}", methods=["HEAD", "PATCH", "DELETE"])
async def tus_resource(request: Request, upload_id: str) -> Response:
    return await _tus(request, upload_id)
