"""PostgreSQL connections: checked after they sat idle, not on every use; a job's claim and finish
survive the database dropping every connection."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from backends import cluster_settings, pg_database, terminate_connections
from sqlalchemy import Engine, text

from reelq.db import engine as engine_mod
from reelq.db.engine import make_engine
from reelq.ids import new_id
from reelq.jobs.states import JobStatus
from reelq.runtime import Runtime

pytestmark = pytest.mark.integration


@pytest.fixture
def pg() -> Iterator[str]:
    with pg_database() as url:
        yield url


def count_pings(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    pings = [0]
    real = engine.dialect.do_ping

    def counted(dbapi_conn: Any) -> bool:
        pings[0] += 1
        return bool(real(dbapi_conn))

    monkeypatch.setattr(engine.dialect, "do_ping", counted)
    return pings


def select_one(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT 1")).scalar_one())


def test_a_connection_used_a_moment_ago_is_not_pinged_an_idle_one_is(
    pg: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_engine(pg)
    pings = count_pings(engine, monkeypatch)
    try:
        select_one(engine)  # a new connection: nothing to check
        for _ in range(5):
            select_one(engine)
        assert pings == [0]  # one round trip per transaction saved on a busy process
        monkeypatch.setattr(engine_mod, "PING_AFTER_IDLE_SECONDS", 0.05)
        time.sleep(0.1)
        select_one(engine)
        assert pings == [1]
    finally:
        engine.dispose()


def test_an_idle_connection_that_the_database_dropped_is_replaced_before_use(
    pg: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_engine(pg)
    monkeypatch.setattr(engine_mod, "PING_AFTER_IDLE_SECONDS", 0.05)
    try:
        select_one(engine)
        assert terminate_connections(pg.rsplit("/", 1)[1]) >= 1
        time.sleep(0.1)
        assert select_one(engine) == 1  # no error reaches the caller
    finally:
        engine.dispose()


def test_claim_and_finish_survive_the_database_dropping_every_connection(pg: str, tmp_path: Path) -> None:
    rt = Runtime.build(cluster_settings(tmp_path / "data", database_url=pg))
    database = pg.rsplit("/", 1)[1]
    try:
        user = rt.users.create("alice")[0].id
        ids = [new_id() for _ in range(2)]
        for job_id in ids:
            rt.store.insert(
                {
                    "id": job_id,
                    "user_id": user,
                    "analyzer": "probe",
                    "max_attempts": 3,
                    "file_name": "a.mp4",
                    "file_size": 1,
                    "file_sha256": "0" * 64,
                    "content_type": "video/mp4",
                    "source_path": "x",
                }
            )
        for job_id in ids:
            # the pooled connections were used a moment ago, so they are not checked before use
            assert terminate_connections(database) >= 1
            job = rt.store.claim(job_id, "lease", "w1", 60)
            assert job is not None and job.status is JobStatus.PROCESSING
            assert terminate_connections(database) >= 1
            done = rt.store.finish(job_id, "lease", JobStatus.COMPLETED, result={"ok": True})
            assert done.status is JobStatus.COMPLETED
        assert [rt.store.get(i).status for i in ids] == [JobStatus.COMPLETED] * 2  # type: ignore[union-attr]
    finally:
        rt.close()
