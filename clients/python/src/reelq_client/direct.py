"""Uploads straight to the server's bucket, when it offers them (``POST /api/uploads/direct``).

The server answers presigned part URLs; the parts are PUT to the bucket (without the API token: the
signed URL is the credential), then ``complete`` makes the job. An interrupted upload resumes from the
parts the bucket already has: the resume store keeps the upload's address, and ``GET`` answers fresh
URLs for the missing parts. A server that keeps uploads on its own disk answers 404
``direct_uploads_unavailable``: the caller falls back to tus.
"""

from __future__ import annotations

import hashlib
import time
from typing import TYPE_CHECKING, Any

import httpx

from reelq_client import _base as b
from reelq_client import errors

if TYPE_CHECKING:
    from reelq_client.sync import Client

PATH = "/api/uploads/direct"


def sha256_of(source: b.Source) -> str:
    digest = hashlib.sha256()
    for block in source.blocks(0, source.size, None):
        digest.update(block)
    return digest.hexdigest()


def _read(source: b.Source, offset: int, size: int) -> bytes:
    source.fh.seek(source.start + offset)
    data = source.fh.read(size)
    if len(data) != size:
        raise errors.ReelqClientError("the file got shorter while it was being uploaded")
    return data


def upload(
    client: Client,
    source: b.Source,
    key: str | None,
    fields: dict[str, str | None],
    on_progress: b.ProgressCallback | None,
) -> str | None:
    """The job id, or None when the server does not take direct uploads (or a tus upload of this file
    is already under way: it is continued with tus)."""
    store = client.store if key else None
    saved = store.get(key) if store is not None and key else None
    info: dict[str, Any] | None = None
    if saved is not None:
        if not saved.startswith(PATH + "/"):
            return None
        try:
            info = client._send("GET", saved).json()
        except (errors.NotFound, errors.Gone):
            assert store is not None and key
            store.forget(key)
    if info is None:
        body: dict[str, Any] = {k: v for k, v in fields.items() if v is not None}
        body.update(size=source.size, filename=source.name, sha256=sha256_of(source))
        try:
            info = client._send("POST", PATH, json=body).json()
        except errors.NotFound as exc:
            if exc.code == "direct_uploads_unavailable":
                return None
            raise
        assert info is not None
        if store is not None and key:
            store.put(key, f"{PATH}/{info['upload_id']}", source.size)
    address = f"{PATH}/{info['upload_id']}"
    if info.get("job_id"):
        return _done(client, key, str(info["job_id"]))
    _send_parts(client, source, info, on_progress)
    try:
        response = client._send("POST", f"{address}/complete")
    except errors.Conflict:  # a part was lost on the way: once more, from the bucket's own list
        _send_parts(client, source, client._send("GET", address).json(), on_progress)
        response = client._send("POST", f"{address}/complete")
    except (errors.Gone, errors.ChecksumMismatch, errors.UnsupportedMedia):
        if store is not None and key:
            store.forget(key)
        raise
    return _done(client, key, str(response.json()["job_id"]))


def _done(client: Client, key: str | None, job_id: str) -> str:
    if client.store is not None and key:
        client.store.forget(key)
    return job_id


def _send_parts(
    client: Client, source: b.Source, info: dict[str, Any], on_progress: b.ProgressCallback | None
) -> None:
    part_size = int(info["part_size"])
    sent = sum(int(p["size"]) for p in info["parts"] if p["url"] is None)
    if on_progress is not None:
        on_progress(sent, source.size)
    timeout = httpx.Timeout(client.timeout, connect=min(client.timeout, 10.0), write=None)
    with httpx.Client(timeout=timeout) as bucket:
        for part in info["parts"]:
            if part["url"] is None:
                continue
            data = _read(source, (int(part["number"]) - 1) * part_size, int(part["size"]))
            _put(client, bucket, str(part["url"]), data)
            sent += len(data)
            if on_progress is not None:
                on_progress(sent, source.size)


def _put(client: Client, bucket: httpx.Client, url: str, data: bytes) -> None:
    attempt = 0
    while True:
        try:
            response = bucket.put(url, content=data)
            if response.status_code < 300:
                return
            if response.status_code < 500 or attempt >= client.policy.max_retries:
                raise errors.ReelqClientError(
                    f"the bucket refused a part (HTTP {response.status_code})", status=response.status_code
                )
        except httpx.HTTPError as exc:
            if attempt >= client.policy.max_retries:
                raise b.connection_error(exc) from exc
        time.sleep(client.policy.delay(attempt, None))
        attempt += 1
