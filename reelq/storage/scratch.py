"""A worker's local scratch space in object-storage mode: the source copy and what the analysis writes.

Each worker process writes under ``<data dir>/scratch/<host>-<pid>/``; a process that was killed leaves its
directory behind, and the next worker that starts on the host removes the directories of dead processes.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
from pathlib import Path

_OWNER = re.compile(r"(?P<host>.+)-(?P<pid>\d+)")


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9.-]", "_", socket.gethostname())[:64] or "host"


def scratch_root(data_dir: Path) -> Path:
    return data_dir / "scratch" / f"{_host()}-{os.getpid()}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_stale_scratch(data_dir: Path) -> int:
    """Remove the scratch dirs of this host's processes that no longer run; returns how many."""
    base = data_dir / "scratch"
    if not base.is_dir():
        return 0
    removed = 0
    host = _host()
    for entry in base.iterdir():
        m = _OWNER.fullmatch(entry.name)
        if not m or m.group("host") != host:
            continue  # another machine's (a shared data dir): only that machine can tell
        pid = int(m.group("pid"))
        if pid != os.getpid() and not _alive(pid):
            shutil.rmtree(entry, ignore_errors=True)
            removed += 1
    return removed
