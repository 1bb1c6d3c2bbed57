"""The analyzer protocol: ``analyze(path, ctx) -> dict``."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol


class AnalysisContext(Protocol):
    """What an analyzer may use besides the file itself."""

    job_id: str
    artifacts: Path

    def progress(self, fraction: float) -> None:
        """Report progress in [0, 1]; cheap to call often (it is rate-limited by the caller)."""


class Analyzer(Protocol):
    def __call__(self, path: Path, ctx: AnalysisContext) -> dict[str, Any]: ...


@dataclass
class LocalContext:
    """A context for running an analyzer outside the job system (tests, ``reelq analyze``)."""

    artifacts: Path
    job_id: str = "local"
    reported: list[float] = field(default_factory=list)

    def progress(self, fraction: float) -> None:
        fraction = min(1.0, max(0.0, float(fraction)))
        self.reported.append(fraction)


def artifact_url(job_id: str, name: str) -> str:
    """The API path that serves an artifact to the job's owner."""
    return f"/api/jobs/{job_id}/artifacts/{name}"
