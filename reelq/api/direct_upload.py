"""``/api/uploads/direct``: uploads straight to the bucket (object storage only).

A thin adapter over ``reelq.uploads.direct``: the same quotas as every upload (``check_upload_limits``),
the same field checks and job creation (the intake, through the tus finish step).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from reelq.api.schemas import PROBLEMS, Problem, UploadAccepted, job_out, status_url
from reelq.auth.tokens import User
from reelq.errors import NotFound
from reelq.http.deps import current_user, runtime
from reelq.http.limits import check_upload_limits
from reelq.runtime import Runtime
from reelq.uploads.direct import DirectUploads

router = APIRouter(prefix="/api/uploads/direct", tags=["uploads"], responses=PROBLEMS)


class DirectIn(BaseModel):
    size: int = Field(gt=0, description="The file's exact size in bytes")
    filename: str | None = Field(None, max_length=1024)
    analyzer: str | None = Field(None, max_length=200)
    metadata: str | None = Field(None, max_length=64 * 1024, description="JSON object kept with the job")
    push_token: str | None = Field(None, max_length=255)
    sha256: str | None = Field(None, description="Hex sha256 of the file; checked before the job is made")


class DirectPartOut(BaseModel):
    number: int
    size: int
    url: str | None = Field(description="Presigned PUT URL; null when the bucket already has the part")


class DirectOut(BaseModel):
    upload_id: str
    size: int
    part_size: int
    expires_at: float
    job_id: str | None
    parts: list[DirectPartOut]


def direct_of(rt: Annotated[Runtime, Depends(runtime)]) -> DirectUploads:
    if rt.direct is None:
        raise NotFound(
            "this server keeps uploads on its own disk: upload with tus (/api/uploads/)",
            code="direct_uploads_unavailable",
        )
    return rt.direct


UserDep = Annotated[User, Depends(current_user)]
DirectDep = Annotated[DirectUploads, Depends(direct_of)]


@router.post(
    "",
    status_code=201,
    response_model=DirectOut,
    summary="Start an upload straight to the bucket: presigned part URLs for the declared size",
    responses={404: {"model": Problem}, 413: {"model": Problem}},
)
async def start(body: DirectIn, request: Request, user: UserDep, direct: DirectDep) -> JSONResponse:
    await check_upload_limits(request, user, str(body.size))
    fields = {
        k: v
        for k, v in {
            "filename": body.filename,
            "analyzer": body.analyzer,
            "metadata": body.metadata,
            "push_token": body.push_token,
        }.items()
        if v is not None
    }
    out: dict[str, Any] = await run_in_threadpool(direct.start, user.id, body.size, fields, body.sha256)
    return JSONResponse(out, status_code=201)


@router.get(
    "/{upload_id}",
    response_model=DirectOut,
    summary="The upload's parts: fresh URLs for those the bucket does not have yet (to resume)",
    responses={404: {"model": Problem}, 410: {"model": Problem}},
)
async def describe(upload_id: str, user: UserDep, direct: DirectDep) -> JSONResponse:
    return JSONResponse(await run_in_threadpool(direct.describe, user.id, upload_id))


@router.post(
    "/{upload_id}/complete",
    status_code=202,
    response_model=UploadAccepted,
    summary="Every part is in the bucket: check size, checksum and container, and make the job",
    responses={
        200: {"model": UploadAccepted, "description": "Completed before: the job it made"},
        404: {"model": Problem},
        409: {"model": Problem, "description": "Parts are missing (parts_missing)"},
        410: {"model": Problem},
        415: {"model": Problem},
        423: {"model": Problem},
        460: {"model": Problem, "description": "The file does not match the declared sha256"},
    },
)
async def complete(
    upload_id: str, user: UserDep, direct: DirectDep, rt: Annotated[Runtime, Depends(runtime)]
) -> JSONResponse:
    job_id, created = await run_in_threadpool(direct.complete, user.id, upload_id)
    job = await run_in_threadpool(rt.service.get, user.id, job_id)
    url = status_url(job_id)
    return JSONResponse(
        {"job_id": job_id, "status": job_out(job)["status"], "status_url": url},
        status_code=202 if created else 200,
        headers={"Location": url},
    )
