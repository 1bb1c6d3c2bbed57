"""One job row by id and owner, read for the polling hot path: no thread hop and no SQL compilation.

Thousands of phones poll thousands of different jobs: the status micro-cache cannot help there, and a
thread-pool hop plus a SQLAlchemy round trip cost more than the answer itself. SQLite is read in place on
the event loop (a primary-key lookup in WAL mode takes microseconds and never waits for a writer);
PostgreSQL through one asynchronous psycopg connection with a prepared statement. Any failure answers
None, and the caller falls back to the ordinary route.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from collections.abc import Mapping
from typing import Any, Protocol

from sqlalchemy.engine import make_url

log = logging.getLogger("reelq.jobs")

_SQLITE = "SELECT * FROM jobs WHERE id = ? AND user_id = ?"
_POSTGRES = "SELECT * FROM jobs WHERE id = %s AND user_id = %s"


class StatusReader(Protocol):
    async def get(self, job_id: str, user_id: str) -> Mapping[str, Any] | None:
        """The job's row (``Job.from_mapping`` makes the job), or None."""
        ...

    async def aclose(self) -> None: ...


class SqliteStatusReader:
    def __init__(self, path: str) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None

    async def get(self, job_id: str, user_id: str) -> Mapping[str, Any] | None:
        try:
            if self._conn is None:
                conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
                conn.row_factory = sqlite3.Row
                self._conn = conn
            row = self._conn.execute(_SQLITE, (job_id, user_id)).fetchone()
        except sqlite3.Error:
            await self.aclose()
            return None
        return row  # type: ignore[no-any-return]

    async def aclose(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(sqlite3.Error):
                self._conn.close()
            self._conn = None


class PostgresStatusReader:
    """A few asynchronous connections, so that concurrent polls overlap their round trips."""

    def __init__(self, url: str, size: int = 4) -> None:
        self.url = url
        self.size = size
        self._idle: list[Any] = []
        self._open = 0

    async def get(self, job_id: str, user_id: str) -> Mapping[str, Any] | None:
        import psycopg
        from psycopg.rows import dict_row

        conn = self._idle.pop() if self._idle else None
        if conn is None:
            if self._open >= self.size:
                return None  # every connection is busy: the ordinary route (a thread) takes this one
            self._open += 1
            try:
                conn = await psycopg.AsyncConnection.connect(
                    self.url, autocommit=True, row_factory=dict_row, connect_timeout=2
                )
            except psycopg.Error:
                self._open -= 1
                log.debug("status_reader.unavailable", exc_info=True)
                return None
        try:
            cur = await conn.execute(_POSTGRES, (job_id, user_id), prepare=True)
            row = await cur.fetchone()
        except psycopg.Error:
            log.debug("status_reader.failed", exc_info=True)
            self._open -= 1
            with contextlib.suppress(Exception):
                await conn.close()
            return None
        self._idle.append(conn)
        return row

    async def aclose(self) -> None:
        idle, self._idle = self._idle, []
        for conn in idle:
            self._open -= 1
            with contextlib.suppress(Exception):
                await conn.close()


def make_status_reader(database_url: str) -> StatusReader | None:
    """The reader for this database, or None where the ordinary path must serve every poll."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return SqliteStatusReader(url.database)
    if url.get_backend_name() == "postgresql":
        return PostgresStatusReader(url.set(drivername="postgresql").render_as_string(hide_password=False))
    return None
