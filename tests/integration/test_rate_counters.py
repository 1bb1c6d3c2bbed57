"""The shared counters of the limits: the same answers from the database (SQLite, PostgreSQL) and Redis."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from backends import redis_queue

from reelq.auth.limits import Counters, DbCounters, RedisCounters, counters_of
from reelq.config import Settings
from reelq.db.engine import make_engine
from reelq.db.migrate import upgrade

pytestmark = pytest.mark.integration


@pytest.fixture(params=["database", "redis"])
def counters(request: pytest.FixtureRequest, db_url: str, tmp_path: Path) -> Iterator[Counters]:
    if request.param == "redis":
        with redis_queue() as url:
            shared, requests = counters_of(Settings(data_dir=tmp_path, queue_url=url), make_engine(db_url))
            assert isinstance(shared, RedisCounters) and requests is shared
            yield shared
        return
    engine = make_engine(db_url)
    upgrade(engine)
    yield DbCounters(engine)
    engine.dispose()


def test_counts_per_key_and_window(counters: Counters) -> None:
    assert [counters.hit("uploads:alice", 3600)[0] for _ in range(3)] == [1, 2, 3]
    assert counters.hit("uploads:bob", 3600)[0] == 1
    count, reset = counters.hit("uploads:carol", 60)
    assert count == 1 and 0 < reset <= 60


def test_concurrent_hits_are_all_counted(counters: Counters) -> None:
    def hit_many() -> None:
        for _ in range(10):
            counters.hit("burst:dave", 3600)

    threads = [threading.Thread(target=hit_many) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert counters.hit("burst:dave", 3600)[0] == 41
