"""The terminal side of the CLI: rich progress bars on stderr, shown only when stderr is a terminal.

Scripts that pipe the output (or pass ``--json``) get no bar and no escape codes: stdout carries only
the JSON or the summary, stderr only errors.

Each file has an upload row (bytes, speed, ETA) and, once its job exists, an analysis row (the job's
progress in per cent, moved by every change the long-poll sees). A row ends with ✓ when its work
succeeded and ✗ with the reason when it did not (refused, failed, cancelled, interrupted).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console, RenderableType
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.text import Text

from reelq_client.errors import ReelqClientError
from reelq_client.models import Job

OK, NOT_OK = "✓", "✗"


def stderr_console() -> Console:
    return Console(stderr=True)


def outcome(job: Job) -> tuple[str, str]:
    """The mark and the words a row ends with for a job: ✓ completed, ✗ failed with its reason …"""
    if job.status == "completed":
        return OK, "completed"
    if job.status == "failed":
        # the code only: the row must fit a terminal line; the summary after the bars has the message
        return NOT_OK, f"failed ({job.error.code if job.error else 'no reason given'})"
    if job.status == "cancelled":
        return NOT_OK, "cancelled"
    if job.status == "processing":
        return "", f"processing {job.progress:.0%}"
    return "", str(job.status)


def refusal(exc: ReelqClientError) -> str:
    """Why an upload ended without a job, in a few words: the server's code, or the lost connection."""
    if exc.status:
        return f"refused {exc.status} {exc.code}".rstrip()
    return "no answer from the server"


class _Mark(SpinnerColumn):
    """Spins while the row's work goes on; then the row's mark (✓ or ✗)."""

    def render(self, task: Task) -> RenderableType:
        mark = task.fields.get("mark", "")
        if mark:
            return Text(mark, style="green" if mark == OK else "red")
        return self.spinner.render(task.get_time())


class _Amount(ProgressColumn):
    """Bytes for an upload row; per cent for an analysis row."""

    def __init__(self) -> None:
        super().__init__()
        self.bytes = DownloadColumn()

    def render(self, task: Task) -> RenderableType:
        if task.fields.get("kind") == "upload":
            return self.bytes.render(task)
        return Text(f"{task.percentage:>3.0f}%")


class _Speed(ProgressColumn):
    def __init__(self) -> None:
        super().__init__()
        self.speed = TransferSpeedColumn()

    def render(self, task: Task) -> RenderableType:
        return self.speed.render(task) if task.fields.get("kind") == "upload" else Text("")


def _progress() -> Progress:
    return Progress(
        _Mark(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        _Amount(),
        _Speed(),
        TimeRemainingColumn(),
        TextColumn("{task.fields[status]}"),
        console=stderr_console(),
    )


class Bars:
    """The rows of one file: its upload, then its job's analysis. Does nothing without a terminal."""

    def __init__(self, progress: Progress | None, name: str = "", total: int = 0) -> None:
        self.progress = progress
        self.name = name
        self.upload: TaskID | None = None
        self.analysis: TaskID | None = None
        if progress is not None and name:
            self.upload = progress.add_task(name, total=total, status="uploading", kind="upload", mark="")

    def sent(self, sent: int) -> None:
        if self.progress is not None and self.upload is not None:
            self.progress.update(self.upload, completed=sent)

    def uploaded(self) -> None:
        if self.progress is not None and self.upload is not None:
            self.progress.update(self.upload, status="uploaded", mark=OK)

    def job(self, job: Job, *, follow: bool = True) -> None:
        """The job's analysis row: its progress and status; ✓/✗ once it ended (or if not ``follow``ed)."""
        if self.progress is None:
            return
        if self.analysis is None:
            label = f"{self.name} analysis" if self.name else f"job {job.job_id[-12:]}"
            self.analysis = self.progress.add_task(label, total=1.0, status="", kind="analysis", mark="")
        mark, words = outcome(job)
        if not follow and not mark:
            mark, words = OK, f"{job.status} (not followed)"
        fraction = 1.0 if job.status == "completed" else job.progress
        self.progress.update(self.analysis, completed=fraction, status=words, mark=mark)

    def refused(self, reason: str) -> None:
        """The upload did not end in a job: ✗ and why (the server's refusal, a lost connection …)."""
        if self.progress is not None and self.upload is not None:
            self.progress.update(self.upload, status=reason, mark=NOT_OK)


class Board:
    """The rows of every file of one command, on stderr when it is a terminal."""

    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress

    def add(self, name: str, total: int) -> Bars:
        return Bars(self.progress, name, total)


@contextmanager
def upload_bars(show: bool) -> Iterator[Board]:
    if not show:
        yield Board(None)
        return
    progress = _progress()
    with progress:
        yield Board(progress)


@contextmanager
def job_bar(show: bool) -> Iterator[Bars]:
    """One analysis row (``reelq watch``)."""
    if not show:
        yield Bars(None)
        return
    progress = _progress()
    with progress:
        yield Bars(progress)


@contextmanager
def fraction_bar(show: bool, description: str) -> Iterator[Callable[[float], None]]:
    """A 0..1 bar with no job behind it (``reelq analyze``); yields ``update(fraction)``."""
    if not show:
        yield lambda fraction: None
        return
    progress = _progress()
    with progress:
        task = progress.add_task(description, total=1.0, status="", kind="analysis", mark="")

        def update(fraction: float) -> None:
            progress.update(task, completed=fraction)

        yield update
        progress.update(task, completed=1.0, mark=OK)
