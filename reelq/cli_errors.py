"""What a ``reelq`` command says when its database, queue or data dir is missing or out of reach.

One line naming the thing and one with the fix, instead of a traceback (``reelq --debug COMMAND`` shows
the traceback). :func:`explain` reads the exception chain; an exception it does not know returns None and
is raised as it was.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from reelq.config import Settings


@dataclass(frozen=True)
class Problem:
    message: str
    fix: str

    def lines(self) -> list[str]:
        return [f"error: {self.message}", f"  fix: {self.fix}"]


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _where(url: str) -> tuple[str, int, str, str]:
    """Host, port, user and database name of a PostgreSQL URL (the password never leaves here)."""
    parts = urlsplit(url.replace("+psycopg", "").replace("+psycopg2", ""))
    return (
        parts.hostname or "localhost",
        parts.port or 5432,
        unquote(parts.username or "postgres"),
        unquote(parts.path.lstrip("/")) or "postgres",
    )


def _database(text: str, settings: Settings) -> Problem | None:
    url = settings.resolved_database_url
    if url.startswith("sqlite"):
        if "unable to open database file" in text or "readonly database" in text:
            return Problem(
                f"cannot open the SQLite database under {settings.data_dir.resolve()}",
                "make the data dir writable, or set REELQ_DATA_DIR (or REELQ_DATABASE_URL) to one that is",
            )
        return None
    host, port, user, name = _where(url)
    missing = re.search(r'database "([^"]+)" does not exist', text)
    if missing:
        return Problem(
            f'PostgreSQL database "{missing.group(1)}" does not exist on {host}:{port}',
            f"create it: createdb -h {host} -p {port} -U {user} {missing.group(1)}  "
            "(or point REELQ_DATABASE_URL at an existing one)",
        )
    if "password authentication failed" in text or ("role" in text and "does not exist" in text):
        return Problem(
            f"PostgreSQL at {host}:{port} refused user {user!r}",
            "check the user and password in REELQ_DATABASE_URL",
        )
    if "connection refused" in text.lower() or "could not translate host name" in text or "timeout" in text:
        return Problem(
            f"cannot reach PostgreSQL at {host}:{port} (database {name})",
            "start PostgreSQL there, or set REELQ_DATABASE_URL to a server that runs",
        )
    return None


def _queue(settings: Settings) -> Problem:
    parts = urlsplit(settings.resolved_queue_url)
    where = f"{parts.hostname or 'localhost'}:{parts.port or 6379}"
    return Problem(
        f"cannot reach the Redis queue at {where}",
        "start Redis there, or set REELQ_QUEUE_URL (unset, the queue is SQLite in the data dir)",
    )


def explain(exc: BaseException, settings: Settings | None) -> Problem | None:
    """The problem behind ``exc`` when it is a missing or unreachable database, queue or data dir."""
    for item in _chain(exc):
        module = type(item).__module__
        text = str(item)
        if settings is not None and (
            module.startswith(("sqlalchemy", "psycopg")) or isinstance(item, sqlite3.Error)
        ):
            found = _database(text, settings)
            if found is not None:
                return found
        if settings is not None and module.startswith("redis") and "Connection" in type(item).__name__:
            return _queue(settings)
        if isinstance(item, PermissionError | FileNotFoundError | NotADirectoryError) and item.filename:
            return Problem(
                f"cannot use {item.filename}: {item.strerror}",
                "set REELQ_DATA_DIR to a directory this user can write (it is created if missing)",
            )
    return None
