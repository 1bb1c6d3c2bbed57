"""tus 1.0.0 at ``/api/uploads/``: a thin adapter from Starlette requests to ``reelq.uploads.tus``.

Order of checks (none reads the body): method override → OPTIONS (no auth) → ``Tus-Resumable`` (412)
→ auth (401) → the core's checks (415, 404/410, 409, 400, 413, 423).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import APIRouter, Request, Response
from starlette.requests import ClientDisconnect

from reelq.errors import ReelqError
from reelq.http.deps import current_user
from reelq.http.errors import problem, status_for
from reelq.http.limits import check_upload_limits
from reelq.runtime import Runtime
from reelq.uploads.tus import BodyInterrupted, TusResponse, TusUploads
from reelq.uploads.tus_headers import TUS_VERSION, check_version

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


def _tus(request: Request) -> TusUploads:
    rt: Runtime = request.app.state.runtime
    return rt.tus


async def _body(request: Request) -> AsyncIterator[bytes]:
    try:
        async for chunk in request.stream():
            yield chunk
    except ClientDisconnect as exc:
        raise BodyInterrupted from exc


def _answer(resp: TusResponse) -> Response:
    return Response(status_code=resp.status, headers={**resp.headers, "Tus-Resumable": TUS_VERSION})


def _error(exc: ReelqError) -> Response:
    status = status_for(exc)
    headers = {"Tus-Resumable": TUS_VERSION}
    if status == 412:
        headers["Tus-Version"] = TUS_VERSION
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    headers.update(getattr(exc, "headers", None) or {})  # Retry-After and RateLimit of a limit
    return problem(status, exc.code, exc.detail, exc.title, headers)


async def _handle(request: Request, upload_id: str | None) -> Response:
    method = request.headers.get("x-http-method-override", request.method).strip().upper()
    tus = _tus(request)
    headers = dict(request.headers)
    try:
        if method == "OPTIONS":
            return _answer(tus.options())
        check_version(headers)
        user = await current_user(request)  # after the 412 check, as the tus spec orders
        if upload_id is None and method == "POST":
            await check_upload_limits(request, user, request.headers.get("upload-length", ""))
            base = request.scope.get("root_path", "").rstrip("/")
            return _answer(await tus.create(user.id, headers, _body(request), base))
        if upload_id is not None and method == "HEAD":
            return _answer(await tus.head(user.id, upload_id))
        if upload_id is not None and method == "PATCH":
            return _answer(await tus.patch(user.id, upload_id, headers, _body(request)))
        if upload_id is not None and method == "DELETE":
            return _answer(await tus.terminate(user.id, upload_id))
    except ReelqError as exc:
        return _error(exc)
    resp = problem(405, "method_not_allowed", f"{method[:10]} is not a tus method here")
    resp.headers["Tus-Resumable"] = TUS_VERSION
    return resp


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
