"""The child process that runs one analyzer: ``python -m reelq.worker.child SPEC_JSON``.

It reports progress as JSON lines on its private pipe, writes ``result.json`` or ``error.json``
into the work dir, and dies with its parent (PR_SET_PDEATHSIG), so a killed worker leaves no orphan.
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import signal
import sys
import time
import traceback
from pathlib import Path
from typing import Any, TextIO

from reelq.errors import JobError

EXIT_OK = 0
EXIT_JOB_ERROR = 3


class _PipeContext:
    def __init__(self, job_id: str, artifacts: Path, out: TextIO) -> None:
        self.job_id = job_id
        self.artifacts = artifacts
        self._out = out
        self._last = 0.0
        self._last_value = -1.0

    def progress(self, fraction: float) -> None:
        fraction = min(1.0, max(0.0, float(fraction)))
        t = time.monotonic()
        if t - self._last < 0.25 and fraction < 1.0:
            return
        if abs(fraction - self._last_value) < 1e-4:
            return
        self._last, self._last_value = t, fraction
        self._out.write(json.dumps({"progress": round(fraction, 4)}) + "\n")
        self._out.flush()


def _die_with_parent() -> None:
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass
    if os.getppid() == 1:
        os._exit(1)


def _write_json(path: Path, data: Any) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data))
    os.replace(tmp, path)


def main(argv: list[str]) -> int:
    _die_with_parent()
    # Analyses yield the CPU to the API process: uploads and polls stay fast while every core decodes.
    os.nice(10)
    spec = json.loads(argv[1])
    work = Path(spec["work_dir"])
    # Progress goes to a private copy of stdout; the analyzer's own prints go to stderr.
    out = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    if spec.get("memory_limit_mb"):
        limit = int(spec["memory_limit_mb"]) * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        from reelq.analysis.registry import load

        analyzer = load(spec["analyzer"], frozenset(spec["allowed"]))
        artifacts = Path(spec["artifacts"])
        artifacts.mkdir(parents=True, exist_ok=True)
        ctx = _PipeContext(spec["job_id"], artifacts, out)
        result = analyzer(Path(spec["source"]), ctx)
        _write_json(work / "result.json", result)
        return EXIT_OK
    except JobError as exc:
        _write_json(
            work / "error.json", {"code": exc.code, "message": exc.message, "retryable": exc.retryable}
        )
    except MemoryError:
        _write_json(
            work / "error.json",
            {
                "code": "memory_limit",
                "message": "The analysis ran out of its memory limit.",
                "retryable": False,
            },
        )
    except OSError as exc:
        _write_json(work / "error.json", {"code": "io_error", "message": str(exc), "retryable": True})
    except Exception as exc:  # an analyzer bug: recorded, not retried
        traceback.print_exc()
        _write_json(
            work / "error.json",
            {
                "code": "analyzer_error",
                "message": f"{exc.__class__.__name__}: {exc}"[:500],
                "retryable": False,
            },
        )
    return EXIT_JOB_ERROR


if __name__ == "__main__":
    sys.exit(main(sys.argv))
