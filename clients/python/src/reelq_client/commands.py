"""The client commands of ``reelq``: login, logout, upload, results, watch, artifacts and jobs, on the
HTTP API through ``reelq_client``. Exit codes are for scripts; see docs/client.md.

They are plain ``argparse`` (the standard library), so the client install needs no CLI framework; the
server's ``reelq`` (typer) hands these command names and their arguments to :func:`run`.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Callable
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

if TYPE_CHECKING:
    from reelq_client import Client, Job

EXIT_OK = 0  # completed (or, without --wait, accepted)
EXIT_USAGE = 2  # bad arguments, no server configured, unknown analyzer
EXIT_FAILED = 3  # the job (or the local analysis) failed
EXIT_CANCELLED = 4  # the job was cancelled
EXIT_API = 5  # the server refused the request (401, 404, 413, 415, 429 …)
EXIT_NETWORK = 6  # no answer: connection refused, dropped or timed out
EXIT_PENDING = 7  # `results`: the job has not ended yet
EXIT_INTERRUPTED = 130  # Ctrl-C; an unfinished upload resumes on the next `reelq upload` of the file

# the commands this module provides, with their one-line help (the server's `reelq --help` lists them)
COMMANDS = {
    "login": "Store the server URL and a token in the user config dir (mode 0600) for the other commands.",
    "logout": "Forget what `reelq login` stored.",
    "upload": "Upload videos (resumable tus), with upload and analysis bars per file on a terminal.",
    "results": "Print a job's status and result (exit 0 completed, 3 failed, 4 cancelled, 7 not ended yet).",
    "watch": "Follow a job live (long-poll on every change) until it ends; then print it like `results`.",
    "artifacts": "Download the artifacts (thumbnails …) a completed job's result names.",
    "jobs": "Your jobs on the server, through the API: list, cancel, retry, delete.",
}


class Exit(Exception):
    """Ends a command with an exit code (its message is already printed)."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


def echo(text: str, *, err: bool = False) -> None:
    print(text, file=sys.stderr if err else sys.stdout, flush=True)


def fail_line(message: str) -> None:
    """``error: message`` on stderr, in red on a terminal."""
    red = sys.stderr.isatty()
    echo(f"\x1b[31merror: {message}\x1b[0m" if red else f"error: {message}", err=True)


def fail(message: str, code: int) -> NoReturn:
    fail_line(message)
    raise Exit(code)


def _status_code(status: str) -> int:
    return {"completed": EXIT_OK, "failed": EXIT_FAILED, "cancelled": EXIT_CANCELLED}.get(
        status, EXIT_PENDING
    )


def _error_code(exc: Exception) -> int:
    from reelq_client import ConnectionFailed

    if isinstance(exc, ValueError):
        return EXIT_USAGE
    return EXIT_NETWORK if isinstance(exc, ConnectionFailed) else EXIT_API


def _client(args: argparse.Namespace) -> Client:
    from reelq_client import Client
    from reelq_client.login import resolve

    login = resolve(args.url, args.token)
    if login is None:
        fail(
            "no server: pass --url and --token, set REELQ_URL and REELQ_TOKEN, or run `reelq login`",
            EXIT_USAGE,
        )
    try:
        return Client(login.url, login.token)
    except ValueError as exc:
        fail(str(exc), EXIT_USAGE)


def _show(job: Job, as_json: bool) -> None:
    from reelq_client.summary import job_lines

    if as_json:
        echo(json.dumps(job.to_dict(), separators=(",", ":")))
    else:
        echo("\n".join(job_lines(job.to_dict())))


def login(args: argparse.Namespace) -> int:
    from reelq_client import Client, ReelqClientError
    from reelq_client.login import Login, save

    url = args.url or input("Server URL [http://127.0.0.1:8000]: ").strip() or "http://127.0.0.1:8000"
    token = args.token or getpass.getpass("API token: ").strip()
    try:
        with Client(url, token, resume_store=False, max_retries=1) as client:
            next(iter(client.jobs(page_size=1)), None)  # proves the URL and the token
    except (ValueError, ReelqClientError) as exc:
        fail(str(exc), _error_code(exc))
    echo(f"logged in to {url}; saved in {save(Login(url, token))}")
    return EXIT_OK


def logout(args: argparse.Namespace) -> int:
    from reelq_client.login import forget

    echo("logged out" if forget() else "not logged in")
    return EXIT_OK


def upload(args: argparse.Namespace) -> int:
    from reelq_client.upload_run import run_uploads

    for path in args.files:
        if not path.is_file():
            fail(f"no such file: {path}", EXIT_USAGE)
    if args.metadata is not None:
        try:
            if not isinstance(json.loads(args.metadata), dict):
                raise ValueError
        except ValueError:
            fail("--metadata must be a JSON object", EXIT_USAGE)
    with _client(args) as client:
        return run_uploads(
            client, args.files, args.wait, args.json, args.metadata, args.concurrency, args.analyzer
        )


def results(args: argparse.Namespace) -> int:
    from reelq_client import ReelqClientError

    with _client(args) as client:
        try:
            job = client.job(args.job_id)
        except (ReelqClientError, ValueError) as exc:
            fail(str(exc), _error_code(exc))
    _show(job, args.json)
    return _status_code(job.status)


