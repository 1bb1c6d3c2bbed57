"""Where files live under the data dir, and the small file helpers every layer uses.

Paths are built from internal ids only, never from request values. Neutral: the API, the intake, the job
service and the worker all use this module, and it imports nothing of theirs.
"""

from __future__ import annotations

import os
import re
import shutil
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from reelq.ids import is_id


class Layout:
    def __init__(self, data_dir: Path) -> None:
        self.root = data_dir.resolve()

    @property
    def incoming(self) -> Path:
        return self.root / "incoming"

    def job_dir(self, user_id: str, job_id: str) -> Path:
        if not (is_id(user_id) and is_id(job_id)):
            raise ValueError("job paths are built from internal ids only")
        return self.root / "users" / user_id / "jobs" / job_id

    def source_path(self, user_id: str, job_id: str, extension: str) -> Path:
        if not re.fullmatch(r"[a-z0-9]{1,5}", extension):
            raise ValueError("bad extension")
        return self.job_dir(user_id, job_id) / f"source.{extension}"

    def artifacts_dir(self, user_id: str, job_id: str) -> Path:
        return self.job_dir(user_id, job_id) / "artifacts"

    def artifact_path(self, user_id: str, job_id: str, name: str) -> Path | None:
        """The artifact file if ``name`` is a plain file name that exists there, else None."""
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}", name) or ".." in name:
            return None
        base = self.artifacts_dir(user_id, job_id)
        path = (base / name).resolve()
        if path.parent != base.resolve() or not path.is_file():
            return None
        return path

    def relative(self, path: Path) -> str:
        return str(path.resolve().relative_to(self.root))

    def absolute(self, relative: str) -> Path:
        path = (self.root / relative).resolve()
        if not path.is_relative_to(self.root):
            raise ValueError("path escapes the data dir")
        return path

    def remove_job(self, user_id: str, job_id: str) -> None:
        shutil.rmtree(self.job_dir(user_id, job_id), ignore_errors=True)

    def free_bytes(self) -> int:
        self.root.mkdir(parents=True, exist_ok=True)
        return shutil.disk_usage(self.root).free


def display_name(raw: str | None, fallback: str = "upload") -> str:
    """A file name safe to show and store as text: the last path part, no control chars, ≤ 255 bytes."""
    if not raw:
        return fallback
    name = unicodedata.normalize("NFC", raw).replace("\\", "/").split("/")[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip().lstrip(".")
    name = name.encode()[:255].decode(errors="ignore")
    return name or fallback


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass(frozen=True)
class StoredFile:
    """An uploaded file, stored, with what was learnt while it arrived.

    ``path``: a file in the incoming dir; ``key``: an object already in the bucket (object storage only).
    """

    path: Path | None
    name: str
    size: int
    sha256: str
    content_type: str
    extension: str
    key: str | None = None
