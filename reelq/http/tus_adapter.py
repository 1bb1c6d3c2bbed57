"""The one tus adapter: Starlette requests to ``reelq.uploads.tus``, for both faces.

``/api/uploads/`` (bearer token) and ``/console/uploads/`` (session cookie plus the CSRF header) differ
only in who is calling, checked by the face's ``caller`` function; everything else is this code, so both
get the same checks in the same order and the same answers:

method override → OPTIONS (no caller) → ``Tus-Resumable`` (412) → the caller (401, or the face's 403) →
on creation the upload quotas (``check_upload_limits``, 413/429/507 with their headers) → the core's
checks (415, 404/410, 409, 400, 413, 423). None of them reads the body.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from reelq.errors import ReelqError
from reelq.http.caller import Caller
from reelq.http.errors import problem, status_for
from reelq.http.limits import check_upload_limits
from reelq.runtime import Runtime
from reelq.uploads.tus import BodyInterrupted, TusResponse
from reelq.uploads.tus_headers import TUS_VERSION, check_version

API_PREFIX = "/api/uploads/"

CallerOf = Callable[[Request], Awaitable[Caller]]


async def body_of(request: Request) -> AsyncIterator[bytes]:
    try:
        async for chunk in request.stream():
            yield chunk
    except ClientDisconnect as exc:
        raise BodyInterrupted from exc


def _answer(resp: TusResponse, prefix: str) -> Response:
    headers = {**resp.headers, "Tus-Resumable": TUS_VERSION}
    if prefix != API_PREFIX and "Location" in headers:
        headers["Location"] = headers["Location"].replace(API_PREFIX, prefix, 1)
    return Response(status_code=resp.status, headers=headers)


def tus_error(exc: ReelqError) -> Response:
    status = status_for(exc)
    headers = {"Tus-Resumable": TUS_VERSION}
    if status == 412:
        headers["Tus-Version"] = TUS_VERSION
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    headers.update(getattr(exc, "headers", None) or {})  # Retry-After and RateLimit of a limit
    return problem(status, exc.code, exc.detail, exc.title, headers)


async def handle(request: Request, upload_id: str | None, caller_of: CallerOf, prefix: str) -> Response:
    """Answer one tus request; ``caller_of`` raises a ``ReelqError`` (401/403) when no one may call."""
    rt: Runtime = request.app.state.runtime
    method = request.headers.get("x-http-method-override", request.method).strip().upper()
    tus = rt.tus
    headers = dict(request.headers)
    try:
        if method == "OPTIONS":
            return _answer(tus.options(), prefix)
        check_version(headers)
        caller = await caller_of(request)  # after the 412 check, as the tus spec orders
        user = caller.user
        if upload_id is None and method == "POST":
            await check_upload_limits(request, user, request.headers.get("upload-length", ""))
            base = request.scope.get("root_path", "").rstrip("/")
            return _answer(await tus.create(user.id, headers, body_of(request), base), prefix)
        if upload_id is not None and method == "HEAD":
            return _answer(await tus.head(user.id, upload_id), prefix)
        if upload_id is not None and method == "PATCH":
            return _answer(await tus.patch(user.id, upload_id, headers, body_of(request)), prefix)
        if upload_id is not None and method == "DELETE":
            return _answer(await tus.terminate(user.id, upload_id), prefix)
    except ReelqError as exc:
        return tus_error(exc)
    resp = problem(405, "method_not_allowed", f"{method[:10]} is not a tus method here")
    resp.headers["Tus-Resumable"] = TUS_VERSION
    return resp
