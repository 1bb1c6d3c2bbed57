"""``analyze_local``: run an analyzer on a file here, with no server and no database.

Only analyzers this installation registers (entry points ``reelq.analyzers``) are loaded by name; a
``module:function`` is imported only when the caller says so (``allow_import=True``, ``--allow-import``):
it is the user's own machine, but a name typed on a command line should not import code by surprise.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from reelq.analysis.registry import available, load, requestable

DEFAULT_ANALYZER = "video"


class _Context:
    def __init__(self, artifacts: Path, on_progress: Callable[[float], None] | None) -> None:
        self.job_id = "local"
        self.artifacts = artifacts
        self._on_progress = on_progress

    def progress(self, fraction: float) -> None:
        if self._on_progress is not None:
            self._on_progress(min(1.0, max(0.0, float(fraction))))


def allowed_names(analyzer: str, *, allow_import: bool) -> frozenset[str]:
    """The names this call may load: the registered ones, plus ``analyzer`` if imports are allowed."""
    allowed = requestable(DEFAULT_ANALYZER)
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
    fn = load(analyzer, allowed_names(analyzer, allow_import=allow_import))
    if out is not None:
        artifacts = Path(out)
        artifacts.mkdir(parents=True, exist_ok=True)
        return fn(source, _Context(artifacts, on_progress))
    with tempfile.TemporaryDirectory(prefix="reelq-analyze-") as tmp:
        return fn(source, _Context(Path(tmp), on_progress))
