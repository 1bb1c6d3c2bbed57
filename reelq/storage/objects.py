"""S3-compatible object storage as the store: nothing a later request needs stays on the node.

Sources are objects (a tus or direct upload is completed in place, under the user's prefix; a file that
arrived on this node is uploaded and its local copy removed); the worker copies the source to a scratch
file, and publishes the artifacts it wrote into its scratch dir before the job is marked completed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

from botocore.exceptions import ClientError

from reelq.files import StoredFile
from reelq.ids import is_id, new_id
from reelq.storage.port import Artifact, artifact_name_ok, job_prefix, user_prefix
from reelq.storage.s3 import Part, S3Objects, is_missing
from reelq.storage.scratch import scratch_root

log = logging.getLogger("reelq.storage")


def upload_key(user_id: str, upload_id: str) -> str:
    """Where an upload that arrives in parts (tus, direct) is assembled, and stays as the job's source."""
    if not (is_id(user_id) and is_id(upload_id)):
        raise ValueError("upload keys are built from internal ids only")
    return f"users/{user_id}/uploads/{upload_id}"


class ObjectWriter:
    """A body streamed into a multipart upload: at most one part in memory, nothing on disk."""

    def __init__(self, objects: S3Objects, key: str) -> None:
        self.objects = objects
        self.key = key
        self.part_size = objects.location.part_size
        self.buffer = bytearray()
        self.mpu: str | None = None
        self.parts: list[Part] = []
        self.done = False

    def write(self, data: bytes) -> None:
        self.buffer += data
        while len(self.buffer) >= self.part_size:
            self._send(bytes(self.buffer[: self.part_size]))
            del self.buffer[: self.part_size]

    def _send(self, data: bytes) -> None:
        if self.mpu is None:
            self.mpu = self.objects.create_multipart(self.key)
        number = len(self.parts) + 1
        self.parts.append(Part(number, self.objects.upload_part(self.key, self.mpu, number, data), len(data)))

    def close(self) -> tuple[Path | None, str | None]:
        if self.mpu is None:
            self.objects.put_bytes(self.key, bytes(self.buffer))  # smaller than one part
        else:
            if self.buffer:
                self._send(bytes(self.buffer))
            self.objects.complete_multipart(self.key, self.mpu, self.parts)
        self.buffer = bytearray()
        self.done = True
        return None, self.key

    def discard(self) -> None:
        self.buffer = bytearray()
        if self.mpu is not None and not self.done:
            self.objects.abort_multipart(self.key, self.mpu)
        if self.done:
            self.objects.delete(self.key)


class ObjectStorage:
    kind = "s3"

    def new_upload(self, user_id: str, incoming: Path) -> ObjectWriter:
        return ObjectWriter(self.objects, upload_key(user_id, new_id()))

    def __init__(self, objects: S3Objects, data_dir: Path) -> None:
        self.objects = objects
        self.data_dir = data_dir

    def describe(self) -> str:
        return self.objects.location.describe()

    def adopt_source(self, file: StoredFile, user_id: str, job_id: str) -> str:
        if file.key is not None:
            return file.key  # already in the bucket, under the user's prefix
        assert file.path is not None
        if not file.extension.isalnum():
            raise ValueError("bad extension")
        key = f"{job_prefix(user_id, job_id)}source.{file.extension}"
        self.objects.put_file(key, file.path)
        file.path.unlink(missing_ok=True)
        return key

    def discard(self, file: StoredFile) -> None:
        if file.path is not None:
            file.path.unlink(missing_ok=True)
        if file.key is not None:
            self.objects.delete(file.key)

    def remove_job(self, user_id: str, job_id: str, source: str | None = None) -> None:
        self.objects.delete_prefix(job_prefix(user_id, job_id))
        if source and source.startswith(user_prefix(user_id)):
            self.objects.delete(source)

    def remove_artifacts(self, user_id: str, job_id: str) -> None:
        self.objects.delete_prefix(f"{job_prefix(user_id, job_id)}artifacts/")

    def remove_user(self, user_id: str) -> None:
        self.objects.delete_prefix(user_prefix(user_id))

    def work_dir(self, user_id: str, job_id: str, name: str) -> Path:
        if not is_id(job_id):
            raise ValueError("job paths are built from internal ids only")
        return scratch_root(self.data_dir) / f"{job_id}-{name}"

    def fetch_source(self, source: str, scratch: Path) -> Path:
        suffix = Path(source).suffix if Path(source).suffix[1:].isalnum() else ""
        dest = scratch / f"source{suffix}"
        self.objects.download(source, dest)
        return dest

    def artifacts_dir(self, user_id: str, job_id: str, work_dir: Path) -> Path:
        return work_dir / "artifacts"

    def publish_artifacts(self, user_id: str, job_id: str, directory: Path) -> int:
        if not directory.is_dir():
            return 0
        prefix = f"{job_prefix(user_id, job_id)}artifacts/"
        count = 0
        for path in sorted(directory.iterdir()):
            if path.is_file() and artifact_name_ok(path.name):
                self.objects.put_file(prefix + path.name, path)
                count += 1
        return count

    def artifact(self, user_id: str, job_id: str, name: str) -> Artifact | None:
        if not artifact_name_ok(name):
            return None
        key = f"{job_prefix(user_id, job_id)}artifacts/{name}"
        size = self.objects.size(key)
        return None if size is None else Artifact(name, key=key, size=size)

    def open_artifact(self, artifact: Artifact) -> Iterator[bytes]:
        assert artifact.key is not None
        try:
            yield from self.objects.stream(artifact.key)
        except ClientError as exc:
            if is_missing(exc):
                return
            raise

    def artifact_url(self, artifact: Artifact, seconds: int) -> str | None:
        if self.objects.location.artifacts != "redirect":
            return None
        assert artifact.key is not None
        return self.objects.presign_get(artifact.key, seconds, download_name=artifact.name)

    def check(self) -> None:
        self.objects.client.head_bucket(Bucket=self.objects.bucket)
