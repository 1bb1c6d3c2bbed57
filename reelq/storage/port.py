"""The storage port: where a job's source and artifacts live, as the rest of reelq asks for them.

Two implementations: :class:`reelq.storage.local.LocalStorage` (the data dir; one machine or a shared
volume) and :class:`reelq.storage.objects.ObjectStorage` (S3-compatible; no shared disk). Object names
are the data dir's relative paths (``users/U/jobs/J/source.mp4``, ``…/artifacts/NAME``), built from internal
ids only, so a data dir copied into a bucket (``reelq storage migrate``) is already in place.
Every method blocks: callers on the event loop run them in a thread.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from reelq.files import StoredFile
from reelq.ids import is_id

ARTIFACT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


def job_prefix(user_id: str, job_id: str) -> str:
    if not (is_id(user_id) and is_id(job_id)):
        raise ValueError("job paths are built from internal ids only")
    return f"users/{user_id}/jobs/{job_id}/"


def user_prefix(user_id: str) -> str:
    if not is_id(user_id):
        raise ValueError("user paths are built from internal ids only")
    return f"users/{user_id}/"


def artifact_name_ok(name: str) -> bool:
    return bool(ARTIFACT_NAME.fullmatch(name)) and ".." not in name


@dataclass(frozen=True)
class Artifact:
    """A stored artifact: a local file (``path``) or an object (``key`` with its ``size``)."""

    name: str
    path: Path | None = None
    key: str | None = None
    size: int = 0


class UploadWriter(Protocol):
    """One file as it arrives in a request body (blocking; called from a worker thread)."""

    def write(self, data: bytes) -> None: ...

    def close(self) -> tuple[Path | None, str | None]:
        """Every byte stored durably; returns (local path, object key), one of them set."""
        ...

    def discard(self) -> None:
        """Remove what was stored, at any point (an error, a refusal, a replay)."""
        ...


class Storage(Protocol):
    kind: str  # "local" or "s3"

    def new_upload(self, user_id: str, incoming: Path) -> UploadWriter:
        """Where a plain (multipart/form-data) upload is written while it arrives."""
        ...

    def describe(self) -> str: ...

    def adopt_source(self, file: StoredFile, user_id: str, job_id: str) -> str:
        """Make an uploaded file the job's source; returns what the job row keeps as ``source_path``."""
        ...

    def discard(self, file: StoredFile) -> None:
        """Remove an uploaded file that will not become a job."""
        ...

    def remove_job(self, user_id: str, job_id: str, source: str | None = None) -> None: ...

    def remove_artifacts(self, user_id: str, job_id: str) -> None: ...

    def remove_user(self, user_id: str) -> None: ...

    def work_dir(self, user_id: str, job_id: str, name: str) -> Path:
        """Where one attempt of the analysis works (under the job's dir, or in this process's scratch)."""
        ...

    def fetch_source(self, source: str, scratch: Path) -> Path:
        """A local file with the source's bytes (the data dir's own file, or a copy in ``scratch``)."""
        ...

    def artifacts_dir(self, user_id: str, job_id: str, work_dir: Path) -> Path:
        """Where the analysis writes artifacts (kept there, or published by :meth:`publish_artifacts`)."""
        ...

    def publish_artifacts(self, user_id: str, job_id: str, directory: Path) -> int:
        """Store what the analysis wrote into :meth:`artifacts_dir`; returns how many files."""
        ...

    def artifact(self, user_id: str, job_id: str, name: str) -> Artifact | None: ...

    def open_artifact(self, artifact: Artifact) -> Iterator[bytes]: ...

    def artifact_url(self, artifact: Artifact, seconds: int) -> str | None:
        """A URL the client may fetch the artifact from directly, or None to stream it through."""
        ...

    def check(self) -> None:
        """Raise unless the store answers (readiness)."""
        ...
