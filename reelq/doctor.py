"""``reelq doctor``: check a deployment end to end, one verdict per line, without changing anything."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlparse

import httpx
from sqlalchemy import text

from reelq.config import Settings
from reelq.db.engine import make_engine
from reelq.db.migrate import current_revision
from reelq.jobs.store import JobStore
from reelq.queue.huey_app import make_huey
from reelq.storage.check import ProbeFailed, probe
from reelq.storage.s3 import S3Objects
from reelq.storage.url import parse_storage_url

GiB = 1024**3


class Verdict(StrEnum):
    OK = "ok"
    WARN = "warn"
    FAIL = "FAIL"


@dataclass(frozen=True)
class Check:
    name: str
    verdict: Verdict
    detail: str


def redact(url: str) -> str:
    parsed = urlparse(url)
    if parsed.password:
        return url.replace(f":{parsed.password}@", ":***@")
    return url


def check_configuration(s: Settings) -> Check:
    db, queue = s.resolved_database_url, s.resolved_queue_url
    notes = [f"database {redact(db)}", f"queue {redact(queue)}", f"data {s.data_dir.resolve()}"]
    if not s.data_dir.is_dir():
        return Check("configuration", Verdict.FAIL, f"data dir {s.data_dir} does not exist")
    try:
        with tempfile.NamedTemporaryFile(dir=s.data_dir, prefix=".doctor-"):
            pass
    except OSError as exc:
        return Check("configuration", Verdict.FAIL, f"data dir {s.data_dir} is not writable ({exc})")
    if db.startswith("sqlite") != queue.startswith("sqlite"):
        mixed = "SQLite job store, shared queue" if db.startswith("sqlite") else "PostgreSQL, local queue"
        advice = "for several machines use PostgreSQL + Redis"
        return Check("configuration", Verdict.WARN, f"{mixed}: {advice}; " + "; ".join(notes))
    if s.heartbeat_seconds * 2 > s.lease_seconds:
        return Check(
            "configuration",
            Verdict.WARN,
            f"heartbeat {s.heartbeat_seconds:g} s is too slow for the lease {s.lease_seconds:g} s",
        )
    return Check("configuration", Verdict.OK, "; ".join(notes))


def check_analyzers(s: Settings) -> Check:
    """What ``reelq serve`` and ``reelq worker`` check before they start (``reelq.worker.check``)."""
    from reelq.worker.check import named_analyzers, startup_problems

    problems = startup_problems(s)
    if problems:
        return Check("analyzers", Verdict.FAIL, "; ".join(problems))
    return Check("analyzers", Verdict.OK, "loadable: " + ", ".join(sorted(named_analyzers(s))))


def check_database(s: Settings) -> Check:
    engine = make_engine(s.resolved_database_url)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        revision = current_revision(engine)
    except Exception as exc:
        return Check("database", Verdict.FAIL, f"{redact(s.resolved_database_url)}: {_short(exc)}")
    finally:
        engine.dispose()
    heads = _heads()
    if revision is None:
        return Check("database", Verdict.FAIL, "reachable but empty: run `reelq db upgrade`")
    if heads and set(revision.split(",")) != heads:
        return Check(
            "database", Verdict.WARN, f"at revision {revision}, code expects {','.join(sorted(heads))}"
        )
    return Check("database", Verdict.OK, f"reachable, schema at {revision}")


def check_queue(s: Settings) -> Check:
    try:
        huey = make_huey(s.resolved_queue_url)
        depth = int(huey.pending_count())
    except Exception as exc:
        return Check("queue", Verdict.FAIL, f"{redact(s.resolved_queue_url)}: {_short(exc)}")
    return Check("queue", Verdict.OK, f"reachable, {depth} message(s) waiting")


def check_workers(s: Settings) -> Check:
    window = max(s.reaper_seconds * 3, 30.0)
    engine = make_engine(s.resolved_database_url)
    try:
        seen = JobStore(engine).live_workers(window)
    except Exception as exc:
        return Check("workers", Verdict.FAIL, f"cannot read the workers table: {_short(exc)}")
    finally:
        engine.dispose()
    if not seen:
        return Check("workers", Verdict.WARN, f"no worker heartbeat in the last {window:g} s: jobs will wait")
    hosts = sorted({str(w["hostname"]) for w in seen})
    return Check("workers", Verdict.OK, f"{len(seen)} seen in the last {window:g} s on {', '.join(hosts)}")


def check_disk(s: Settings) -> Check:
    try:
        usage = shutil.disk_usage(s.data_dir)
    except OSError as exc:
        return Check("disk", Verdict.FAIL, _short(exc))
    free = usage.free / GiB
    detail = (
        f"{free:.1f} GiB free in {s.data_dir} (uploads refused below {s.disk_reserve_bytes / GiB:.1f} GiB)"
    )
    if usage.free < s.disk_reserve_bytes:
        return Check("disk", Verdict.FAIL, detail)
    if usage.free < s.disk_reserve_bytes + s.max_upload_bytes:
        return Check("disk", Verdict.WARN, detail + "; not room for one more largest upload")
    return Check("disk", Verdict.OK, detail)


def check_codecs(_: Settings | None = None) -> Check:
    try:
        import av
    except Exception as exc:
        return Check("codecs", Verdict.FAIL, f"PyAV does not load: {_short(exc)}")
    found, missing = [], []
    for name in ("h264", "hevc"):
        try:
            av.codec.Codec(name, "r")
            found.append(name)
        except Exception:
            missing.append(name)
    detail = f"PyAV {av.__version__}: decoders {', '.join(found) or 'none'}"
    if "h264" in missing:
        return Check("codecs", Verdict.FAIL, detail + "; no H.264 decoder")
    if missing:
        return Check(
            "codecs", Verdict.WARN, detail + f"; missing {', '.join(missing)} (iPhone HEVC clips fail)"
        )
    return Check("codecs", Verdict.OK, detail)


def check_expo(s: Settings, timeout: float = 3.0, client: httpx.Client | None = None) -> Check:
    """Any HTTP answer from Expo's API means the network path works; no push is sent."""
    url = s.expo_api_url.rstrip("/") + "/send"
    http = client or httpx.Client()
    try:
        r = http.get(url, timeout=timeout)
    except httpx.HTTPError as exc:
        why = f"unreachable ({_short(exc)}): pushes wait in the outbox and are retried"
        return Check("expo", Verdict.WARN, why)
    finally:
        if client is None:
            http.close()
    return Check("expo", Verdict.OK, f"reachable ({url} answered HTTP {r.status_code})")


