"""Every error answers application/problem+json with a stable ``code``; never a stack trace."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.routing import Match
from starlette.types import Scope

from reelq import errors

log = logging.getLogger("reelq.api")

STATUS: list[tuple[type[errors.ReelqError], int]] = [
    (errors.Unauthorized, 401),
    (errors.Forbidden, 403),
    (errors.NotFound, 404),
    (errors.Gone, 410),
    (errors.PreconditionFailed, 412),
    (errors.Locked, 423),
    (errors.ChecksumMismatch, 460),
    (errors.Conflict, 409),
    (errors.UploadTooLarge, 413),
    (errors.UnsupportedMedia, 415),
    (errors.RateLimited, 429),
    (errors.RequestTimeout, 408),
    (errors.InsufficientStorage, 507),
    (errors.Unavailable, 503),
    (errors.BadRequest, 400),
]

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "upload_too_large",
    415: "unsupported_media",
    422: "bad_request",
}


def problem(
    status: int, code: str, detail: str, title: str | None = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"https://reelq.dev/problems/{code}",
        "title": title or code.replace("_", " ").capitalize(),
        "status": status,
        "detail": detail,
        "code": code,
    }
    return JSONResponse(body, status_code=status, headers=headers, media_type="application/problem+json")


def status_for(exc: errors.ReelqError) -> int:
    for cls, status in STATUS:
        if isinstance(exc, cls):
            return status
    return 500


def install(app: FastAPI) -> None:
    @app.exception_handler(errors.ReelqError)
    async def _reelq(_: Request, exc: errors.ReelqError) -> JSONResponse:
        status = status_for(exc)
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        if status == 429:
            headers = {"Retry-After": "1"}
        return problem(status, exc.code, exc.detail, exc.title, headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        parts = [f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg')}" for e in exc.errors()[:5]]
        return problem(400, "bad_request", "; ".join(parts) or "invalid request")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, f"http_{exc.status_code}")
        headers = getattr(exc, "headers", None)
        if exc.status_code == 405:  # Starlette names the first matching route's methods only
            headers = {**(headers or {}), "Allow": allowed_methods(app, request.scope)}
        return problem(exc.status_code, code, str(exc.detail), headers=headers)

    @app.exception_handler(ClientDisconnect)
    async def _gone(_: Request, __: ClientDisconnect) -> JSONResponse:
        log.info("request.client_disconnected")
        return problem(400, "client_disconnected", "the client went away before the body was complete")

    @app.exception_handler(OperationalError)
    async def _db(_: Request, exc: OperationalError) -> JSONResponse:
        log.warning("database.unavailable", extra={"error": str(exc.orig)[:200]})
        return problem(
            503,
            "database_unavailable",
            "the database is not answering; try again shortly",
            headers={"Retry-After": "2"},
        )

    @app.exception_handler(Exception)
    async def _any(_: Request, exc: Exception) -> JSONResponse:
        log.exception("request.unhandled")
        return problem(500, "internal_error", "an unexpected error occurred; it has been logged")


def allowed_methods(app: FastAPI, scope: Scope) -> str:
    """Every method some route of ``app`` serves at the request's path (``Allow`` of a 405)."""
    allowed = [
        method
        for method in ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")
        if any(route.matches({**scope, "method": method})[0] is Match.FULL for route in app.router.routes)
    ]
    return ", ".join(allowed)
