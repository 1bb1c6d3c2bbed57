"""The data dir as the store: files stay where they are written (one machine, or a shared volume)."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from reelq.files import Layout, StoredFile, fsync_dir
from reelq.storage.port import Artifact

READ_BYTES = 1024 * 1024


class FileWriter:
    """A temporary file in the incoming dir, fsynced at the end."""

    def __init__(self, incoming: Path) -> None:
        incoming.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix="upload-", suffix=".part", dir=incoming)
        self.path = Path(name)
        self.fh: BinaryIO | None = os.fdopen(fd, "wb")

    def write(self, data: bytes) -> None:
        assert self.fh is not None
        self.fh.write(data)

    def close(self) -> tuple[Path | None, str | None]:
        assert self.fh is not None
        self.fh.flush()
        os.fsync(self.fh.fileno())
        self.fh.close()
        self.fh = None
        return self.path, None

    def discard(self) -> None:
        if self.fh is not None:
            with contextlib.suppress(OSError):
                self.fh.close()
            self.fh = None
        self.path.unlink(missing_ok=True)


class LocalStorage:
    kind = "local"

    def new_upload(self, user_id: str, incoming: Path) -> FileWriter:
        return FileWriter(incoming)

    def __init__(self, layout: Layout) -> None:
        self.layout = layout

    def describe(self) -> str:
        return str(self.layout.root)

    def adopt_source(self, file: StoredFile, user_id: str, job_id: str) -> str:
        if file.path is None:
            raise ValueError("the data dir store takes files, not objects")
        dest = self.layout.source_path(user_id, job_id, file.extension)
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(file.path, dest)
        fsync_dir(dest.parent)
        return self.layout.relative(dest)

    def discard(self, file: StoredFile) -> None:
        if file.path is not None:
            file.path.unlink(missing_ok=True)

    def remove_job(self, user_id: str, job_id: str, source: str | None = None) -> None:
        self.layout.remove_job(user_id, job_id)

    def remove_artifacts(self, user_id: str, job_id: str) -> None:
        shutil.rmtree(self.layout.artifacts_dir(user_id, job_id), ignore_errors=True)

    def remove_user(self, user_id: str) -> None:
        shutil.rmtree(self.layout.root / "users" / user_id, ignore_errors=True)

    def work_dir(self, user_id: str, job_id: str, name: str) -> Path:
        return self.layout.job_dir(user_id, job_id) / name

    def fetch_source(self, source: str, scratch: Path) -> Path:
        return self.layout.absolute(source)

    def artifacts_dir(self, user_id: str, job_id: str, work_dir: Path) -> Path:
        return self.layout.artifacts_dir(user_id, job_id)

    def publish_artifacts(self, user_id: str, job_id: str, directory: Path) -> int:
        return 0  # written in place

    def artifact(self, user_id: str, job_id: str, name: str) -> Artifact | None:
        path = self.layout.artifact_path(user_id, job_id, name)
        return None if path is None else Artifact(name, path=path, size=path.stat().st_size)

    def open_artifact(self, artifact: Artifact) -> Iterator[bytes]:
        assert artifact.path is not None
        with artifact.path.open("rb") as fh:
            while block := fh.read(READ_BYTES):
                yield block

    def artifact_url(self, artifact: Artifact, seconds: int) -> str | None:
        return None

    def check(self) -> None:
        self.layout.root.mkdir(parents=True, exist_ok=True)
