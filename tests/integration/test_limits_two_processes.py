"""Limits hold across API processes: two `reelq serve --no-worker` on one PostgreSQL and one Redis."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from backends import pg_database, redis_queue

from reelq.testing import make_clip

from support import Server, base_env, cli

pytestmark = pytest.mark.integration


@pytest.fixture
def two_nodes(tmp_path: Path) -> Iterator[tuple[Server, Server, str]]:
    with pg_database() as db, redis_queue() as queue:
        env = base_env(
            tmp_path / "data",
            REELQ_DATABASE_URL=db,
            REELQ_QUEUE_URL=queue,
            REELQ_LIMIT_UPLOADS_PER_MINUTE="3",
            REELQ_LIMIT_REQUESTS_PER_SECOND="10",
            REELQ_LIMIT_CONCURRENT_JOBS="0",
        )
        token = cli(env, "users", "create", "alice").stdout.strip()
        a = Server(env, "serve", "--no-worker", log=tmp_path / "a.log").start()
        b = Server(env, "serve", "--no-worker", log=tmp_path / "b.log").start()
        try:
            yield a, b, token
        finally:
            a.stop()
            b.stop()


def _edge(window: int, margin: float) -> None:
    left = window - time.time() % window
    if left < margin:
        time.sleep(left + 0.05)


def test_upload_and_request_limits_are_shared_by_two_processes(
    two_nodes: tuple[Server, Server, str], tmp_path: Path
) -> None:
    a, b, token = two_nodes
    headers = {"Authorization": f"Bearer {token}"}
    data = make_clip(tmp_path / "c.mp4", seconds=0.5).read_bytes()

    def up(server: Server) -> httpx.Response:
        files = {"video": ("c.mp4", data, "video/mp4")}
        return httpx.post(server.url + "/api/upload", headers=headers, files=files, timeout=30)

    _edge(60, 15)
    codes = [up(s).status_code for s in (a, b, a)]
    assert codes == [202, 202, 202]
    r = up(b)  # the 4th in this minute, on the other process: each process alone has seen 1 or 2
    assert r.status_code == 429, r.text
    assert r.json()["code"] == "upload_rate_limited" and int(r.headers["retry-after"]) >= 1

    with httpx.Client(timeout=10) as http:
        http.get(a.url + "/api/jobs", headers=headers)  # each process verifies the token once
        http.get(b.url + "/api/jobs", headers=headers)
        time.sleep(1.0)
        _edge(1, 0.7)
        answers = [http.get(s.url + "/api/jobs", headers=headers) for s in (a, b) * 7]
    codes = [r.status_code for r in answers]
    assert codes.count(200) <= 10 < len(codes)  # 7 per process would all pass with per-process counters
    limited = next(r for r in answers if r.status_code == 429)
    assert limited.headers["ratelimit-policy"] == '"token";q=10;w=1'
