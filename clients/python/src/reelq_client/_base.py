"""What the sync and async clients share: options, retry policy, the upload source, tus headers.

The two clients differ only in how they wait and send; every decision lives here once.
"""

from __future__ import annotations

import base64
import json
import os
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from urllib.parse import urljoin, urlsplit

import httpx

from reelq_client import errors
from reelq_client._version import __version__
from reelq_client.models import Job
from reelq_client.resume import ResumeStore

TUS_VERSION = "1.0.0"
BLOCK = 1024 * 1024  # bytes read from the file per body chunk (and per progress callback)
WAIT_STEP = 30  # seconds one long-poll may be held by the server (it allows up to 60)
TERMINAL = frozenset({"completed", "failed", "cancelled"})
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "DELETE", "PUT"})

ProgressCallback = Callable[[int, int], None]

# what a PATCH may meet and still go on after a HEAD (409: the offset moved; 423: another PATCH ends)
TUS_TRANSIENT = (
    errors.ConnectionFailed,
    errors.ServerError,
    errors.Locked,
    errors.RateLimited,
    errors.Conflict,
    errors.ChecksumMismatch,
)


@dataclass(frozen=True)
class RetryPolicy:
    """Retries of transient failures: full-jitter exponential backoff, or the server's ``Retry-After``."""

    max_retries: int = 4
    base: float = 0.5
    cap: float = 20.0

    def delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            # the server named the moment; a little jitter keeps many clients from arriving together
            return min(retry_after, 300.0) * random.uniform(1.0, 1.2)
        return random.uniform(self.base / 2, min(self.cap, self.base * 2**attempt))


# a PATCH answered with these ends the tus upload for good: the resume store forgets it
TUS_FATAL = (errors.Gone, errors.TooLarge, errors.UnsupportedMedia)


class Pacer:
    """Keeps a long-poll loop from spinning when answers come back at once with nothing new.

    The server holds a request until the job changes; a proxy may not hold it at all. An answer with
    nothing new that came back in under a second is then followed by a pause of its ``Retry-After``.
    """

    def pause(self, changed: bool, elapsed: float, retry_after: float | None) -> float:
        return 0.0 if changed or elapsed >= 1.0 else min(retry_after or 1.0, 5.0)


class Follow:
    """One job followed by long-poll on change (``?wait=N`` with ``If-None-Match``).

    The server answers as soon as the job's status or progress differs from the version the client
    last saw (its ETag), and ``304`` when nothing changed in ``wait`` seconds. The sync and async
    ``wait_for`` only send the request this describes and hand the answer to ``seen``.
    """

    def __init__(self, job_id: str, timeout: float | None) -> None:
        self.job_id = job_id
        self.path = f"/api/results/job/{job_path(job_id)}"
        self.timeout = timeout
        self.deadline = None if timeout is None else time.monotonic() + timeout
        self.etag: str | None = None
        self.job: Job | None = None
        self.pacer = Pacer()

    def wait(self) -> int:
        """Seconds the next request may be held: ``WAIT_STEP``, less near the deadline.

        The first request is not held: it says where the job is now.
        """
        if self.etag is None:
            return 0
        if self.deadline is None:
            return WAIT_STEP
        return max(0, min(WAIT_STEP, int(self.deadline - time.monotonic())))

    def headers(self) -> dict[str, str]:
        return {"If-None-Match": self.etag} if self.etag else {}

    def seen(self, response: httpx.Response) -> Job | None:
        """The job when the answer says something new (call ``on_update`` with it), else None."""
        if response.status_code == 304 and self.job is not None:
            return None
        self.etag = response.headers.get("etag")
        self.job = Job.from_dict(response.json())
        return self.job

    def check_deadline(self) -> None:
        if self.deadline is not None and time.monotonic() >= self.deadline:
            status = self.job.status if self.job is not None else "unknown"
            raise errors.JobTimeout(f"job {self.job_id} still {status} after {self.timeout:g} s")


def resume_store(value: ResumeStore | bool | None) -> ResumeStore | None:
    """``None``/``True``: the default store in the user cache dir; ``False``: none; or the store given."""
    if isinstance(value, ResumeStore):
        return value
    return None if value is False else ResumeStore()


def normalise_base(base_url: str) -> str:
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"base_url must be an http(s) URL, not {base_url!r}")
    return base_url.rstrip("/")


