"""The ``reelq`` command: serve, worker, users, jobs, db."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
import typer.core

from reelq import __version__, cli_client, cli_storage, logs
from reelq.cli_analyze import check_analyzers, parse_analyzers
from reelq.errors import ReelqError
from reelq.ids import is_id
from reelq.jobs.states import JobStatus
from reelq.timeutil import rfc3339

if TYPE_CHECKING:
    from reelq.config import Settings
    from reelq.jobs.models import Job
    from reelq.runtime import Runtime


def get_settings() -> Settings:
    """The settings, imported on first use: client commands (upload, results …) never need them."""
    from reelq.config import get_settings as cached

    return cached()


def _flag_type(self: typer.core.TyperOption, ctx: Any) -> str | None:
    """Flags take no value: show none (typer 0.29 prints ``<bool>`` after every flag, --help included)."""
    return None if self.is_flag else _value_type(self, ctx)


_value_type = typer.core.TyperOption.display_type_rich
typer.core.TyperOption.display_type_rich = _flag_type  # type: ignore[method-assign]

app = typer.Typer(help="reelq: video uploads, a durable job queue, analysis and push.", no_args_is_help=True)
users_app = typer.Typer(help="Users and their API tokens.", no_args_is_help=True)
jobs_app = typer.Typer(help="Look at and act on jobs.", no_args_is_help=True)
db_app = typer.Typer(help="The database schema.", no_args_is_help=True)


def _show_version(value: bool) -> None:
    if value:
        from reelq_client import __version__ as client_version

        typer.echo(f"reelq {__version__} (reelq-client {client_version})")
        raise typer.Exit()


_debug = False  # --debug: a failure shows its traceback instead of one line and the fix


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_show_version, is_eager=True, help="Print the version and exit"),
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show the traceback of a failure (a missing database …)")
    ] = False,
) -> None:
    """reelq: video uploads, a durable job queue, analysis and push."""
    global _debug
    _debug = debug


app.add_typer(users_app, name="users")
app.add_typer(jobs_app, name="jobs")
app.add_typer(db_app, name="db")
dev_app = typer.Typer(help="Tools for developing an app against reelq.", no_args_is_help=True)
app.add_typer(dev_app, name="dev")
app.add_typer(cli_storage.app, name="storage")


def _runtime(settings: Settings | None = None) -> Runtime:
    from reelq.runtime import Runtime

    settings = settings or get_settings()
    logs.configure(settings.log_level, settings.log_format)
    rt = Runtime.build(settings)
    _private(settings.data_dir)
    return rt


def _private(data_dir: Path) -> None:
    """Take group and other permissions off the data dir (one made by an older version, or by Docker)."""
    try:
        mode = data_dir.stat().st_mode & 0o777
        if mode & 0o077:
            data_dir.chmod(mode & 0o700)
    except OSError:
        pass  # not ours to change (a mount point); the files inside are still created 0600


def _fail(message: str, code: int = 1) -> NoReturn:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(__version__)


@app.command()
def config(
    markdown: Annotated[bool, typer.Option(help="Print the settings table of README instead")] = False,
) -> None:
    """Show the effective configuration (secrets hidden)."""
    from reelq.config import settings_lines, settings_table

    if markdown:
        typer.echo(settings_table())
        return
    values = [get_settings()]
    typer.echo("\n".join(settings_lines(values, _redact)))


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on [REELQ_HOST]")] = None,
    port: Annotated[int | None, typer.Option(help="Port [REELQ_PORT]")] = None,
    concurrency: Annotated[
        int | None, typer.Option(help="Jobs the embedded worker runs at once [REELQ_WORKER_CONCURRENCY]")
    ] = None,
    workers: Annotated[int | None, typer.Option("--workers", hidden=True)] = None,
    no_worker: Annotated[
        bool, typer.Option("--no-worker", help="API only; run `reelq worker` elsewhere")
    ] = False,
) -> None:
    """Start the API (and, by default, the job worker) in this process.

    Use --host 0.0.0.0 to reach it from another device, e.g. a phone on the same network.
    """
    if workers is not None:
        typer.secho(
            "warning: --workers is deprecated (it never meant HTTP processes); use --concurrency",
            fg=typer.colors.YELLOW,
            err=True,
        )
        concurrency = concurrency if concurrency is not None else workers
    updates: dict[str, object] = {}
    if host is not None:
        updates["host"] = host
    if port is not None:
        updates["port"] = port
    if concurrency is not None:
        updates["worker_concurrency"] = concurrency
    if no_worker:
        updates["embedded_worker"] = False
    settings = get_settings().model_copy(update=updates)
    if settings.embedded_worker:
        check_analyzers(settings)  # before the heavy imports: a wrong setting is reported at once
    import uvicorn

    from reelq.app import create_app
    from reelq.serving import uvicorn_options

    application = create_app(settings)
    application.state.runtime.dispatcher.ping()  # an unreachable queue is said now, not per job
    _private(settings.data_dir)
    url = f"http://{settings.host}:{settings.port}"
    typer.echo(f"reelq {__version__} listening on {url}  (data: {settings.data_dir.resolve()})")
    typer.echo(f"  database: {_redact(settings.resolved_database_url)}")
    typer.echo(f"  queue:    {_redact(settings.resolved_queue_url)}")
    where = (
        f"embedded, {settings.worker_concurrency} at once"
        if settings.embedded_worker
        else "off (run `reelq worker`)"
    )
    typer.echo(f"  worker:   {where}")
    if settings.host in ("0.0.0.0", "::"):
        lan = _lan_address()
        where = f"http://{lan}:{settings.port}" if lan else "this machine's LAN address"
        typer.echo(f"  on your network: {where}  (use it in an app on a phone or another machine)")
    typer.echo(f"  API docs: {url}/docs")
    typer.echo("  Create a user and its token with:  reelq users create NAME")
    typer.echo("                        (in a checkout: ./dev users create NAME)")
    uvicorn.run(application, **uvicorn_options(settings))


def _lan_address() -> str | None:
    """The address other machines reach this one at: the source address of the default route.

    A UDP "connect" only picks the route; no packet is sent, so this works offline too.
    """
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: never routed anywhere, only looked up
            address = str(probe.getsockname()[0])
        except OSError:
            return None
    return None if address.startswith("127.") or address == "0.0.0.0" else address


def _redact(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url.split("@")[-1]


@app.command()
def worker(
    concurrency: Annotated[
        int | None, typer.Option(help="Jobs run at once [REELQ_WORKER_CONCURRENCY]")
    ] = None,
    burst: Annotated[bool, typer.Option(help="Exit when no job is queued or running")] = False,
    grace: Annotated[float, typer.Option(help="Seconds a running job may finish after SIGTERM")] = 30.0,
    analyzers: Annotated[
        str | None,
        typer.Option(help="Run only these analyzers' jobs, e.g. pose,faces [REELQ_WORKER_ANALYZERS]"),
    ] = None,
) -> None:
    """Run jobs from the queue (for deployments where `reelq serve --no-worker` runs the API)."""
    settings = get_settings()
    only = parse_analyzers(analyzers)
    if only:
        settings = settings.model_copy(update={"worker_analyzers": only})
    check_analyzers(settings)
    rt = _runtime(settings)
    rt.dispatcher.ping()  # an unreachable queue is said now, not by every poll of the consumer
    n = concurrency or settings.worker_concurrency
    consumer = rt.start_worker(n, embedded=True)
    typer.echo(f"reelq worker {rt.worker_id}: {n} at once, queue {_redact(settings.resolved_queue_url)}")
    done = threading.Event()

    def _stop(signum: int, _frame: object) -> None:
        typer.echo(f"{signal.Signals(signum).name}: stopping")
        done.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    while not done.wait(0.5):
        if burst:
            counts = rt.store.count_by_status()
            if not counts.get(JobStatus.QUEUED.value) and not counts.get(JobStatus.PROCESSING.value):
                break
    del consumer
    from reelq.embedded import log_shutdown_wait

    log_shutdown_wait(rt.engine, rt.worker_id, grace)
    rt.stop_worker(grace)
    rt.close()


def _user_runtime() -> Runtime:
    """The runtime for a `users` command, telling on stderr which database it uses.

    The data dir is relative to the working directory: run from elsewhere, a command would silently make
    a second, empty database whose tokens the server does not know.
    """
    settings = get_settings()
    db_file = _sqlite_file(settings.resolved_database_url)
    is_new = db_file is not None and not db_file.exists()
    rt = _runtime(settings)
    typer.echo(f"database: {_redact(settings.resolved_database_url)}", err=True)
    if is_new:
        typer.secho(
            f"warning: {db_file} did not exist and was created; if your server uses another data "
            "directory, set REELQ_DATA_DIR (or REELQ_DATABASE_URL) to the server's",
            fg=typer.colors.YELLOW,
            err=True,
        )
    return rt


def _sqlite_file(url: str) -> Path | None:
    prefix = "sqlite:///"
    return Path(url[len(prefix) :]) if url.startswith(prefix) and ":memory:" not in url else None


@users_app.command("create")
def users_create(
    name: str,
    admin: Annotated[bool, typer.Option("--admin", help="May use the admin API (/api/admin/)")] = False,
) -> None:
    """Create a user and print its first API token (shown once)."""
    rt = _user_runtime()
    try:
        user, token = rt.users.create(name, admin=admin)
    except ReelqError as exc:
        if exc.code == "user_exists":
            _fail(f"{exc.detail}; for a new token run: reelq users token {name}")
        _fail(exc.detail)
    typer.echo(token)
    kind = "admin" if admin else "user"
    typer.echo(f"created {kind} {user.name}; keep this token, it is not shown again", err=True)


@users_app.command("token")
def users_token(
    name: str,
    expires: Annotated[str | None, typer.Option(help="Lifetime, e.g. 12h, 30d, 2w (default: none)")] = None,
) -> None:
    """Issue another token for a user (the old ones stay valid)."""
    from reelq.auth.accounts import parse_duration
    from reelq.timeutil import now

    rt = _user_runtime()
    try:
        expires_at = now() + parse_duration(expires) if expires else None
        typer.echo(rt.users.issue_token(name, expires_at))
    except ReelqError as exc:
        _fail(exc.detail)
    if expires_at is not None:
        typer.echo(f"expires {rfc3339(expires_at)}", err=True)


@users_app.command("revoke")
def users_revoke(
    name: str,
    token_id: Annotated[
        str | None, typer.Option("--token", help="Only this token id (`users tokens`)")
    ] = None,
) -> None:
    """Revoke every token of a user, or one (takes effect within REELQ_AUTH_CACHE_SECONDS)."""
    from reelq.api.admin import accounts_of

    rt = _user_runtime()
    try:
        if token_id is not None:
            user = _user_named(rt, name)
            accounts_of(rt).revoke_token(user.id, token_id)
            typer.echo(f"revoked token {token_id} of {name}")
            return
        n = rt.users.revoke(name)
    except ReelqError as exc:
        _fail(exc.detail)
    typer.echo(f"revoked {n} token(s) of {name}")


@users_app.command("tokens")
def users_tokens(name: str) -> None:
    """List a user's tokens (ids, expiry, revocation; never the secrets)."""
    from reelq.api.admin import accounts_of

    rt = _user_runtime()
    for t in accounts_of(rt).tokens(_user_named(rt, name).id):
        state = (
            "revoked" if t["revoked_at"] else f"expires {t['expires_at']}" if t["expires_at"] else "active"
        )
        typer.echo(f"{t['id']}\t{t['created_at']}\t{state}")


