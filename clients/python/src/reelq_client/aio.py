"""``AsyncClient``: the asyncio twin of ``Client`` (same methods, awaited; ``jobs()`` iterates async)."""

from __future__ import annotations

import asyncio
import hashlib
import os
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from typing import IO, Any

import httpx

from reelq_client import _base as b
from reelq_client import errors
from reelq_client.models import Job
from reelq_client.resume import ResumeStore, fingerprint
from reelq_client.sync import _Reader


class AsyncClient:
    """See ``Client``; every network method is a coroutine. Use ``async with``."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout: float = 30.0,
        max_retries: int = 4,
        chunk_size: int | None = None,
        resume_store: ResumeStore | bool | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = b.normalise_base(base_url)
        self.policy = b.RetryPolicy(max_retries=max_retries)
        self.chunk_size = chunk_size
        self.timeout = timeout
        self.store = b.resume_store(resume_store)
        self._user = hashlib.sha256(token.encode()).hexdigest()[:16]
        self.http = httpx.AsyncClient(
            base_url=self.base_url,
            headers=b.default_headers(token),
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            transport=transport,
        )

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.http.aclose()

    async def _send(self, method: str, url: str, *, retry: bool = True, **kwargs: Any) -> httpx.Response:
        attempt = 0
        while True:
            try:
                response = await self.http.request(method, url, **kwargs)
            except httpx.HTTPError as exc:
                if retry and attempt < self.policy.max_retries and b.retryable_exception(exc, method):
                    await asyncio.sleep(self.policy.delay(attempt, None))
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
                await asyncio.sleep(self.policy.delay(attempt, error.retry_after))
                attempt += 1
                continue
            raise error

    async def job(self, job_id: str) -> Job:
        response = await self._send("GET", f"/api/results/job/{b.job_path(job_id)}")
        return Job.from_dict(response.json())

    async def wait_for(
        self, job_id: str, *, timeout: float | None = None, on_update: Callable[[Job], Any] | None = None
    ) -> Job:
        """Until the job ends, by long-poll; ``JobTimeout`` after ``timeout`` seconds."""
        follow = b.Follow(job_id, timeout)
        while True:
            wait = follow.wait()
            started = time.monotonic()
            try:
                response = await self._send(
                    "GET",
                    follow.path,
                    params={"wait": wait},
                    headers=follow.headers(),
                    timeout=self.timeout + wait,
                )
            except errors.RateLimited as exc:  # e.g. too many open long-polls for this user
                await asyncio.sleep(self.policy.delay(0, exc.retry_after or 1.0))
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
                await asyncio.sleep(pause)

    async def jobs(
        self, *, status: Iterable[str] | str | None = None, page_size: int = 100
    ) -> AsyncIterator[Job]:
        statuses = [status] if isinstance(status, str) else list(status or [])
        cursor: str | None = None
        while True:
            params: dict[str, Any] = {"limit": page_size, "status": statuses}
            if cursor:
                params["cursor"] = cursor
            page = (await self._send("GET", "/api/jobs", params=params)).json()
            for item in page.get("jobs", []):
                yield Job.from_dict(item)
            cursor = page.get("next_cursor")
            if not cursor:
                return

    async def cancel(self, job_id: str) -> None:
        await self._send("POST", f"/api/jobs/{b.job_path(job_id)}/cancel")

    async def retry(self, job_id: str) -> None:
        await self._send("POST", f"/api/jobs/{b.job_path(job_id)}/retry", retry=False)

    async def delete(self, job_id: str) -> None:
        await self._send("DELETE", f"/api/jobs/{b.job_path(job_id)}")

    async def artifact(self, job_id: str, name: str) -> bytes:
        path = f"/api/jobs/{b.job_path(job_id)}/artifacts/{b.check_name(name)}"
        return (await self._send("GET", path)).content

    async def upload(
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
        """See ``Client.upload``."""
        source = b.Source(path_or_file, filename)
        meta = b.metadata_json(metadata)
        try:
            if resumable:
                job_id = await self._tus(source, meta, push_token, analyzer, on_progress)
            else:
                job_id = await self._multipart(
                    source, meta, push_token, analyzer, on_progress, idempotency_key
                )
        finally:
            source.close()
        return await self.wait_for(job_id, timeout=timeout) if wait else await self.job(job_id)

    async def _multipart(
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
                response = await self._send(
                    "POST", "/api/upload", retry=False, data=fields, files=files, headers=headers
                )
                return str(response.json()["job_id"])
            except errors.ReelqClientError as exc:
                if not exc.retryable or attempt >= self.policy.max_retries:
                    raise
                await asyncio.sleep(self.policy.delay(attempt, exc.retry_after))
                attempt += 1

    async def _tus(
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
            return await self._tus_keyed(source, key, meta, push_token, analyzer, on_progress)
        finally:
            if self.store is not None and key:
                self.store.release(key)

    async def _tus_keyed(
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
                offset, job_id = await self._head(url)
            except (errors.NotFound, errors.Gone):
                url = None
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
            response = await self._send("POST", "/api/uploads/", headers=headers)
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
                    offset, job_id = await self._head(url)
                    if job_id is None:
                        raise errors.ServerError("the upload is complete but has no job yet", status=500)
                    break
                end = source.size if self.chunk_size is None else min(source.size, offset + self.chunk_size)
                response = await self._send(
                    "PATCH",
                    url,
                    retry=False,
                    content=_aiter(source.blocks(offset, end, on_progress)),
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
                if failures >= self.policy.max_retries or (isinstance(exc, errors.Conflict) and failures > 1):
                    raise
                await asyncio.sleep(self.policy.delay(failures, exc.retry_after))
                failures += 1
                offset, job_id = await self._head(url)
                if on_progress is not None:
                    on_progress(offset, source.size)
        if self.store is not None and key:
            self.store.forget(key)
        return job_id

    async def _head(self, url: str) -> tuple[int, str | None]:
        response = await self._send("HEAD", url, headers={"Tus-Resumable": b.TUS_VERSION})
        return int(response.headers["upload-offset"]), response.headers.get("upload-job-id")


async def _aiter(blocks: Any) -> AsyncIterator[bytes]:
    for block in blocks:
        yield block
