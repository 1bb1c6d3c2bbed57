"""``POST /api/upload``: the body is streamed to disk after auth, checked while it arrives.

A thin transport: what the upload asks for is checked by ``reelq.uploads.intake`` (the same step tus uses).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from reelq.api.schemas import PROBLEMS, Problem, UploadAccepted, job_out, status_url
from reelq.auth.tokens import User
from reelq.errors import BadRequest, UploadTooLarge
from reelq.http.deps import current_user, runtime
from reelq.http.limits import check_upload_limits, counted_against_storage, is_replay
from reelq.http.state import edge_of
from reelq.jobs.service import MAX_IDEMPOTENCY_KEY
from reelq.runtime import Runtime
from reelq.uploads.multipart import receive_multipart

router = APIRouter(prefix="/api", tags=["uploads"])

FORM_OVERHEAD = 1024 * 1024  # room for the other fields and multipart framing

_UPLOAD_DOC = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["video"],
                    "properties": {
                        "video": {
                            "type": "string",
                            "format": "binary",
                            "description": "the video (alias: file)",
                        },
                        "push_token": {"type": "string", "description": "Expo push token of this device"},
                        "analyzer": {"type": "string", "description": "analyzer name; default from settings"},
                        "metadata": {"type": "string", "description": "JSON object kept with the job"},
                    },
                }
            }
        },
    }
}


@router.post(
    "/upload",
    status_code=202,
    response_model=UploadAccepted,
    summary="Upload a video; answers with a job id at once",
    openapi_extra=_UPLOAD_DOC,
    responses={
        **PROBLEMS,
        200: {"model": UploadAccepted, "description": "Idempotent replay: the job this key created"},
        400: {"model": Problem},
        409: {
            "model": Problem,
            "description": "Idempotency-Key reused with another file (idempotency_key_reused), or the "
            "push token is registered to another account (push_token_in_use)",
        },
        413: {"model": Problem},
        415: {"model": Problem},
        507: {"model": Problem},
    },
)
async def upload(
    request: Request,
    user: Annotated[User, Depends(current_user)],
    rt: Annotated[Runtime, Depends(runtime)],
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> JSONResponse:
    settings = rt.settings
    if idempotency_key is not None and not (0 < len(idempotency_key) <= MAX_IDEMPOTENCY_KEY):
        raise BadRequest(f"Idempotency-Key must be 1-{MAX_IDEMPOTENCY_KEY} characters")
    declared = request.headers.get("content-length")
    if declared is not None:
        if not (declared.isascii() and declared.isdigit()):
            raise BadRequest("invalid Content-Length")
        if int(declared) > settings.max_upload_bytes + FORM_OVERHEAD:
            raise UploadTooLarge(f"the body is larger than the limit of {settings.max_upload_bytes} bytes")
    await run_in_threadpool(rt.intake.check_space, int(declared or 0))

    # Refusals that need no body come first, so they spend no quota; a replay of a key already used
    # spends none either (the job exists: the answer is the same job).
    release = edge_of(request.app.state).uploads.take(user.id)  # REELQ_MAX_CONCURRENT_UPLOADS
    try:
        if not await is_replay(rt, user.id, idempotency_key):
            await check_upload_limits(request, user)  # quotas and upload rate (reelq/auth/limits.py)
        # Fields sent before the file part are checked before a byte of it is stored.
        form = await receive_multipart(
            await counted_against_storage(request, user, request.stream()),
            request.headers.get("content-type"),
            dest_dir=rt.layout.incoming,
            max_file_bytes=settings.max_upload_bytes,
            idle_seconds=settings.upload_idle_seconds,
            on_file_start=lambda fields: rt.intake.prepare(fields, user.id),
            open_writer=lambda: rt.storage.new_upload(user.id, rt.layout.incoming),
        )
    finally:
        release()
    assert form.file is not None
    try:
        asked = rt.intake.prepare(form.fields)  # again: fields may also follow the file part
        job, created = await run_in_threadpool(
            rt.intake.submit, user.id, asked, form.file, idempotency_key=idempotency_key
        )
    except BaseException:
        form.discard()
        raise
    url = status_url(job.id)
    body = {"job_id": job.id, "status": job_out(job)["status"], "status_url": url}
    return JSONResponse(
        body,
        status_code=202 if created else 200,
        headers={"Location": url, "Retry-After": "2"},
    )