def watch(args: argparse.Namespace) -> int:
    from reelq_client import ReelqClientError
    from reelq_client.console import job_bar, stderr_console

    show = not args.json and stderr_console().is_terminal
    with _client(args) as client, job_bar(show) as bar:
        try:
            job = client.wait_for(args.job_id, on_update=bar.job)
        except (ReelqClientError, ValueError) as exc:
            fail(str(exc), _error_code(exc))
    _show(job, args.json)
    return _status_code(job.status)


def artifacts(args: argparse.Namespace) -> int:
    from reelq_client import ReelqClientError, artifact_names

    with _client(args) as client:
        try:
            job = client.job(args.job_id)
            if job.status != "completed":
                fail(f"job {args.job_id} is {job.status}; it has no result", _status_code(job.status))
            target = args.out or Path(job.job_id)
            target.mkdir(parents=True, exist_ok=True)
            for name in artifact_names(job.result):
                path = target / name  # a plain file name (checked by the client before any request)
                path.write_bytes(client.artifact(job.job_id, name))
                echo(str(path))
        except (ReelqClientError, ValueError) as exc:
            fail(str(exc), _error_code(exc))
    return EXIT_OK


def jobs_list(args: argparse.Namespace) -> int:
    from reelq_client import ReelqClientError

    with _client(args) as client:
        try:
            found = list(islice(client.jobs(status=args.status, page_size=min(args.limit, 100)), args.limit))
        except ReelqClientError as exc:
            fail(str(exc), _error_code(exc))
    if args.json:
        echo(json.dumps([job.to_dict() for job in found], separators=(",", ":")))
        return EXIT_OK
    if not found:
        echo("no jobs", err=True)
        return EXIT_OK
    row = "{:<36}  {:<10}  {:>6}  {}"
    echo(row.format("JOB", "STATUS", "DONE", "FILE"))
    for job in found:
        echo(row.format(job.job_id, job.status, f"{job.progress:.0%}", job.file.name))
    return EXIT_OK


def _act(action: str) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        from reelq_client import ReelqClientError

        with _client(args) as client:
            try:
                getattr(client, action)(args.job_id)
            except (ReelqClientError, ValueError) as exc:
                fail(str(exc), _error_code(exc))
        echo(f"{action}: {args.job_id}")
        return EXIT_OK

    return run


def _server_options(parser: argparse.ArgumentParser, *, as_json: str | None = None) -> None:
    parser.add_argument("--url", help="server URL [REELQ_URL, or `reelq login`]")
    parser.add_argument("--token", help="API token [REELQ_TOKEN, or `reelq login`]")
    if as_json:
        parser.add_argument("--json", action="store_true", help=as_json)


def parser(prog: str = "reelq") -> argparse.ArgumentParser:
    """The client commands; ``reelq_client.cli`` adds ``--version``."""
    top = argparse.ArgumentParser(
        prog=prog, description="reelq client: upload videos to a reelq server and read their analysis."
    )
    sub = top.add_subparsers(dest="command", metavar="COMMAND", required=True)
    job_json = "print the job JSON only (one line), no bars"

    def command(name: str, run: Callable[[argparse.Namespace], int]) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=COMMANDS[name], description=COMMANDS[name])
        p.set_defaults(run=run)
        return p

    p = command("login", login)
    _server_options(p)
    command("logout", logout)

    p = command("upload", upload)
    p.add_argument("files", nargs="+", type=Path, metavar="FILE", help="video files")
    p.add_argument("--wait", action="store_true", help="wait for the analysis and print its summary")
    p.add_argument("--metadata", help="a JSON object kept with each job")
    p.add_argument("--concurrency", type=int, choices=range(1, 17), default=2, metavar="N",
                   help="files uploaded at once (1-16, default 2)")  # fmt: skip
    p.add_argument("--analyzer", help="analyzer name (the server decides which exist)")
    _server_options(p, as_json=job_json)

    for name, run in (("results", results), ("watch", watch)):
        p = command(name, run)
        p.add_argument("job_id", metavar="JOB_ID")
        _server_options(p, as_json=job_json)

    p = command("artifacts", artifacts)
    p.add_argument("job_id", metavar="JOB_ID")
    p.add_argument("--out", type=Path, help="directory to write into [./JOB_ID]")
    _server_options(p)

    jobs = command("jobs", jobs_list)
    jobs_sub = jobs.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = jobs_sub.add_parser("list", help="your jobs, newest first")
    p.set_defaults(run=jobs_list)
    p.add_argument("--status", action="append", help="only jobs in this status (repeatable)")
    p.add_argument("--limit", type=int, default=20, help="how many (default 20)")
    _server_options(p, as_json="one JSON array of the jobs")
    for action, words in (
        ("cancel", "cancel a queued or running job"),
        ("retry", "run a failed or cancelled job again"),
        ("delete", "delete a job with its file and artifacts"),
    ):
        p = jobs_sub.add_parser(action, help=words)
        p.set_defaults(run=_act(action))
        p.add_argument("job_id", metavar="JOB_ID")
        _server_options(p)
    return top


def run(argv: list[str], top: argparse.ArgumentParser | None = None) -> int:
    """Runs one client command (``argv`` without the program name); returns its exit code."""
    args = (top or parser()).parse_args(argv)  # exits 2 (usage) on bad arguments, as documented
    try:
        code: int = args.run(args)
    except Exit as exc:
        return exc.code
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    return code
