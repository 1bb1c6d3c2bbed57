"""Analyzers for tests and benchmarks: slow, flaky and no-op (select with REELQ_ANALYZER=module:function)."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from reelq.analysis.base import AnalysisContext
from reelq.analysis.probe import analyze as probe
from reelq.errors import TransientJobError


def slow(path: Path, ctx: AnalysisContext) -> dict[str, Any]:
    """Probe the file, then take ``REELQ_TEST_ANALYZER_SECONDS`` (default 3) reporting progress."""
    seconds = float(os.environ.get("REELQ_TEST_ANALYZER_SECONDS", "3"))
    start = time.monotonic()
    while (elapsed := time.monotonic() - start) < seconds:
        ctx.progress(elapsed / seconds)
        time.sleep(0.05)
    ctx.progress(1.0)
    return {**probe(path, ctx), "slept": seconds}


def flaky(path: Path, ctx: AnalysisContext) -> dict[str, Any]:
    """Fails with a transient error on the first attempt, succeeds on the next."""
    marker = ctx.artifacts / ".flaky-attempts"
    attempts = int(marker.read_text()) + 1 if marker.exists() else 1
    marker.write_text(str(attempts))
    if attempts == 1:
        raise TransientJobError("storage_hiccup", "A dependency timed out (simulated).")
    return {**probe(path, ctx), "attempt": attempts}


def noop(path: Path, ctx: AnalysisContext) -> dict[str, Any]:
    """Does nothing: measures the job system itself."""
    ctx.progress(1.0)
    return {"ok": True}


def explode(path: Path, ctx: AnalysisContext) -> dict[str, Any]:
    """An analyzer bug: an undeclared exception."""
    raise ZeroDivisionError("simulated analyzer bug")


def busy(path: Path, ctx: AnalysisContext) -> dict[str, Any]:
    """Keeps one core busy for ``REELQ_TEST_ANALYZER_SECONDS`` (default 3): a stand-in for decoding."""
    seconds = float(os.environ.get("REELQ_TEST_ANALYZER_SECONDS", "3"))
    start = time.monotonic()
    spins = 0
    while (elapsed := time.monotonic() - start) < seconds:
        for _ in range(20_000):
            spins += 1
        ctx.progress(elapsed / seconds)
    return {"spins": spins}


_kept: list[bytes] = []


def state(path: Path, ctx: AnalysisContext) -> dict[str, Any]:
    """Reports what a job can see of earlier ones in its process, then leaves some state behind."""
    import tempfile

    seen = {
        "pid": os.getpid(),
        "cwd_files": sorted(os.listdir(".")),
        "tmp_files": sorted(os.listdir(tempfile.gettempdir())),
        "kept": len(_kept),
    }
    with open("leftover.txt", "w") as f:
        f.write("from an earlier job")
    _kept.append(b"x")
    return seen


def crash(path: Path, ctx: AnalysisContext) -> dict[str, Any]:
    """Dies the hard way, as a native crash in a decoder would."""
    import signal

    os.kill(os.getpid(), signal.SIGSEGV)
    return {}


def leak(path: Path, ctx: AnalysisContext) -> dict[str, Any]:
    """Keeps ``REELQ_TEST_LEAK_MB`` (default 150) MiB alive after it returns."""
    size = int(os.environ.get("REELQ_TEST_LEAK_MB", "150")) * 2**20
    _kept.append(b"\x01" * size)  # touched pages: resident, unlike bytes(size)
    return {"pid": os.getpid()}
