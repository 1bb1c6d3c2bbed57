"""Throwaway PostgreSQL databases and Redis queues for tests; skipped when absent, failed under CI=true."""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
from collections.abc import Iterator
from enum import Enum
from pathlib import Path
from urllib.parse import urlparse

import psycopg
import pytest
import redis

from reelq.config import Settings
from reelq.runtime import Runtime

from support import ci, fast_settings

PG_ADMIN_URL = os.environ.get("REELQ_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("REELQ_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


class Backend(Enum):
    LOCAL = ("sqlite", "sqlite")
    CLUSTER = ("postgresql", "redis")


def _reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        address = (parsed.hostname or "127.0.0.1", parsed.port or default_port)
        with socket.create_connection(address, timeout=1):
            return True
    except OSError:
        return False


def require(service: str) -> None:
    """Skip when ``service`` is absent; under CI=true an absent service is a failure."""
    ok = _reachable(PG_ADMIN_URL, 5432) if service == "postgresql" else _reachable(REDIS_URL, 6379)
    if ok:
        return
    message = f"{service} is not reachable ({PG_ADMIN_URL if service == 'postgresql' else REDIS_URL})"
    if ci():
        pytest.fail(f"{message}; integration tests are mandatory when CI=true")
    pytest.skip(message)


def pg_url(database: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + database


@contextlib.contextmanager
def pg_database() -> Iterator[str]:
    """CREATE DATABASE reelq_test_<random>; dropped (connections terminated) afterwards."""
    require("postgresql")
    name = f"reelq_test_{secrets.token_hex(6)}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield pg_url(name)
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def terminate_connections(database: str) -> int:
    """Drop every session connected to ``database`` (what a PostgreSQL restart or failover does)."""
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()",
            (database,),
        ).fetchall()
    return len(rows)


@contextlib.contextmanager
def redis_queue() -> Iterator[str]:
    """A Redis queue URL with a queue name of its own; its keys are deleted afterwards."""
    require("redis")
    name = f"reelqtest{secrets.token_hex(6)}"  # Huey strips anything but [a-z0-9] from names
    sep = "&" if "?" in REDIS_URL else "?"
    try:
        yield f"{REDIS_URL}{sep}queue={name}"
    finally:
        with contextlib.suppress(redis.RedisError):
            client = redis.Redis.from_url(REDIS_URL)
            keys = list(client.scan_iter(match=f"huey.*{name}*"))
            if keys:
                client.delete(*keys)
            client.close()


@contextlib.contextmanager
def backend_urls(db: str, queue: str, tmp_path: Path) -> Iterator[tuple[str, str]]:
    with contextlib.ExitStack() as stack:
        db_url = stack.enter_context(pg_database()) if db == "postgresql" else f"sqlite:///{tmp_path}/jobs.db"
        queue_url = (
            stack.enter_context(redis_queue()) if queue == "redis" else f"sqlite:///{tmp_path}/queue.db"
        )
        yield db_url, queue_url


def cluster_settings(data_dir: Path, **overrides: object) -> Settings:
    """Short leases and delays (the same as the other suites use)."""
    return fast_settings(data_dir, **overrides)


# -- fixtures (import them into a test module by name) ---------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with backend_urls(request.param, "sqlite", tmp_path) as (db, _):
        yield db


@pytest.fixture(params=["sqlite", "redis"])
def queue_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with backend_urls("sqlite", request.param, tmp_path) as (_, queue):
        yield queue


@pytest.fixture(params=[Backend.LOCAL, Backend.CLUSTER], ids=["sqlite+huey_sqlite", "postgresql+redis"])
def backend_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    """Settings for a whole runtime on either deployment: one machine, or many machines."""
    db, queue = request.param.value
    with backend_urls(db, queue, tmp_path) as (db_url, queue_url):
        yield cluster_settings(tmp_path / "data", database_url=db_url, queue_url=queue_url)


@pytest.fixture
def backend_runtime(backend_settings: Settings) -> Iterator[Runtime]:
    rt = Runtime.build(backend_settings)
    yield rt
    rt.close()
