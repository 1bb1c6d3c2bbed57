"""The analyzer side of the ``reelq`` command: the start-up check of ``serve`` and ``worker``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from reelq.config import Settings

EXIT_MISCONFIGURED = 2


def check_analyzers(settings: Settings, only: Sequence[str] | None = None) -> None:
    """Exit (code 2, one line per problem naming the setting) when an analyzer to run cannot run."""
    from reelq.worker.check import startup_problems

    problems = startup_problems(settings, only)
    for line in problems:
        typer.secho(f"error: {line}", fg=typer.colors.RED, err=True)
    if problems:
        raise typer.Exit(EXIT_MISCONFIGURED)


def parse_analyzers(value: str | None) -> list[str] | None:
    """``--analyzers pose,faces``: the names, checked as ``REELQ_WORKER_ANALYZERS`` would be."""
    if value is None:
        return None
    from reelq.analysis.registry import check_configured

    names = [part.strip() for part in value.split(",") if part.strip()]
    try:
        return [check_configured(name) for name in names]
    except ValueError as exc:
        typer.secho(f"error: --analyzers: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(EXIT_MISCONFIGURED) from exc
