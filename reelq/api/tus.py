"""tus 1.0.0 at ``/api/uploads/``: the routes of the bearer-token face on the one tus adapter
(``reelq.http.tus_adapter``, which says the order of checks)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from reelq.http.deps import current_caller
from reelq.http.tus_adapter import API_PREFIX, handle

router = APIRouter(prefix="/api/uploads", tags=["uploads (tus)"])

_DOC = (
    "tus 1.0.0 resumable uploads (creation, creation-with-upload, expiration, checksum, termination). "
    "Every request except OPTIONS needs `Tus-Resumable: 1.0.0` and `Authorization: Bearer <token>`. "
    "The request that stores the last byte answers `Upload-Job-Id`; HEAD of a finished upload does too."
)
_RESPONSES: dict[int | str, dict[str, str]] = {
    401: {"description": "Missing or invalid token"},
    404: {"description": "No such upload (or another user's)"},
    409: {"description": "Upload-Offset does not match"},
    410: {"description": "The upload expired, was terminated, or was not a video"},
    412: {"description": "Unsupported Tus-Resumable version"},
    413: {"description": "Upload-Length over Tus-Max-Size, body past Upload-Length, or per-user bytes limit"},
    415: {"description": "Wrong Content-Type, or the bytes are not a video container"},
    423: {"description": "Another PATCH is writing this upload; retry"},
    429: {"description": "Too many unfinished uploads for this user"},
    460: {"description": "Upload-Checksum mismatch; the chunk was discarded"},
}


async def _handle(request: Request, upload_id: str | None) -> Response:
    return await handle(request, upload_id, current_caller, API_PREFIX)


@router.options("/", status_code=204, summary="tus discovery (no auth)", description=_DOC)
async def tus_options(request: Request) -> Response:
    return await _handle(request, None)


@router.post("/", status_code=201, summary="Create a tus upload", description=_DOC, responses=_RESPONSES)
async def tus_create(request: Request) -> Response:
    return await _handle(request, None)


@router.api_route("", methods=["POST", "OPTIONS"], include_in_schema=False)
async def tus_collection_no_slash(request: Request) -> Response:
    return await _handle(request, None)


@router.head(
    "/{upload_id}", summary="tus: the stored offset (and Upload-Job-Id once finished)", responses=_RESPONSES
)
async def tus_head(request: Request, upload_id: str) -> Response:
    return await _handle(request, upload_id)


@router.patch(
    "/{upload_id}", status_code=204, summary="tus: append bytes at Upload-Offset", responses=_RESPONSES
)
async def tus_patch(request: Request, upload_id: str) -> Response:
    return await _handle(request, upload_id)


@router.delete(
    "/{upload_id}", status_code=204, summary="tus: terminate an unfinished upload", responses=_RESPONSES
)
async def tus_delete(request: Request, upload_id: str) -> Response:
    return await _handle(request, upload_id)


@router.post(
    "/{upload_id}",
    status_code=204,
    summary="tus: PATCH or DELETE for clients that send X-HTTP-Method-Override",
    responses=_RESPONSES,
)
async def tus_override(request: Request, upload_id: str) -> Response:
    return await _handle(request, upload_id)


@router.options("/{upload_id}", status_code=204, include_in_schema=False)
async def tus_options_resource(request: Request, upload_id: str) -> Response:
    return await _handle(request, upload_id)