@users_app.command("delete")
def users_delete(name: str, yes: Annotated[bool, typer.Option("--yes", help="Do not ask")] = False) -> None:
    """Delete a user with every job, upload, artifact, token, device and webhook."""
    from reelq.api.admin import accounts_of

    rt = _user_runtime()
    user = _user_named(rt, name)
    if not yes:
        typer.confirm(f"delete {name} and all of its jobs and files?", abort=True)
    n = accounts_of(rt).delete(user.id)
    typer.echo(f"deleted {name} and {n} job(s)")


def _user_named(rt: Any, name: str) -> Any:
    user = rt.users.by_name(name)
    if user is None:
        _fail(f"no user named {name!r}")
    return user


@users_app.command("list")
def users_list() -> None:
    """List users."""
    for user in _runtime().users.all():
        extra = "\tadmin" if user.admin else f"\t{user.issuer} {user.subject}" if user.issuer else ""
        typer.echo(f"{user.name}\t{user.id}{extra}")


@jobs_app.command("list")
def jobs_list(
    user: Annotated[str | None, typer.Option(help="Only this user's jobs")] = None,
    status: Annotated[list[str] | None, typer.Option(help="Filter by status (repeatable)")] = None,
    limit: Annotated[int, typer.Option(help="How many")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON array, as the API shows jobs")] = False,
) -> None:
    """List jobs, newest first."""
    rt = _runtime()
    user_id = None
    if user:
        found = rt.users.by_name(user)
        if found is None:
            _fail(f"no user named {user!r}")
        user_id = found.id
    try:
        statuses = [JobStatus(s) for s in status or []]
    except ValueError:
        _fail(f"unknown status; use {', '.join(s.value for s in JobStatus)}")
    found_jobs = rt.store.list_jobs(user_id, statuses=statuses, limit=limit)
    if as_json:
        from reelq.api.schemas import job_out

        typer.echo(json.dumps([job_out(job) for job in found_jobs], indent=2))
        return
    if not found_jobs:
        typer.echo("no jobs" + (" match" if user or statuses else " yet"), err=True)
        return
    row = "{:<36}  {:<10}  {:>6}  {:>8}  {:<24}  {}"
    typer.echo(row.format("JOB", "STATUS", "DONE", "ATTEMPTS", "CREATED", "FILE"))
    for job in found_jobs:
        typer.echo(
            row.format(
                job.id,
                job.status.value,
                f"{job.progress * 100:.1f}%",
                job.attempts,
                rfc3339(job.created_at),
                job.file_name,
            )
        )


def _job(rt: Any, job_id: str) -> Job:
    job = rt.store.get(job_id) if is_id(job_id) else None
    if job is None:
        _fail(f"no job {job_id}")
    return job  # type: ignore[no-any-return]


@jobs_app.command("show")
def jobs_show(job_id: str) -> None:
    """Show a job as JSON, with its event history."""
    from reelq.api.schemas import job_out

    rt = _runtime()
    job = _job(rt, job_id)
    data = job_out(job)
    data["events"] = [{**e, "at": rfc3339(e["at"])} for e in rt.store.events(job.id)]
    typer.echo(json.dumps(data, indent=2))


@jobs_app.command("cancel")
def jobs_cancel(job_id: str) -> None:
    """Cancel a queued or running job."""
    rt = _runtime()
    job = _job(rt, job_id)
    try:
        typer.echo(rt.service.cancel(job.user_id, job_id).value)
    except ReelqError as exc:
        _fail(exc.detail)


@jobs_app.command("retry")
def jobs_retry(job_id: str) -> None:
    """Queue a failed or cancelled job again."""
    rt = _runtime()
    job = _job(rt, job_id)
    try:
        rt.service.retry(job.user_id, job_id)
    except ReelqError as exc:
        _fail(exc.detail)
    typer.echo("queued")


@app.command()
def doctor() -> None:
    """Check configuration, database, queue, workers, disk, codecs and Expo; exit 1 if any check fails."""
    from reelq.doctor import Verdict, run

    settings = get_settings()
    checks = run(settings)
    colors = {
        Verdict.OK: typer.colors.GREEN,
        Verdict.WARN: typer.colors.YELLOW,
        Verdict.FAIL: typer.colors.RED,
    }
    for c in checks:
        typer.echo(typer.style(f"{c.verdict.value:<5}", fg=colors[c.verdict]) + f" {c.name:<14} {c.detail}")
    failed = [c.name for c in checks if c.verdict is Verdict.FAIL]
    warned = [c.name for c in checks if c.verdict is Verdict.WARN]
    if failed:
        _fail(f"not ready: {', '.join(failed)} failing")
    typer.echo("ready" + (f" (with warnings: {', '.join(warned)})" if warned else ""))


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply the database migrations (serve and worker do this by themselves)."""
    from reelq.db.engine import make_engine
    from reelq.db.migrate import current_revision, upgrade

    settings = get_settings()
    engine = make_engine(settings.resolved_database_url)
    upgrade(engine)
    typer.echo(f"database at revision {current_revision(engine)}")


@dev_app.command("fake-expo")
def dev_fake_expo(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port")] = 8765,
    rate_limit: Annotated[int, typer.Option(help="Notifications per second before 429")] = 600,
    receipt_delay: Annotated[float, typer.Option(help="Seconds before a receipt appears")] = 5.0,
    access_token: Annotated[str | None, typer.Option(help="Require 'Authorization: Bearer <this>'")] = None,
    strict_tokens: Annotated[
        bool, typer.Option(help="Unknown tokens get DeviceNotRegistered, as on Expo (default: accepted)")
    ] = False,
) -> None:
    """Run a local fake of the Expo push service and print every notification it receives."""
    from reelq.testing.fake_expo import Delivered, FakeExpo

    def show(d: Delivered) -> None:
        m = d.message
        typer.echo(f"push to {d.token}: {m.get('title')!r} {m.get('body')!r} {json.dumps(m.get('data'))}")

    fake = FakeExpo(
        host,
        port,
        rate_limit_per_s=rate_limit,
        receipt_delay_s=receipt_delay,
        access_token=access_token,
        accept_unknown_tokens=not strict_tokens,
        on_message=show,
    )
    fake.start()
    typer.echo(f"fake Expo push service on {fake.url}")
    typer.echo(f"  point reelq at it:  export REELQ_EXPO_API_URL={fake.url}")
    typer.echo(f"  messages so far:    curl {fake.base}/_fake/messages")
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    while not done.wait(0.5):  # a short wait keeps Ctrl-C responsive
        pass
    fake.stop()


@dev_app.command("sample-clip")
def dev_sample_clip(
    path: Annotated[Path, typer.Argument(help="Where to write the clip, e.g. swing.mp4")],
    seconds: Annotated[float, typer.Option(min=3.0, help="Length (at least 3 s: three scenes)")] = 6.0,
) -> None:
    """Write a test video with something for every part of the analysis: three scenes, a shaky pan, a
    still stretch, a tone with a silent gap (to try uploads without a clip of your own)."""
    from reelq.testing.sample_clip import make_sample_clip

    if path.suffix.lower() not in {".mp4", ".mov"}:
        _fail("the sample clip is an MP4: give a name ending in .mp4 or .mov")
    make_sample_clip(path, seconds=seconds)
    typer.echo(f"wrote {path} ({path.stat().st_size} bytes, {seconds:g} s)", err=True)


cli_client.register(app)  # login, logout, upload, results, watch, artifacts, analyze


def main() -> None:
    from pydantic import ValidationError
    from pydantic_settings import SettingsError

    from reelq.cli_errors import explain
    from reelq.config import settings_problems

    # Files reelq creates (database, uploads, artifacts) are for the user running it only: the database
    # holds webhook secrets and push tokens.
    os.umask(0o077)
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
    except (ValidationError, SettingsError) as exc:
        for line in settings_problems(exc):
            typer.secho(f"error: {line}", fg=typer.colors.RED, err=True)
        sys.exit(2)
    except Exception as exc:
        problem = None if _debug else explain(exc, _settings_or_none())
        if problem is None:
            raise
        for line in problem.lines():
            typer.secho(line, fg=typer.colors.RED, err=True)
        sys.exit(1)


def _settings_or_none() -> Settings | None:
    try:
        return get_settings()
    except Exception:  # the settings themselves are the problem: said by their own message
        return None


if __name__ == "__main__":
    main()
