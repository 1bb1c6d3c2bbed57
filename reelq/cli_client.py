"""The server package's part of the ``reelq`` command that is about clients: the client commands of
``reelq_client`` (on the API) and ``analyze`` (a local analysis, which needs this package's analyzers).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from reelq_client import commands
from reelq_client.commands import EXIT_FAILED, EXIT_USAGE, fail_line


def _fail(message: str, code: int) -> NoReturn:
    fail_line(message)
    raise typer.Exit(code)


def analyze(
    file: Annotated[Path, typer.Argument(help="A video file", exists=True, dir_okay=False)],
    analyzer: Annotated[str, typer.Option(help="A registered analyzer name")] = "video",
    as_json: Annotated[bool, typer.Option("--json", help="Print the result JSON only, no bar")] = False,
    out: Annotated[Path | None, typer.Option(help="Write thumbnails and other artifacts here")] = None,
    allow_import: Annotated[
        bool, typer.Option("--allow-import", help="Let --analyzer be a module:function to import")
    ] = False,
) -> None:
    """Analyse a file here, without a server or a database; the JSON is a job's `result`."""
    from reelq.client.local import analyze_local
    from reelq.errors import JobError
    from reelq_client.console import fraction_bar, stderr_console
    from reelq_client.summary import result_lines

    show = not as_json and stderr_console().is_terminal
    started = time.monotonic()
    try:
        with fraction_bar(show, file.name) as update:
            result = analyze_local(
                file, analyzer=analyzer, out=out, on_progress=update, allow_import=allow_import
            )
    except LookupError as exc:
        _fail(str(exc), EXIT_USAGE)
    except JobError as exc:
        _fail(f"{exc.code}: {exc.message}", EXIT_FAILED)
    if as_json:
        typer.echo(json.dumps(result, separators=(",", ":")))
        return
    typer.echo(f"{file.name}  analysed in {time.monotonic() - started:.1f} s")
    typer.echo("\n".join(result_lines(result)))
    if out is not None:
        typer.echo(f"  artifacts  written to {out}")


def _forward(app: typer.Typer, name: str) -> None:
    """``reelq NAME ...`` runs reelq_client's command NAME with the same arguments (and its --help)."""

    def command(ctx: typer.Context) -> None:
        raise typer.Exit(commands.run([name, *ctx.args]))

    app.command(
        name,
        help=commands.COMMANDS[name],
        add_help_option=False,
        context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    )(command)


def register(app: typer.Typer) -> None:
    """login, logout, upload, results, watch, artifacts, and analyze (the server's own ``reelq jobs``
    works on the database, so the client's ``jobs`` is not added here)."""
    for name in commands.COMMANDS:
        if name != "jobs":
            _forward(app, name)
    app.command()(analyze)
