"""The client commands of ``reelq``: login, upload, results, watch, artifacts (on ``reelq.client``) and
analyze (local, no server). Exit codes are for scripts; see docs/client.md.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

if TYPE_CHECKING:
    from reelq.client import Client, Job

EXIT_OK = 0  # completed (or, without --wait, accepted)
EXIT_USAGE = 2  # bad arguments, no server configured, unknown analyzer
EXIT_FAILED = 3  # the job (or the local analysis) failed
EXIT_CANCELLED = 4  # the job was cancelled
EXIT_API = 5  # the server refused the request (401, 404, 413, 415, 429 …)
EXIT_NETWORK = 6  # no answer: connection refused, dropped or timed out
EXIT_PENDING = 7  # `results`: the job has not ended yet
EXIT_INTERRUPTED = 130  # Ctrl-C; an unfinished upload resumes on the next `reelq upload` of the file

UrlOpt = Annotated[str | None, typer.Option("--url", help="Server URL [REELQ_URL, or `reelq login`]")]
TokenOpt = Annotated[str | None, typer.Option("--token", help="API token [REELQ_TOKEN, or `reelq login`]")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the job JSON only (one line), no bars")]


def _fail(message: str, code: int) -> NoReturn:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def _status_code(status: str) -> int:
    return {"completed": EXIT_OK, "failed": EXIT_FAILED, "cancelled": EXIT_CANCELLED}.get(
        status, EXIT_PENDING
    )


def _error_code(exc: Exception) -> int:
    from reelq.client import ConnectionFailed

    return EXIT_NETWORK if isinstance(exc, ConnectionFailed) else EXIT_API


def _client(url: str | None, token: str | None) -> Client:
    from reelq.client import Client
    from reelq.client.login import resolve

    login = resolve(url, token)
    if login is None:
        _fail(
            "no server: pass --url and --token, set REELQ_URL and REELQ_TOKEN, or run `reelq login`",
            EXIT_USAGE,
        )
    try:
        return Client(login.url, login.token)
    except ValueError as exc:
        _fail(str(exc), EXIT_USAGE)


def _show(job: Job, as_json: bool) -> None:
    from reelq.client.summary import job_lines

    if as_json:
        typer.echo(json.dumps(job.to_dict(), separators=(",", ":")))
    else:
        typer.echo("\n".join(job_lines(job.to_dict())))


def login(url: UrlOpt = None, token: TokenOpt = None) -> None:
    """Store the server URL and a token in the user config dir (mode 0600) for the other commands."""
    from reelq.client import Client, ReelqClientError
    from reelq.client.login import Login, save

    url = url or typer.prompt("Server URL", default="http://127.0.0.1:8000")
    token = token or typer.prompt("API token", hide_input=True)
    try:
        with Client(url, token, resume_store=False, max_retries=1) as client:
            next(iter(client.jobs(page_size=1)), None)  # proves the URL and the token
    except ValueError as exc:
        _fail(str(exc), EXIT_USAGE)
    except ReelqClientError as exc:
        _fail(str(exc), _error_code(exc))
    typer.echo(f"logged in to {url}; saved in {save(Login(url, token))}")


def logout() -> None:
    """Forget what `reelq login` stored."""
    from reelq.client.login import forget

    typer.echo("logged out" if forget() else "not logged in")


def upload(
    files: Annotated[list[Path], typer.Argument(help="Video files", exists=True, dir_okay=False)],
    wait: Annotated[bool, typer.Option("--wait", help="Wait for the analysis and print its summary")] = False,
    as_json: JsonOpt = False,
    metadata: Annotated[str | None, typer.Option(help="A JSON object kept with each job")] = None,
    concurrency: Annotated[int, typer.Option(min=1, max=16, help="Files uploaded at once")] = 2,
    analyzer: Annotated[
        str | None, typer.Option(help="Analyzer name (the server decides which exist)")
    ] = None,
    url: UrlOpt = None,
    token: TokenOpt = None,
) -> None:
    """Upload videos (resumable tus), with a progress bar per file on a terminal."""
    from reelq.client.upload_run import run_uploads

    if metadata is not None:
        try:
            if not isinstance(json.loads(metadata), dict):
                raise ValueError
        except ValueError:
            _fail("--metadata must be a JSON object", EXIT_USAGE)
    with _client(url, token) as client:
        code = run_uploads(client, files, wait, as_json, metadata, concurrency, analyzer)
    raise typer.Exit(code)


def results(job_id: str, as_json: JsonOpt = False, url: UrlOpt = None, token: TokenOpt = None) -> None:
    """Print a job's status and result (exit 0 completed, 3 failed, 4 cancelled, 7 not ended yet)."""
    from reelq.client import ReelqClientError

    with _client(url, token) as client:
        try:
            job = client.job(job_id)
        except (ReelqClientError, ValueError) as exc:
            _fail(str(exc), EXIT_USAGE if isinstance(exc, ValueError) else _error_code(exc))
    _show(job, as_json)
    raise typer.Exit(_status_code(job.status))


def watch(job_id: str, as_json: JsonOpt = False, url: UrlOpt = None, token: TokenOpt = None) -> None:
    """Follow a job live (long-poll) until it ends; then print it like `results`."""
    from reelq.client import ReelqClientError
    from reelq.client.console import job_bar, stderr_console

    show = not as_json and stderr_console().is_terminal
    with _client(url, token) as client, job_bar(show) as bar:
        try:
            job = client.wait_for(job_id, on_update=bar.job)
        except (ReelqClientError, ValueError) as exc:
            _fail(str(exc), EXIT_USAGE if isinstance(exc, ValueError) else _error_code(exc))
    _show(job, as_json)
    raise typer.Exit(_status_code(job.status))


def artifacts(
    job_id: str,
    out: Annotated[Path | None, typer.Option(help="Directory to write into [./<job id>]")] = None,
    url: UrlOpt = None,
    token: TokenOpt = None,
) -> None:
    """Download the artifacts (thumbnails …) a completed job's result names."""
    from reelq.client import ReelqClientError, artifact_names

    with _client(url, token) as client:
        try:
            job = client.job(job_id)
            if job.status != "completed":
                _fail(f"job {job_id} is {job.status}; it has no result", _status_code(job.status))
            target = out or Path(job.job_id)
            target.mkdir(parents=True, exist_ok=True)
            for name in artifact_names(job.result):
                path = target / name  # a plain file name (checked by the client before any request)
                path.write_bytes(client.artifact(job.job_id, name))
                typer.echo(str(path))
        except (ReelqClientError, ValueError) as exc:
            _fail(str(exc), EXIT_USAGE if isinstance(exc, ValueError) else _error_code(exc))


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
    from reelq.client.console import fraction_bar, stderr_console
    from reelq.client.local import analyze_local
    from reelq.client.summary import result_lines
    from reelq.errors import JobError

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


def register(app: typer.Typer) -> None:
    """Adds the client commands to the ``reelq`` command."""
    for command in (login, logout, upload, results, watch, artifacts, analyze):
        app.command()(command)
