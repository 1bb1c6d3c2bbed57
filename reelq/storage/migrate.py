"""Copy a data dir's sources and artifacts into a bucket, under the same names the jobs already use.

Resumable and idempotent: an object already there with the file's size is skipped, so a run that was
stopped is started again and copies only what is missing. Nothing is deleted from the data dir.
Unfinished uploads (``incoming/``) and attempts' work dirs are not copied: they are not a job's files.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from reelq.storage.s3 import S3Objects

_JOB_FILE = re.compile(
    r"users/[^/]+/jobs/[^/]+/(source\.[a-z0-9]{1,5}|artifacts/[A-Za-z0-9][A-Za-z0-9._-]{0,127})"
)


@dataclass
class MigrateReport:
    copied: int = 0
    skipped: int = 0
    bytes_copied: int = 0


def job_files(data_dir: Path) -> Iterator[tuple[str, Path]]:
    root = data_dir.resolve()
    users = root / "users"
    if not users.is_dir():
        return
    for path in sorted(users.rglob("*")):
        if not path.is_file() or path.is_symlink():
            continue
        relative = path.relative_to(root).as_posix()
        if _JOB_FILE.fullmatch(relative):
            yield relative, path


def migrate(
    data_dir: Path, objects: S3Objects, progress: Callable[[str, bool], None] | None = None
) -> MigrateReport:
    report = MigrateReport()
    for relative, path in job_files(data_dir):
        size = path.stat().st_size
        if objects.size(relative) == size:
            report.skipped += 1
            if progress:
                progress(relative, False)
            continue
        objects.put_file(relative, path)
        report.copied += 1
        report.bytes_copied += size
        if progress:
            progress(relative, True)
    return report
