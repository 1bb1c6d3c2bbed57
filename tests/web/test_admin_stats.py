"""The admin overview's numbers, from real jobs run by the embedded worker."""

from __future__ import annotations

import time
from pathlib import Path

from console_helpers import upload, wait_status
from fastapi.testclient import TestClient

from reelq.web.admin_stats import overview

EXPLODE = "reelq.testing.analyzers:explode"


def test_overview_counts_queue_workers_failures_and_usage(client: TestClient, clip: Path) -> None:
    rt = client.app.state.runtime  # type: ignore[attr-defined]
    _, alice = rt.users.create("alice")
    _, bob = rt.users.create("bob")
    done = upload(client, alice, clip)
    broken = [upload(client, bob, clip, analyzer=EXPLODE) for _ in range(2)]
    wait_status(client, alice, done, {"completed"})
    for job_id in broken:
        wait_status(client, bob, job_id, {"failed"})

    def live() -> object:
        o = overview(rt.engine, worker_window=30)
        return o if o.workers else None

    deadline = time.monotonic() + 20
    while (o := live()) is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert o is not None
    assert o.workers[0].id == rt.worker_id and o.workers[0].heartbeat_age < 30
    assert (o.queued, o.processing, o.oldest_queued_age) == (0, 0, None)
    assert (o.completed_hour, o.failed_hour) == (1, 2)
    assert o.failure_rate == 2 / 3
    [group] = o.failures
    assert group.count == 2 and {j["id"] for j in group.jobs} == set(broken)
    assert all(j["user"] == "bob" for j in group.jobs)
    assert not any(j["retryable"] for j in group.jobs)  # an analyzer bug: no Retry offered
    # the last 24 hours by the hour: everything finished in the newest hour
    assert len(o.completed_by_hour) == len(o.failed_by_hour) == 24
    assert (o.completed_by_hour[-1], o.failed_by_hour[-1]) == (1, 2)
    assert sum(o.completed_by_hour) == 1 and sum(o.failed_by_hour) == 2
    usage = {u["name"]: u for u in o.users}
    assert usage["alice"]["jobs"] == 1 and usage["bob"]["failed"] == 2
    assert usage["bob"]["bytes"] == 2 * clip.stat().st_size
    # an hour later the throughput window is empty, the failures window (a day) is not
    later = overview(rt.engine, worker_window=30, now=time.time() + 3700)
    assert (later.completed_hour, later.failed_hour, later.failure_rate) == (0, 0, None)
    assert later.failures[0].count == 2
    assert (later.completed_by_hour[-2], later.failed_by_hour[-2]) == (1, 2)  # now an hour older


def test_a_queued_job_has_an_age(api_only: TestClient, clip: Path) -> None:
    rt = api_only.app.state.runtime  # type: ignore[attr-defined]
    _, token = rt.users.create("alice")
    upload(api_only, token, clip)
    o = overview(rt.engine, worker_window=30, now=time.time() + 90)
    assert o.queued == 1 and o.oldest_queued_age is not None and 89 < o.oldest_queued_age < 120
    assert o.workers == []
