"""Blocking file work for tus uploads: every function here runs in a worker thread, not on the loop."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from reelq.uploads.sniff import SNIFF_BYTES

_IOV_MAX = 512
_READ = 4 * 1024 * 1024


def open_data(path: Path) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    return os.open(path, os.O_RDWR | os.O_CREAT, 0o600)


def write_at(fd: int, chunks: Sequence[bytes], offset: int, hashers: Sequence[Any]) -> int:
    """Write ``chunks`` at ``offset`` (positional, so a retried range overwrites) and feed the hashers."""
    for start in range(0, len(chunks), _IOV_MAX):
        batch = list(chunks[start : start + _IOV_MAX])
        total = sum(len(c) for c in batch)
        written = os.pwritev(fd, batch, offset)
        if written < total:  # short write: finish it plainly
            rest = b"".join(batch)[written:]
            view = memoryview(rest)
            pos = offset + written
            while view:
                n = os.pwrite(fd, view, pos)
                view, pos = view[n:], pos + n
        offset += total
        for hasher in hashers:
            for chunk in batch:
                hasher.update(chunk)
    return offset


def sync(fd: int) -> None:
    os.fsync(fd)


def truncate(fd: int, size: int) -> None:
    """Drop anything past ``size`` (bytes never committed, or a refused chunk), durably."""
    if os.fstat(fd).st_size > size:
        os.ftruncate(fd, size)
        os.fsync(fd)


def read_head(fd: int) -> bytes:
    """The first bytes, as many as the container check needs."""
    return os.pread(fd, SNIFF_BYTES, 0)


def sha256_of(path: Path, size: int) -> str:
    """Hash the first ``size`` bytes (used when no running hash survived, e.g. after a restart)."""
    digest = hashlib.sha256()
    remaining = size
    with path.open("rb") as fh:
        while remaining > 0:
            block = fh.read(min(_READ, remaining))
            if not block:
                raise OSError(f"{path.name} is shorter than its committed offset")
            digest.update(block)
            remaining -= len(block)
    return digest.hexdigest()
