"""The analysis process: ``python -I -m reelq.worker.child CONFIG_JSON``, one of the worker's warm pool.

It reads one job spec per line on stdin and runs them one after the other (see ``worker/pool.py``), so a
job does not pay for an interpreter and the heavy imports. For each job it works in that job's fresh
working directory (also its TMPDIR), reports progress as JSON lines on its private pipe, writes
``result.json`` or ``error.json`` into the work dir, and then answers ``{"done": code}``. It dies with
its parent (PR_SET_PDEATHSIG), so a killed worker leaves no orphan, and it exits after a job that ran
out of memory (a process that hit its limit is not trusted with another job).
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import resource
import signal
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any, TextIO

from reelq.errors import JobError, PermanentJobError, TransientJobError

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
    # allow_nan=False: NaN and Infinity are not JSON, and a client's parser would reject the whole result
    tmp.write_text(json.dumps(data, allow_nan=False))
    os.replace(tmp, path)


# What the user (and the push on their phone) is told. Exception text stays out of these sentences:
# it can name server paths, modules and internals. It goes to the server log and the job's events.
ANALYZER_ERROR = "The analysis stopped because of an internal error; this is not a problem with your video."
IO_ERROR = "The server could not read or write a file during the analysis."
MEMORY_LIMIT = (
    "The video needs more memory to analyse than this server allows (for example a very large picture size)."
)
UNKNOWN_ANALYZER = "This server does not offer the analysis this job asked for."
ANALYZER_UNAVAILABLE = (
    "The server is misconfigured: the analysis this job needs cannot be loaded. "
    "This is not a problem with your video; try again later."
)
MAX_DETAIL_TEXT = 500
MAX_TRACEBACK = 4000


def exception_detail(exc: BaseException) -> dict[str, str]:
    """The exception as an administrator needs it: class, text and the end of the traceback."""
    trace = "".join(traceback.format_exception(exc))
    return {
        "exception": f"{type(exc).__module__}.{type(exc).__qualname__}".removeprefix("builtins."),
        "text": str(exc)[:MAX_DETAIL_TEXT],
        "traceback": trace[-MAX_TRACEBACK:],
    }


def classify(exc: BaseException, memory_limited: bool) -> tuple[str, str, bool]:
    """(code, sentence for the user, retryable) for an exception that ended the analysis."""
    if isinstance(exc, JobError):
        return exc.code, exc.message, exc.retryable
    if isinstance(exc, MemoryError):  # also PyAV's av.MemoryError (ENOMEM inside FFmpeg)
        return "memory_limit", MEMORY_LIMIT, False
    if isinstance(exc, OSError) and (
        exc.errno == errno.ENOMEM or (memory_limited and exc.errno == errno.EAGAIN)
    ):
        # Under RLIMIT_AS a thread cannot get its stack: FFmpeg and swscale report that as EAGAIN.
        return "memory_limit", MEMORY_LIMIT, False
    if isinstance(exc, OSError):
        return "io_error", IO_ERROR, True
    return "analyzer_error", ANALYZER_ERROR, False


def _setup(memory_limit_mb: int) -> TextIO:
    _die_with_parent()
    # Analyses yield the CPU to the API process: uploads and polls stay fast while every core decodes.
    os.nice(10)
    # Progress goes to a private copy of stdout; the analyzer's own prints go to stderr.
    out = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    if memory_limit_mb:
        limit = memory_limit_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    return out


_loaded: dict[str, Any] = {}


def run_one(spec: dict[str, Any], out: TextIO, memory_limited: bool) -> tuple[int, bool]:
    """Run one job; returns (exit code, whether this process must not take another job)."""
    work = Path(spec["work_dir"])
    os.chdir(work)  # a fresh directory per job: nothing a previous job left is visible
    tempfile.tempdir = str(work)
    os.environ["TMPDIR"] = str(work)
    try:
        from reelq.analysis.registry import load

        allowed = frozenset(spec["allowed"])
        try:
            analyzer = _loaded.get(spec["analyzer"]) if spec["analyzer"] in allowed else None
            if analyzer is None:
                analyzer = _loaded[spec["analyzer"]] = load(spec["analyzer"], allowed)
        except LookupError as exc:
            raise PermanentJobError("unknown_analyzer", UNKNOWN_ANALYZER) from exc
        except Exception as exc:  # allowed, but its module is gone or broken: the server's fault
            raise TransientJobError("analyzer_unavailable", ANALYZER_UNAVAILABLE) from exc
        if not callable(analyzer):
            _loaded.pop(spec["analyzer"], None)
            raise TransientJobError("analyzer_unavailable", ANALYZER_UNAVAILABLE)
        artifacts = Path(spec["artifacts"])
        artifacts.mkdir(parents=True, exist_ok=True)
        ctx = _PipeContext(spec["job_id"], artifacts, out)
        result = analyzer(Path(spec["source"]), ctx)
        _write_json(work / "result.json", result)
        return EXIT_OK, False
    except Exception as exc:  # every way the analysis can end without a result
        code, message, retryable = classify(exc, memory_limited)
        error: dict[str, Any] = {"code": code, "message": message, "retryable": retryable}
        cause = exc.__cause__ if isinstance(exc, JobError) else exc
        if cause is not None:
            error["detail"] = exception_detail(cause)
        if not isinstance(exc, JobError):
            traceback.print_exc()  # the worker's stderr: the server log
        _write_json(work / "error.json", error)
        return EXIT_JOB_ERROR, code == "memory_limit"
    finally:
        os.chdir("/")
        tempfile.tempdir = None


def _preload(names: list[str]) -> None:
    """Import the analyzers the process this one replaces had run, before any job is handed over.

    The names come from the worker, which ran them for earlier jobs; one that fails to load now fails
    its next job the usual way, in ``run_one``.
    """
    if not names:
        return
    from reelq.analysis.registry import load

    for name in names:
        try:
            _loaded[name] = load(name, frozenset(names))
        except Exception:  # reported by the job that needs it, in run_one
            continue


def main(argv: list[str]) -> int:
    config = json.loads(argv[1])
    if config.get("path"):
        from reelq.analysis.registry import use_import_path

        use_import_path([str(p) for p in config["path"]])  # the worker's, so modules resolve as there
    memory_limit_mb = int(config.get("memory_limit_mb") or 0)
    out = _setup(memory_limit_mb)
    _preload([str(name) for name in config.get("preload") or ()])
    out.write(json.dumps({"ready": True}) + "\n")
    out.flush()
    for line in sys.stdin:
        if not line.strip():
            continue
        code, spent = run_one(json.loads(line), out, bool(memory_limit_mb))
        out.write(json.dumps({"done": code, "last": spent}) + "\n")
        out.flush()
        if spent:
            break
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
