"""``analyze_local``: run an analyzer on a file here, with no server and no database.

Any analyzer this machine's server would allow runs by name: a registered one (entry points
``reelq.analyzers``), or one configured in ``REELQ_ANALYZER`` / ``REELQ_ANALYZERS``. Another
``module:function`` is imported only when the caller says so (``allow_import=True``, ``--allow-import``):
it is the user's own machine, but a name typed on a command line should not import code by surprise.
The analysis runs the way a worker runs it (``reelq.worker.local``): in the analysis process, with the
worker's import path (so a module in the current directory or on ``PYTHONPATH`` is found) and limits.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from reelq.analysis.registry import available, requestable
from reelq.worker.local import Failure, run_analysis

DEFAULT_ANALYZER = "video"


def _configured() -> tuple[str, list[str], float, int]:
    """The server settings that matter here: default, extra analyzers, time and memory limits."""
    import os

    if not any(k.startswith("REELQ_ANALYZER") for k in os.environ):
        return DEFAULT_ANALYZER, [], 1800.0, 3072
    from reelq.config import get_settings

    s = get_settings()
    return s.analyzer, list(s.analyzers), s.job_time_limit, s.job_memory_limit_mb


def allowed_names(analyzer: str, *, allow_import: bool) -> frozenset[str]:
    """The names this call may load: the ones the server would allow, plus ``analyzer`` if imports are
    allowed."""
    default, extra, _, _ = _configured()
    allowed = requestable(DEFAULT_ANALYZER, [default, *extra])
    if analyzer in allowed:
        return allowed
    if ":" in analyzer and allow_import:
        return allowed | {analyzer}
    hint = " (a module:function needs --allow-import)" if ":" in analyzer else ""
    raise LookupError(f"unknown analyzer {analyzer[:64]!r}{hint}; installed: {', '.join(available())}")


def analyze_local(
    path: str | Path,
    *,
    analyzer: str = DEFAULT_ANALYZER,
    out: str | Path | None = None,
    on_progress: Callable[[float], None] | None = None,
    allow_import: bool = False,
) -> dict[str, Any]:
    """The analyzer's result for ``path`` (the same object a completed job's ``result`` holds).

    Artifacts (thumbnails …) go to ``out``, created if needed; without it they are written to a
    temporary directory and removed. Raises ``reelq.errors.JobError`` when the file cannot be analysed.
    """
    source = Path(path)
    if not source.is_file():
        raise FileNotFoundError(f"no such file: {source}")
    allowed = allowed_names(analyzer, allow_import=allow_import)
    _, _, time_limit, memory_limit_mb = _configured()

    def run(artifacts: Path) -> dict[str, Any]:
        found = run_analysis(
            source,
            analyzer,
            artifacts,
            allowed=allowed,
            time_limit=time_limit,
            memory_limit_mb=memory_limit_mb,
            on_progress=on_progress,
        )
        if isinstance(found, Failure):
            raise found.error()
        return found

    if out is not None:
        return run(Path(out))
    with tempfile.TemporaryDirectory(prefix="reelq-analyze-") as tmp:
        return run(Path(tmp))
