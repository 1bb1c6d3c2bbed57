"""A round trip through the bucket, for ``reelq doctor``: reach, write, read, multipart, delete."""

from __future__ import annotations

import os

from reelq.ids import new_id
from reelq.storage.s3 import Part, S3Objects


class ProbeFailed(Exception):
    def __init__(self, step: str, cause: BaseException) -> None:
        super().__init__(
            f"{step}: {cause.__class__.__name__}: {str(cause).splitlines()[0][:160] if str(cause) else ''}"
        )
        self.step = step


def probe(objects: S3Objects) -> list[str]:
    """Run every step on objects under ``.reelq-doctor/``, remove them; the steps that passed."""
    base = f".reelq-doctor/{new_id()}"
    done: list[str] = []
    step = "reach"
    payload = os.urandom(1024)
    try:
        objects.client.head_bucket(Bucket=objects.bucket)
        done.append(step)
        step = "write"
        objects.put_bytes(f"{base}/object", payload)
        done.append(step)
        step = "read"
        if objects.get_bytes(f"{base}/object") != payload:
            raise ValueError("read back other bytes than were written")
        done.append(step)
        step = "multipart"
        key = f"{base}/multipart"
        mpu = objects.create_multipart(key)
        try:
            etag = objects.upload_part(key, mpu, 1, payload)
            objects.complete_multipart(key, mpu, [Part(1, etag, len(payload))])
        except BaseException:
            objects.abort_multipart(key, mpu)
            raise
        if objects.size(key) != len(payload):
            raise ValueError("the completed multipart object has the wrong size")
        done.append(step)
        step = "delete"
        objects.delete(f"{base}/object")
        objects.delete(key)
        if objects.size(key) is not None:
            raise ValueError("a deleted object is still there")
        done.append(step)
    except Exception as exc:
        raise ProbeFailed(step, exc) from exc
    return done
