"""Run one analysis the way a worker does, without a job: for ``reelq analyze`` and ``reelq.testing``.

The same analysis process (``reelq.worker.child``, started ``python -I`` with the worker's import path
and environment filter), the same memory limit, a wall-clock limit, a fresh working directory, progress
from the process's pipe, and the same reading of ``result.json`` / ``error.json`` into a result or a
``JobError`` with the code and sentence a job would get.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

from reelq.worker.env import child_env
from reelq.worker.outcome import TIME_LIMIT, Failure, outcome_of
from reelq.worker.pool import WarmChild

__all__ = ["Failure", "run_analysis"]


def run_analysis(
    source: Path,
    analyzer: str,
    artifacts: Path,
    *,
    allowed: Collection[str],
    time_limit: float = 1800.0,
    memory_limit_mb: int = 0,
    on_progress: Callable[[float], None] | None = None,
    job_id: str = "local",
) -> dict[str, Any] | Failure:
    """The analyzer's result for ``source``, or how it failed (never raises for the analysis itself)."""
    work = Path(tempfile.mkdtemp(prefix="reelq-analysis-"))
    artifacts.mkdir(parents=True, exist_ok=True)
    spec = {
        "job_id": job_id,
        "analyzer": analyzer,
        "source": str(source.resolve()),
        "artifacts": str(artifacts.resolve()),
        "work_dir": str(work),
        "memory_limit_mb": memory_limit_mb,
        "allowed": sorted(allowed),
    }
    child = WarmChild(memory_limit_mb, child_env())
    try:
        child.start(spec)
        started, seen = time.monotonic(), 0.0  # the process starts at 0: report what it reports
        while (outcome := child.wait(0.1)) is None:
            if on_progress is not None and child.progress != seen:
                seen = child.progress
                on_progress(seen)
            if time.monotonic() - started > time_limit:
                return Failure("time_limit_exceeded", TIME_LIMIT.format(seconds=time_limit), False)
        if on_progress is not None and child.progress != seen:
            on_progress(child.progress)
        return outcome_of(work, outcome.code)
    finally:
        child.kill()
        shutil.rmtree(work, ignore_errors=True)
