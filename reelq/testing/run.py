"""Test an analyzer the way a worker runs it: ``run_analyzer(path, "mypkg.pose:analyze")``.

For an analyzer author's own tests (pytest or anything else): the analyzer runs in reelq's analysis
process (``python -I``, the worker's import path and environment filter, the memory limit, a fresh
working directory as its cwd and TMPDIR), with a wall-clock limit; progress and artifacts are collected.
A failure is returned with the code and sentence a job would show, not raised, so a test can assert it.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reelq.errors import JobError
from reelq.worker.local import Failure, run_analysis


@dataclass
class AnalyzerRun:
    """What one run produced."""

    result: dict[str, Any] | None  # the job's ``result`` (None when it failed)
    error: JobError | None  # the job's error (``error.code``, ``error.message``) when it failed
    progress: list[float] = field(default_factory=list)  # every fraction reported, in order
    artifacts: Path = Path()  # the folder ``ctx.artifacts`` pointed at
    detail: dict[str, Any] | None = (
        None  # for a failure: exception class, text and traceback (the server log's)
    )

    @property
    def artifact_names(self) -> list[str]:
        return sorted(p.name for p in self.artifacts.iterdir()) if self.artifacts.is_dir() else []


def run_analyzer(
    path: str | Path,
    analyzer: str,
    *,
    artifacts: str | Path | None = None,
    time_limit: float = 120.0,
    memory_limit_mb: int = 3072,
) -> AnalyzerRun:
    """Run ``analyzer`` (a registered name or ``module:function``) on ``path`` as a worker would.

    ``artifacts``: where ``ctx.artifacts`` points (default: a new temporary folder, kept for the caller
    to inspect). The defaults match the server's ``REELQ_JOB_MEMORY_LIMIT_MB``; ``time_limit`` is
    shorter than ``REELQ_JOB_TIME_LIMIT`` so a test that hangs fails in minutes.
    """
    out = Path(artifacts) if artifacts is not None else Path(tempfile.mkdtemp(prefix="reelq-artifacts-"))
    progress: list[float] = []
    found = run_analysis(
        Path(path),
        analyzer,
        out,
        allowed={analyzer},  # the caller names it: this is the author's own process, not a request
        time_limit=time_limit,
        memory_limit_mb=memory_limit_mb,
        on_progress=progress.append,
    )
    if isinstance(found, Failure):
        return AnalyzerRun(None, found.error(), progress, out, found.detail)
    return AnalyzerRun(found, None, progress, out)
