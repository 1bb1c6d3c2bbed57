"""Create engines for SQLite (WAL, busy timeout) and PostgreSQL (psycopg 3) from one URL."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.engine import make_url

READ_ONLY = "reelq_read_only"
_HOLDS_LOCK = "reelq_holds_write_lock"


def normalise_url(url: str) -> str:
    """``postgresql://`` means psycopg 3 here (SQLAlchemy would pick psycopg2)."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def make_engine(url: str, **kwargs: Any) -> Engine:
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"timeout": 30, "check_same_thread": False}, pool_size=10, **kwargs
        )

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            # Let SQLAlchemy's begin() issue BEGIN, and take the write lock at once so that two
            # writers queue on busy_timeout instead of failing with "database is locked" on upgrade.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        # Writers of this process queue on a lock that wakes the next one at once; SQLite's own
        # busy handler would sleep in steps of up to 100 ms between retries.
        write_lock = threading.Lock()

        @event.listens_for(engine, "commit")
        @event.listens_for(engine, "rollback")
        def _end(conn: Any) -> None:
            if conn.info.pop(_HOLDS_LOCK, False):
                write_lock.release()

        @event.listens_for(engine, "begin")
        def _begin(conn: Any) -> None:
            # Reads (see ``reader``) run in autocommit (one statement is a consistent snapshot);
            # everything else may write, so it takes the write lock at BEGIN and cannot fail later
            # when upgrading from a stale read snapshot.
            if not conn.get_execution_options().get(READ_ONLY, False):
                write_lock.acquire()
                conn.info[_HOLDS_LOCK] = True
                try:
                    conn.exec_driver_sql("BEGIN IMMEDIATE")
                except BaseException:
                    conn.info.pop(_HOLDS_LOCK, None)
                    write_lock.release()
                    raise

        return engine
    engine = create_engine(url, pool_size=10, max_overflow=10, **kwargs)
    _ping_after_idle(engine)
    return engine


PING_AFTER_IDLE_SECONDS = 1.0
_IDLE_SINCE = "reelq_idle_since"


def _ping_after_idle(engine: Engine) -> None:
    """Check a pooled connection before use when it has been idle for a while, not on every checkout.

    A connection that went away while it sat in the pool (a database restart, a failover, an idle
    timeout) is replaced before anyone uses it. One that was in use a moment ago is not pinged: on a
    busy process that ping is a round trip per transaction. If the database went away within that
    moment, the statement fails, SQLAlchemy replaces every pooled connection, and the calls that must
    not fail (a job's claim and finish) run once more on a new one (``JobStore``).
    """

    @event.listens_for(engine, "checkin")
    def _checkin(dbapi_conn: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_conn: Any, record: Any, proxy: Any) -> None:
        since = record.info.get(_IDLE_SINCE)
        if since is None or time.monotonic() - since < PING_AFTER_IDLE_SECONDS:
            return  # new, or in use a moment ago
        if not engine.dialect._do_ping_w_event(dbapi_conn):
            raise exc.InvalidatePoolError()  # replace this one and every connection as old as it


def reader(engine: Engine) -> Engine:
    """The same engine (and pool) for read-only work: on SQLite its transactions take no write lock."""
    return engine.execution_options(**{READ_ONLY: True})
