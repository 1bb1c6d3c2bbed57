"""The resume store: which tus upload URL holds the bytes of which local file.

A new ``upload()`` of the same file (same server, size, modification time and content at both ends)
asks the server for its offset and sends only the rest. Entries go when the upload finishes, when the
server says the upload is gone, or after ``MAX_AGE`` (the server's default expiry is 24 h).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
import time
from pathlib import Path
from typing import IO, Any

from reelq_client.paths import cache_dir

SAMPLE = 1024 * 1024  # bytes hashed at each end of the file
MAX_AGE = 7 * 24 * 3600.0
_IN_USE: set[str] = set()  # keys an upload of this process is using
_IN_USE_LOCK = threading.Lock()


def fingerprint(fh: IO[bytes], size: int, *, base_url: str, user: str, extra: str = "") -> str:
    """A key for one file on one server for one user; reads at most 2 MiB and restores the position."""
    digest = hashlib.sha256(f"{base_url}\0{user}\0{size}\0{extra}\0".encode())
    start = fh.tell()
    try:
        fh.seek(start)
        digest.update(fh.read(SAMPLE))
        if size - SAMPLE > SAMPLE:
            fh.seek(start + size - SAMPLE)
            digest.update(fh.read(SAMPLE))
    finally:
        fh.seek(start)
    return digest.hexdigest()


class ResumeStore:
    """A small JSON file of ``fingerprint -> {url, length, time}``; safe across threads, atomic on disk."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or cache_dir() / "uploads.json"
        self._lock = threading.Lock()

    def claim(self, key: str) -> bool:
        """Whether this process may use ``key`` now: two uploads of the same file at once must not share
        one tus upload (they would end as one job), so the second one goes without the store."""
        with _IN_USE_LOCK:
            if key in _IN_USE:
                return False
            _IN_USE.add(key)
            return True

    def release(self, key: str) -> None:
        with _IN_USE_LOCK:
            _IN_USE.discard(key)

    def _read(self) -> dict[str, dict[str, Any]]:
        try:
            data = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _write(self, data: dict[str, dict[str, Any]]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.{threading.get_ident()}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(data, fh)
        os.replace(tmp, self.path)

    def get(self, key: str) -> str | None:
        with self._lock:
            entry = self._read().get(key)
        if not isinstance(entry, dict) or time.time() - float(entry.get("time", 0)) > MAX_AGE:
            return None
        url = entry.get("url")
        return url if isinstance(url, str) else None

    def put(self, key: str, url: str, length: int) -> None:
        with self._lock:
            data = {
                k: v
                for k, v in self._read().items()
                if isinstance(v, dict) and time.time() - float(v.get("time", 0)) <= MAX_AGE
            }
            data[key] = {"url": url, "length": length, "time": time.time()}
            with contextlib.suppress(OSError):
                self._write(data)

    def forget(self, key: str) -> None:
        with self._lock:
            data = self._read()
            if data.pop(key, None) is not None:
                with contextlib.suppress(OSError):
                    self._write(data)
