"""Errors of the reelq client: one class per meaningful HTTP status, built from problem+json.

Every error carries the server's stable ``code``, the HTTP ``status`` (0 when no answer came) and
``retryable``: whether the same request may succeed later without a change (the client already
retried those it could before raising).
"""

from __future__ import annotations

import json
from email.utils import parsedate_to_datetime
from typing import Any

import httpx


class ReelqClientError(Exception):
    """Base of every error the client raises on purpose."""

    status = 0
    retryable = False
    default_code = "error"

    def __init__(
        self,
        detail: str,
        *,
        code: str | None = None,
        status: int | None = None,
        title: str | None = None,
        retry_after: float | None = None,
        problem: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.code = code or self.default_code
        if status is not None:
            self.status = status
        self.title = title or self.code.replace("_", " ").capitalize()
        self.retry_after = retry_after
        self.problem = problem or {}

    def __str__(self) -> str:
        where = f"{self.status} " if self.status else ""
        return f"{where}{self.code}: {self.detail}"


class ConnectionFailed(ReelqClientError):
    """No answer: the server could not be reached, or the connection broke or timed out."""

    default_code = "connection_failed"
    retryable = True


class BadRequest(ReelqClientError):
    status, default_code = 400, "bad_request"


class Unauthorized(ReelqClientError):
    status, default_code = 401, "unauthorized"


class NotFound(ReelqClientError):
    status, default_code = 404, "not_found"


class Conflict(ReelqClientError):
    status, default_code = 409, "conflict"


class Gone(ReelqClientError):
    status, default_code = 410, "gone"


class PreconditionFailed(ReelqClientError):
    status, default_code = 412, "precondition_failed"


class TooLarge(ReelqClientError):
    status, default_code = 413, "upload_too_large"


class UnsupportedMedia(ReelqClientError):
    status, default_code = 415, "unsupported_media"


class Locked(ReelqClientError):
    status, default_code, retryable = 423, "upload_locked", True


class RateLimited(ReelqClientError):
    status, default_code, retryable = 429, "rate_limited", True


class ChecksumMismatch(ReelqClientError):
    status, default_code, retryable = 460, "checksum_mismatch", True


class ServerError(ReelqClientError):
    status, default_code, retryable = 500, "internal_error", True


class Unavailable(ServerError):
    status, default_code, retryable = 503, "unavailable", True


class InsufficientStorage(ServerError):
    status, default_code, retryable = 507, "insufficient_storage", True


class JobTimeout(ReelqClientError):
    """``wait_for`` gave up before the job ended (the job itself goes on)."""

    default_code = "wait_timeout"
    retryable = True


class UploadInterrupted(ReelqClientError):
    """The caller stopped an upload (raised from ``on_progress``); uploading the file again resumes it."""

    default_code = "upload_interrupted"
    retryable = True


BY_STATUS: dict[int, type[ReelqClientError]] = {
    400: BadRequest,
    401: Unauthorized,
    404: NotFound,
    409: Conflict,
    410: Gone,
    412: PreconditionFailed,
    413: TooLarge,
    415: UnsupportedMedia,
    423: Locked,
    429: RateLimited,
    460: ChecksumMismatch,
    503: Unavailable,
    507: InsufficientStorage,
}

RETRY_STATUSES = frozenset({423, 429, 502, 503, 504})


def retry_after(response: httpx.Response) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date), or None."""
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    from datetime import UTC, datetime

    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def from_response(response: httpx.Response) -> ReelqClientError:
    """The error a non-success answer stands for; problem+json fields when the server sent them."""
    status = response.status_code
    problem: dict[str, Any] = {}
    try:
        body = json.loads(response.content) if response.content else {}
        if isinstance(body, dict):
            problem = body
    except ValueError:
        pass
    cls = BY_STATUS.get(status) or (ServerError if status >= 500 else ReelqClientError)
    code = problem.get("code") if isinstance(problem.get("code"), str) else None
    detail = problem.get("detail") if isinstance(problem.get("detail"), str) else None
    title = problem.get("title") if isinstance(problem.get("title"), str) else None
    return cls(
        detail or response.reason_phrase or f"HTTP {status}",
        code=code,
        status=status,
        title=title,
        retry_after=retry_after(response),
        problem=problem,
    )
