"""``reelq storage …``: the object store behind REELQ_STORAGE_URL."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="Object storage (REELQ_STORAGE_URL).", no_args_is_help=True)


@app.command("migrate")
def migrate_command(
    to: Annotated[
        str | None, typer.Option("--to", help="s3://BUCKET/PREFIX?…; default: REELQ_STORAGE_URL")
    ] = None,
    data_dir: Annotated[
        Path | None, typer.Option("--data-dir", help="The data dir to copy; default: REELQ_DATA_DIR")
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Print every file")] = False,
) -> None:
    """Copy the data dir's sources and artifacts into the bucket (run it again: it copies what is missing)."""
    from reelq.config import get_settings
    from reelq.storage.migrate import migrate
    from reelq.storage.s3 import S3Objects
    from reelq.storage.url import parse_storage_url

    settings = get_settings()
    url = to if to is not None else settings.storage_url
    try:
        location = parse_storage_url(url)
    except ValueError as exc:
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from None
    if location is None:
        typer.secho("error: name the bucket: --to s3://… or REELQ_STORAGE_URL", fg=typer.colors.RED, err=True)
        raise typer.Exit(2)
    source = data_dir or settings.data_dir

    def show(relative: str, copied: bool) -> None:
        if verbose:
            typer.echo(f"{'copied ' if copied else 'present'} {relative}")

    report = migrate(source, S3Objects(location), show)
    typer.echo(
        f"{report.copied} file(s) copied ({report.bytes_copied} bytes), {report.skipped} already there, "
        f"into {location.describe()}"
    )
