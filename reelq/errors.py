"""One hierarchy of errors; the HTTP layer maps each to a problem+json answer in one place."""

from __future__ import annotations


class ReelqError(Exception):
    """Base of every error reelq raises on purpose. ``code`` is stable snake_case."""

    code = "internal_error"
    title = "Internal error"

    def __init__(self, detail: str | None = None, *, code: str | None = None) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        if code is not None:
            self.code = code


class BadRequest(ReelqError):
    code = "bad_request"
    title = "Bad request"


class Unauthorized(ReelqError):
    code = "unauthorized"
    title = "Missing or invalid token"


class Forbidden(ReelqError):
    """A credential that is not a token was refused (an expired or altered signed URL)."""

    code = "forbidden"
    title = "Forbidden"


class NotFound(ReelqError):
    code = "not_found"
    title = "Not found"


class JobNotFound(NotFound):
    code = "job_not_found"
    title = "Job not found"


class Conflict(ReelqError):
    code = "conflict"
    title = "Conflict"


class UploadTooLarge(ReelqError):
    code = "upload_too_large"
    title = "Upload too large"


class UnsupportedMedia(ReelqError):
    code = "unsupported_media"
    title = "Unsupported media"


class InsufficientStorage(ReelqError):
    code = "insufficient_storage"
    title = "Insufficient storage"


class RequestTimeout(ReelqError):
    code = "request_timeout"
    title = "The client stopped sending"


class RateLimited(ReelqError):
    code = "rate_limited"
    title = "Too many requests"


class Unavailable(ReelqError):
    code = "unavailable"
    title = "Service unavailable"


class Gone(ReelqError):
    """The resource existed and is gone for good (an expired or terminated upload)."""

    code = "gone"
    title = "Gone"


class Locked(ReelqError):
    """Another request holds the resource (a tus PATCH in flight); retry shortly."""

    code = "locked"
    title = "Locked"


class PreconditionFailed(ReelqError):
    """A protocol precondition the server cannot meet (an unsupported ``Tus-Resumable`` version)."""

    code = "precondition_failed"
    title = "Precondition failed"


class ChecksumMismatch(ReelqError):
    """The body does not match its ``Upload-Checksum``; nothing of it was kept (tus status 460)."""

    code = "checksum_mismatch"
    title = "Checksum mismatch"


class JobError(Exception):
    """Raised while running a job. ``retryable`` decides between backoff and an immediate failure."""

    retryable = False

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class PermanentJobError(JobError):
    """The input can never succeed (unreadable media, unsupported codec, declared analyzer error)."""

    retryable = False


class TransientJobError(JobError):
    """Worth another attempt later (I/O error, timeout, worker lost)."""

    retryable = True


class TransitionConflict(Conflict):
    """A guarded status change matched no row: the job moved on, or the lease was lost."""

    code = "transition_conflict"
    title = "The job is not in a state that allows this"
