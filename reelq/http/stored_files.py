"""An artifact as an HTTP answer, wherever it is stored (the data dir or a bucket).

From a bucket it is streamed through the API by default: the client needs no route to the bucket, and
the answer keeps its cache and security headers. ``artifacts=redirect`` in the storage URL answers with a
307 to a presigned GET instead (less traffic through the API; the bucket must be reachable by clients).
"""

from __future__ import annotations

import mimetypes

from fastapi.responses import FileResponse, RedirectResponse, Response, StreamingResponse
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool

from reelq.storage import Artifact, Storage

PRESIGN_SECONDS = 300


async def artifact_response(storage: Storage, artifact: Artifact, headers: dict[str, str]) -> Response:
    if artifact.path is not None:
        return FileResponse(artifact.path, headers=headers)
    url = await run_in_threadpool(storage.artifact_url, artifact, PRESIGN_SECONDS)
    if url is not None:
        return RedirectResponse(url, status_code=307, headers={"Cache-Control": "no-store"})
    media_type = mimetypes.guess_type(artifact.name)[0] or "application/octet-stream"
    return StreamingResponse(
        iterate_in_threadpool(storage.open_artifact(artifact)),
        media_type=media_type,
        headers={**headers, "Content-Length": str(artifact.size)},
    )
