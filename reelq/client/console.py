"""The terminal side of the CLI: rich progress bars on stderr, shown only when stderr is a terminal.

Scripts that pipe the output (or pass ``--json``) get no bar and no escape codes: stdout carries only
the JSON or the summary, stderr only errors.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console, RenderableType
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    SpinnerColumn,
    Task,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from reelq.client.models import Job


def stderr_console() -> Console:
    return Console(stderr=True)


class Bars:
    """One row per file: bytes sent, speed and ETA while uploading; then the job status with a spinner."""

    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress

    def add(self, name: str, total: int) -> TaskID | None:
        if self.progress is None:
            return None
        return self.progress.add_task(name, total=total, status="uploading", active=True)

    def sent(self, task: TaskID | None, sent: int) -> None:
        if self.progress is not None and task is not None:
            self.progress.update(task, completed=sent)

    def job(self, task: TaskID | None, job: Job, *, last: bool = False) -> None:
        """The job's status next to the full bar; the spinner turns until the job ends (or ``last``)."""
        if self.progress is None or task is None:
            return
        status = f"{job.status} {job.progress:.0%}" if job.status == "processing" else str(job.status)
        self.progress.update(task, status=status, active=not (last or job.terminal))

    def note(self, task: TaskID | None, status: str) -> None:
        if self.progress is not None and task is not None:
            self.progress.update(task, status=status, active=False)


class _Spinner(SpinnerColumn):
    """Spins while the row's work goes on (the upload, then the analysis), not just while bytes flow."""

    def render(self, task: Task) -> RenderableType:
        if not task.fields.get("active", not task.finished):
            return self.finished_text
        return self.spinner.render(task.get_time())


@contextmanager
def upload_bars(show: bool) -> Iterator[Bars]:
    if not show:
        yield Bars(None)
        return
    progress = Progress(
        _Spinner(finished_text="✓"),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.fields[status]}"),
        console=stderr_console(),
    )
    with progress:
        yield Bars(progress)


@contextmanager
def fraction_bar(show: bool, description: str) -> Iterator[Any]:
    """A 0..1 bar (analysis progress); yields ``update(fraction, status="")``."""
    if not show:
        yield lambda fraction, status="": None
        return
    progress = Progress(
        SpinnerColumn(finished_text="✓"),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeRemainingColumn(),
        TextColumn("{task.fields[status]}"),
        console=stderr_console(),
    )
    with progress:
        task = progress.add_task(description, total=1.0, status="")

        def update(fraction: float, status: str = "") -> None:
            progress.update(task, completed=fraction, status=status)

        yield update