def default_headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "User-Agent": f"reelq-client/{__version__}"}


def retryable_exception(exc: BaseException, method: str) -> bool:
    """Whether a request that raised may be sent again: any idempotent one, others only if never sent."""
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
        return True
    return method in IDEMPOTENT and isinstance(exc, httpx.TransportError)


def retryable_status(status: int, method: str) -> bool:
    if status in (423, 429, 503):
        return True  # the server refused before doing anything
    return method in IDEMPOTENT and status in errors.RETRY_STATUSES


def connection_error(exc: httpx.HTTPError) -> errors.ConnectionFailed:
    # the exception's text names the host and the OS error; nothing of the server's internals
    return errors.ConnectionFailed(f"{exc.__class__.__name__}: {exc}" if str(exc) else exc.__class__.__name__)


def same_origin_url(base_url: str, location: str) -> str:
    """An absolute URL for a ``Location`` the server sent; refuses one that points at another host."""
    url = urljoin(base_url + "/", location)
    if urlsplit(url)[:2] != urlsplit(base_url)[:2]:
        raise errors.ReelqClientError(f"the server sent a Location on another origin: {url[:100]}")
    return url


def check_name(name: str) -> str:
    """An artifact name is one plain path part; anything else never reaches a URL or a local path."""
    if not name or "/" in name or "\\" in name or name in (".", "..") or "\0" in name:
        raise ValueError(f"not an artifact name: {name!r}")
    return name


def tus_metadata(values: Mapping[str, str | None]) -> str:
    return ",".join(
        f"{key} {base64.b64encode(value.encode()).decode()}" for key, value in values.items() if value
    )


def metadata_json(metadata: Mapping[str, Any] | str | None) -> str | None:
    """The job metadata as the JSON object text the API takes; a string must already be one."""
    if metadata is None:
        return None
    if isinstance(metadata, str):
        parsed = json.loads(metadata)
        if not isinstance(parsed, dict):
            raise ValueError("metadata must be a JSON object")
        return metadata
    return json.dumps(dict(metadata), separators=(",", ":"))


class Source:
    """The file being uploaded: opened here (and closed) for a path, borrowed for a binary file object."""

    def __init__(self, path_or_file: str | os.PathLike[str] | IO[bytes], filename: str | None = None) -> None:
        if isinstance(path_or_file, str | os.PathLike):
            path = Path(path_or_file)
            self.fh: IO[bytes] = path.open("rb")
            self.owned = True
            stat = os.fstat(self.fh.fileno())
            self.size = stat.st_size
            self.start = 0
            self.name = filename or path.name
            self.identity = f"{path.resolve()}\0{stat.st_mtime_ns}"
        else:
            self.fh = path_or_file
            self.owned = False
            self.start = path_or_file.tell()
            path_or_file.seek(0, os.SEEK_END)
            self.size = path_or_file.tell() - self.start
            path_or_file.seek(self.start)
            raw_name = getattr(path_or_file, "name", None)
            self.name = filename or (Path(raw_name).name if isinstance(raw_name, str) else "upload.bin")
            self.identity = ""

    def blocks(self, offset: int, end: int, on_progress: ProgressCallback | None) -> Any:
        """Bytes ``offset..end`` of the file in ``BLOCK`` pieces, reporting progress after each one."""
        self.fh.seek(self.start + offset)
        sent = offset
        while sent < end:
            data = self.fh.read(min(BLOCK, end - sent))
            if not data:
                raise errors.ReelqClientError("the file got shorter while it was being uploaded")
            sent += len(data)
            yield data
            if on_progress is not None:
                on_progress(sent, self.size)

    def close(self) -> None:
        if self.owned:
            self.fh.close()


def patch_headers(offset: int, length: int) -> dict[str, str]:
    return {
        "Tus-Resumable": TUS_VERSION,
        "Content-Type": "application/offset+octet-stream",
        "Upload-Offset": str(offset),
        "Content-Length": str(length),
    }


def job_path(job_id: str) -> str:
    # ids are opaque strings from the server; a slash or a dot segment must not change the route
    if not job_id or any(c in job_id for c in "/\\?#%") or job_id in (".", ".."):
        raise ValueError(f"not a job id: {job_id!r}")
    return job_id
