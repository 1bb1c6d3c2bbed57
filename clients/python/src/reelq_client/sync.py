"""``Client``: the blocking reelq client on httpx (see docs/client.md)."""

from __future__ import annotations

import hashlib
import os
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping
from typing import IO, Any

import httpx

from reelq_client import _base as b
from reelq_client import direct, errors
from reelq_client.models import Job
from reelq_client.resume import ResumeStore, fingerprint


class Client:
    """A reelq server for one user (bearer ``token``). Thread-safe; use it as a context manager.

    ``resume_store=None`` keeps unfinished uploads in the user cache dir; ``False`` keeps nothing.
    ``chunk_size=None`` sends the rest of a file in one PATCH (fastest; the server commits every 64 MiB).
    """

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout: float = 30.0,
        max_retries: int = 4,
        chunk_size: int | None = None,
        resume_store: ResumeStore | bool | None = None,
        transport: httpx.BaseTransport | None = None,
        direct: bool = True,
    ) -> None:
        self.base_url = b.normalise_base(base_url)
        self.direct = direct  # upload straight to the server's bucket when it offers that (client/direct.py)
        self.policy = b.RetryPolicy(max_retries=max_retries)
        self.chunk_size = chunk_size
        self.timeout = timeout
        self.store = b.resume_store(resume_store)
        self._user = hashlib.sha256(token.encode()).hexdigest()[:16]  # keys the resume store per user
        self.http = httpx.Client(
            base_url=self.base_url,
            headers=b.default_headers(token),
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            transport=transport,
        )

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.http.close()

    # -- plumbing ---------------------------------------------------------------------------------

    def _send(self, method: str, url: str, *, retry: bool = True, **kwargs: Any) -> httpx.Response:
        """One request with retries of transient failures; a non-2xx/3xx answer raises its typed error."""
        attempt = 0
        while True:
            try:
                response = self.http.request(method, url, **kwargs)
            except httpx.HTTPError as exc:
                if retry and attempt < self.policy.max_retries and b.retryable_exception(exc, method):
                    time.sleep(self.policy.delay(attempt, None))
                    attempt += 1
                    continue
                raise b.connection_error(exc) from exc
            if response.status_code < 400:
                return response
            error = errors.from_response(response)
            if (
                retry
                and attempt < self.policy.max_retries
                and b.retryable_status(response.status_code, method)
            ):
                time.sleep(self.policy.delay(attempt, error.retry_after))
                attempt += 1
                continue
            raise error

    # -- jobs -------------------------------------------------------------------------------------

    def job(self, job_id: str) -> Job:
        """The job now (status, progress, and the result once completed)."""
        return Job.from_dict(self._send("GET", f"/api/results/job/{b.job_path(job_id)}").json())

    def wait_for(
        self,
        job_id: str,
        *,
        timeout: float | None = None,
        on_update: Any = None,
    ) -> Job:
        """Block until the job ends, by long-poll (the server holds each request): never busy polling.

        ``on_update(job)`` is called with every change seen. ``JobTimeout`` after ``timeout`` seconds.
        """
        follow = b.Follow(job_id, timeout)
        while True:
            wait = follow.wait()
            started = time.monotonic()
            try:
                response = self._send(
                    "GET",
                    follow.path,
                    params={"wait": wait},
                    headers=follow.headers(),
                    timeout=self.timeout + wait,
                )
            except errors.RateLimited as exc:  # e.g. too many open long-polls for this user
                time.sleep(self.policy.delay(0, exc.retry_after or 1.0))
                continue
            job = follow.seen(response)
            if job is not None and on_update is not None:
                on_update(job)
            if follow.job is not None and follow.job.terminal:
                return follow.job
            follow.check_deadline()
            elapsed = time.monotonic() - started
            pause = follow.pacer.pause(job is not None, elapsed, errors.retry_after(response))
            if pause:
                time.sleep(pause)

    def jobs(self, *, status: Iterable[str] | str | None = None, page_size: int = 100) -> Iterator[Job]:
        """Every job of this user, newest first, fetched page by page as the iteration goes."""
        statuses = [status] if isinstance(status, str) else list(status or [])
        cursor: str | None = None
        while True:
            params: dict[str, Any] = {"limit": page_size, "status": statuses}
            if cursor:
                params["cursor"] = cursor
            page = self._send("GET", "/api/jobs", params=params).json()
            for item in page.get("jobs", []):
                yield Job.from_dict(item)
            cursor = page.get("next_cursor")
            if not cursor:
                return

    def cancel(self, job_id: str) -> None:
        """Cancel a queued or running job (409 ``Conflict`` once it has ended)."""
        self._send("POST", f"/api/jobs/{b.job_path(job_id)}/cancel")

    def retry(self, job_id: str) -> None:
        """Run a failed or cancelled job again (409 ``Conflict`` from any other state)."""
        self._send("POST", f"/api/jobs/{b.job_path(job_id)}/retry", retry=False)

    def delete(self, job_id: str) -> None:
        """Remove the job with its file and artifacts (a running job is cancelled first)."""
        self._send("DELETE", f"/api/jobs/{b.job_path(job_id)}")

    def artifact(self, job_id: str, name: str) -> bytes:
        """One artifact of a job (a thumbnail …) by the name the result gives it."""
        return self._send("GET", f"/api/jobs/{b.job_path(job_id)}/artifacts/{b.check_name(name)}").content

    # -- uploads ----------------------------------------------------------------------------------

    def upload(
        self,
        path_or_file: str | os.PathLike[str] | IO[bytes],
        *,
        resumable: bool = True,
        wait: bool = False,
        on_progress: b.ProgressCallback | None = None,
        metadata: Mapping[str, Any] | str | None = None,
        push_token: str | None = None,
        analyzer: str | None = None,
        filename: str | None = None,
        idempotency_key: str | None = None,
        timeout: float | None = None,
    ) -> Job:
        """Upload a video and return its job (the finished job with ``wait=True``).

        tus by default: an interrupted upload of the same file resumes from the server's offset, in this
        call (transient errors) or in a later one (the resume store). ``resumable=False`` sends one
        multipart request with an ``Idempotency-Key``, so a retried request never makes a second job.
        ``on_progress(sent, total)`` runs after every MiB; an exception it raises stops the upload.
        """
        source = b.Source(path_or_file, filename)
        meta = b.metadata_json(metadata)
        try:
            if resumable:
                job_id = self._tus(source, meta, push_token, analyzer, on_progress)
            else:
                job_id = self._multipart(source, meta, push_token, analyzer, on_progress, idempotency_key)
        finally:
            source.close()
        return self.wait_for(job_id, timeout=timeout) if wait else self.job(job_id)

    def _multipart(
        self,
        source: b.Source,
        meta: str | None,
        push_token: str | None,
        analyzer: str | None,
        on_progress: b.ProgressCallback | None,
        key: str | None,
    ) -> str:
        fields = {
            k: v for k, v in (("metadata", meta), ("push_token", push_token), ("analyzer", analyzer)) if v
        }
        headers = {"Idempotency-Key": key or uuid.uuid4().hex}
        attempt = 0
        while True:
            files = {"video": (source.name, _Reader(source, on_progress), "application/octet-stream")}
            try:
                response = self._send(
                    "POST", "/api/upload", retry=False, data=fields, files=files, headers=headers
                )
                return str(response.json()["job_id"])
            except errors.ReelqClientError as exc:
                # the same key makes a retried POST answer the job it created, never a second one
                if not exc.retryable or attempt >= self.policy.max_retries:
                    raise
                time.sleep(self.policy.delay(attempt, exc.retry_after))
                attempt += 1

    def _tus(
        self,
        source: b.Source,
        meta: str | None,
        push_token: str | None,
        analyzer: str | None,
        on_progress: b.ProgressCallback | None,
    ) -> str:
        key = None
        if self.store is not None:
            key = fingerprint(
                source.fh, source.size, base_url=self.base_url, user=self._user, extra=source.identity
            )
            if not self.store.claim(key):
                key = None
        try:
            if self.direct:
                fields = {"metadata": meta, "push_token": push_token, "analyzer": analyzer}
                job_id = direct.upload(self, source, key, fields, on_progress)
                if job_id is not None:
                    return job_id
            return self._tus_keyed(source, key, meta, push_token, analyzer, on_progress)
        finally:
            if self.store is not None and key:
                self.store.release(key)

    def _tus_keyed(
        self,
        source: b.Source,
        key: str | None,
        meta: str | None,
        push_token: str | None,
        analyzer: str | None,
        on_progress: b.ProgressCallback | None,
    ) -> str:
        url = self.store.get(key) if self.store is not None and key else None
        offset, job_id = 0, None
        if url is not None:
            try:
                offset, job_id = self._head(url)
            except (errors.NotFound, errors.Gone):
                url = None  # expired, terminated or never ours: start over
        if url is None:
            headers = {
                "Tus-Resumable": b.TUS_VERSION,
                "Upload-Length": str(source.size),
                "Upload-Metadata": b.tus_metadata(
                    {
                        "filename": source.name,
                        "metadata": meta,
                        "push_token": push_token,
                        "analyzer": analyzer,
                    }
                ),
            }
            response = self._send("POST", "/api/uploads/", headers=headers)
            url = b.same_origin_url(self.base_url, response.headers["location"])
            offset = 0
            if self.store is not None and key:
                self.store.put(key, url, source.size)
        if on_progress is not None:
            on_progress(offset, source.size)
        failures = 0
        while job_id is None:
            try:
                if offset >= source.size:
                    offset, job_id = self._head(url)  # the last byte is in; the HEAD makes the job
                    if job_id is None:
                        raise errors.ServerError("the upload is complete but has no job yet", status=500)
                    break
                end = source.size if self.chunk_size is None else min(source.size, offset + self.chunk_size)
                response = self._send(
                    "PATCH",
                    url,
                    retry=False,
                    content=source.blocks(offset, end, on_progress),
                    headers=b.patch_headers(offset, end - offset),
                    timeout=httpx.Timeout(self.timeout, connect=min(self.timeout, 10.0), write=None),
                )
                offset = int(response.headers["upload-offset"])
                job_id = response.headers.get("upload-job-id")
                failures = 0
            except b.TUS_FATAL:
                if self.store is not None and key:
                    self.store.forget(key)
                raise
            except b.TUS_TRANSIENT as exc:
                # 409 is an offset mismatch: the HEAD below says where the server is
                if failures >= self.policy.max_retries or (isinstance(exc, errors.Conflict) and failures > 1):
                    raise
                time.sleep(self.policy.delay(failures, exc.retry_after))
                failures += 1
                offset, job_id = self._head(url)
                if on_progress is not None:
                    on_progress(offset, source.size)
        if self.store is not None and key:
            self.store.forget(key)
        return job_id

    def _head(self, url: str) -> tuple[int, str | None]:
        response = self._send("HEAD", url, headers={"Tus-Resumable": b.TUS_VERSION})
        return int(response.headers["upload-offset"]), response.headers.get("upload-job-id")


class _Reader:
    """A file object over the source that reports progress as httpx's multipart encoder reads it."""

    def __init__(self, source: b.Source, on_progress: b.ProgressCallback | None) -> None:
        self.source = source
        self.on_progress = on_progress
        self.sent = 0
        source.fh.seek(source.start)

    def read(self, size: int = -1) -> bytes:
        remaining = self.source.size - self.sent
        data = self.source.fh.read(remaining if size < 0 else min(size, remaining))
        self.sent += len(data)
        if self.on_progress is not None and data:
            self.on_progress(self.sent, self.source.size)
        return data

    def __iter__(self) -> Iterator[bytes]:
        while data := self.read(b.BLOCK):
            yield data
