"""Load: 5,000 job completions → 5,000 pushes through the fake in batches ≤100, under 600/s, no 429.

Driven at the outbox level: 5,000 completed jobs (one per user, one device each) are written in bulk and
their outbox rows come from the same terminal hook the job store calls; then two sender threads (as two
Huey workers would) drain the outbox with the default throttle. No analysis runs.
"""

from __future__ import annotations

import threading
import time

from sqlalchemy import insert, select

from reelq.db.schema import devices, jobs, notifications, users
from reelq.ids import new_id
from reelq.jobs.models import Job
from reelq.runtime import Runtime
from reelq.testing.fake_expo import FakeExpo

N = 5000


def test_5000_completions_are_delivered_in_batches_under_the_rate_limit(rt: Runtime, fake: FakeExpo) -> None:
    assert rt.notifier is not None and rt.settings.expo_max_per_second == 550  # the default throttle
    t = time.time()
    user_rows, device_rows, job_rows = [], [], []
    for i in range(N):
        uid, token = new_id(), f"ExponentPushToken[load{i:05d}]"
        fake.register(token)
        user_rows.append({"id": uid, "name": f"load{i}", "created_at": t, "disabled": False})
        device_rows.append(
            {"id": new_id(), "user_id": uid, "push_token": token, "created_at": t, "last_seen_at": t}
        )
        job_rows.append(
            {
                "id": new_id(),
                "user_id": uid,
                "status": "completed",
                "analyzer": "probe",
                "attempts": 1,
                "max_attempts": 3,
                "run_at": t,
                "cancel_requested": False,
                "progress": 1.0,
                "created_at": t,
                "started_at": t,
                "finished_at": t,
                "updated_at": t,
                "file_name": f"clip{i}.mp4",
                "file_size": 1,
                "file_sha256": "0" * 64,
                "content_type": "video/mp4",
                "source_path": "x",
                "metadata_json": "{}",
            }
        )
    with rt.engine.begin() as conn:
        conn.execute(insert(users), user_rows)
        conn.execute(insert(devices), device_rows)
        conn.execute(insert(jobs), job_rows)
        for row in conn.execute(select(jobs)).all():
            rt.notifier.outbox.on_terminal(conn, Job.from_row(row))

    started = time.monotonic()
    workers = [threading.Thread(target=rt.notifier.push.send_due) for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=60)
    elapsed = time.monotonic() - started

    assert fake.rejected_429 == 0
    assert len(fake.delivered) == N
    assert len({d.token for d in fake.delivered}) == N  # every device exactly once
    sizes = [r.recipients for r in fake.send_requests()]
    assert max(sizes) <= 100 and sum(sizes) == N
    assert all(r.status == 200 for r in fake.send_requests())
    assert fake.max_per_second() <= 600
    assert elapsed >= (N - 600) / 600  # it really was throttled, not just lucky
    with rt.engine.connect() as conn:
        states = {s for (s,) in conn.execute(select(notifications.c.state))}
    assert states == {"sent"}