def check_storage(s: Settings) -> Check:
    """The data dir (nothing more to check than the disk), or a round trip through the bucket."""
    location = parse_storage_url(s.storage_url)
    if location is None:
        return Check("storage", Verdict.OK, f"the data dir {s.data_dir.resolve()}")
    try:
        steps = probe(S3Objects(location))
    except ProbeFailed as exc:
        return Check("storage", Verdict.FAIL, f"{location.describe()}: {exc}")
    return Check("storage", Verdict.OK, f"{location.describe()}: {', '.join(steps)} ok")


CHECKS: list[Callable[[Settings], Check]] = [
    check_configuration,
    check_analyzers,
    check_database,
    check_queue,
    check_workers,
    check_storage,
    check_disk,
    check_codecs,
    check_expo,
]


def run(settings: Settings) -> list[Check]:
    out = []
    for fn in CHECKS:
        try:
            out.append(fn(settings))
        except Exception as exc:  # a check that crashes is a failed check, never a traceback
            name = getattr(fn, "__name__", "check").removeprefix("check_")
            out.append(Check(name, Verdict.FAIL, _short(exc)))
    return out


def _heads() -> set[str]:
    from alembic.script import ScriptDirectory

    from reelq.db.migrate import MIGRATIONS

    return set(ScriptDirectory(str(MIGRATIONS)).get_heads())


def _short(exc: BaseException) -> str:
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{exc.__class__.__name__}: {message[:160]}" if message else exc.__class__.__name__
