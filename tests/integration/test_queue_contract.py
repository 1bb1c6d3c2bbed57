"""The dispatch contract on Huey-SQLite and on Redis: ids are delivered, delays hold, queued
messages survive their producer, and a queue outage never fails a submit."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from huey.consumer import Consumer

from reelq.queue.consumer import make_consumer
from reelq.queue.huey_app import Dispatcher, make_huey

pytestmark = pytest.mark.integration


class Recorder:
    def __init__(self) -> None:
        self.ids: list[str] = []
        self.at: dict[str, float] = {}
        self.marked: list[str] = []
        self.changed = threading.Condition()

    def run(self, job_id: str) -> None:
        with self.changed:
            self.ids.append(job_id)
            self.at[job_id] = time.monotonic()
            self.changed.notify_all()

    def mark(self, job_id: str) -> None:
        self.marked.append(job_id)

    def wait_for(self, n: int, timeout: float = 10.0) -> list[str]:
        with self.changed:
            self.changed.wait_for(lambda: len(self.ids) >= n, timeout)
            return list(self.ids)


@pytest.fixture
def consumers() -> Iterator[list[Consumer]]:
    started: list[Consumer] = []
    yield started
    for c in started:
        c.stop(graceful=True)


def node(
    url: str, rec: Recorder, serves: tuple[str, ...] = ("video",), limits: dict[str, int] | None = None
) -> Dispatcher:
    """What one machine builds from REELQ_QUEUE_URL; a job id names its analyzer before the dash."""
    d = Dispatcher(make_huey(url), rec.mark, lambda job_id: ANALYZER_OF.get(job_id.split("-")[0], "video"))
    d.serve(serves, limits)
    d.set_runner(rec.run)
    return d


ANALYZER_OF = {"pose": "pose", "faces": "faces", "mod": "mypkg.pose:analyze"}


def consume(d: Dispatcher, consumers: list[Consumer], workers: int = 2) -> None:
    c = make_consumer(d.huey, workers, embedded=True)
    c.start()
    consumers.append(c)


def test_sent_ids_are_delivered_once_each(queue_url: str, consumers: list[Consumer]) -> None:
    rec = Recorder()
    d = node(queue_url, rec)
    consume(d, consumers, workers=4)
    ids = [f"job-{i}" for i in range(50)]
    for job_id in ids:
        d.send(job_id)
    got = rec.wait_for(50)
    time.sleep(0.5)  # anything extra would show up now
    assert sorted(rec.ids) == sorted(ids), got
    assert rec.marked == ids  # every successful send is recorded as dispatched


def test_messages_outlive_the_sender_and_reach_another_node(
    queue_url: str,
    consumers: list[Consumer],
) -> None:
    api = node(queue_url, Recorder())
    for i in range(5):
        api.send(f"job-{i}")
    assert api.depth() == 5  # nobody consumes yet: they wait in the queue
    rec = Recorder()
    worker = node(queue_url, rec)  # a different process/machine with the same URL
    consume(worker, consumers)
    assert sorted(rec.wait_for(5)) == [f"job-{i}" for i in range(5)]
    assert worker.depth() == 0


def test_delay_is_respected(queue_url: str, consumers: list[Consumer]) -> None:
    rec = Recorder()
    d = node(queue_url, rec)
    consume(d, consumers)
    sent = time.monotonic()
    d.send("later", 1.5)
    d.send("now")
    assert rec.wait_for(1) == ["now"]
    assert rec.wait_for(2, timeout=10) == ["now", "later"]
    assert rec.at["later"] - sent >= 1.4


def test_queue_names_isolate_deployments(queue_url: str, consumers: list[Consumer]) -> None:
    # same server, another queue name (cleaned up with this test's queue: the name extends it)
    other_url = queue_url + "b" if "queue=" in queue_url else queue_url + "?queue=reelqb"
    rec_a, rec_b = Recorder(), Recorder()
    a, b = node(queue_url, rec_a), node(other_url, rec_b)
    consume(a, consumers)
    b.send("for-b")
    a.send("for-a")
    assert rec_a.wait_for(1) == ["for-a"]
    time.sleep(0.5)
    assert rec_a.ids == ["for-a"] and b.depth() == 1


def test_a_dead_redis_never_fails_a_submit(caplog: pytest.LogCaptureFixture) -> None:
    """The job row is committed before the send; a failed send is logged and left to the reaper."""
    rec = Recorder()
    d = node("redis://127.0.0.1:1/0?queue=nobody-home", rec)
    started = time.monotonic()
    d.send("job-1")
    assert time.monotonic() - started < 5
    assert rec.marked == []  # not marked dispatched, so the reaper re-sends it at once
    assert "job.dispatch_failed" in caplog.text
    with pytest.raises(Exception):  # noqa: B017  (readiness sees the outage)
        d.ping()


def test_a_worker_takes_only_the_jobs_of_the_analyzers_it_runs(
    queue_url: str, consumers: list[Consumer]
) -> None:
    api = node(queue_url, Recorder(), serves=())
    for i in range(3):
        api.send(f"pose-{i}")
        api.send(f"video-{i}")
        api.send(f"mod-{i}", analyzer="mypkg.pose:analyze")
    assert api.depths(["pose", "video", "mypkg.pose:analyze", "faces"]) == {
        "faces": 0,
        "mypkg.pose:analyze": 3,
        "pose": 3,
        "video": 3,
    }
    poser, videos = Recorder(), Recorder()
    consume(node(queue_url, poser, serves=("pose", "faces")), consumers)
    consume(node(queue_url, videos, serves=("video",)), consumers)
    assert sorted(poser.wait_for(3)) == ["pose-0", "pose-1", "pose-2"]
    assert sorted(videos.wait_for(3)) == ["video-0", "video-1", "video-2"]
    time.sleep(0.5)
    assert len(poser.ids) == 3 and len(videos.ids) == 3
    assert api.depths(["mypkg.pose:analyze"]) == {"mypkg.pose:analyze": 3}  # nobody runs it: they wait
    late = Recorder()
    consume(node(queue_url, late, serves=("mypkg.pose:analyze",)), consumers)
    assert sorted(late.wait_for(3)) == ["mod-0", "mod-1", "mod-2"]


def test_a_delayed_send_reaches_the_analyzers_queue(queue_url: str, consumers: list[Consumer]) -> None:
    rec, other = Recorder(), Recorder()
    consume(node(queue_url, other, serves=("video",)), consumers)  # runs Huey's own queue too
    consume(node(queue_url, rec, serves=("pose",)), consumers)
    sent = time.monotonic()
    node(queue_url, Recorder(), serves=()).send("pose-later", 1.0)
    assert rec.wait_for(1, timeout=10) == ["pose-later"]
    assert rec.at["pose-later"] - sent >= 0.9 and other.ids == []


def test_an_analyzers_concurrency_limit_holds_within_one_worker(
    queue_url: str, consumers: list[Consumer]
) -> None:
    running: dict[str, int] = {"pose": 0, "video": 0}
    most: dict[str, int] = {"pose": 0, "video": 0}
    lock = threading.Lock()
    done = Recorder()

    def run(job_id: str) -> None:
        kind = job_id.split("-")[0]
        with lock:
            running[kind] += 1
            most[kind] = max(most[kind], running[kind])
        time.sleep(0.2)
        with lock:
            running[kind] -= 1
        done.run(job_id)

    d = node(queue_url, done, serves=("pose", "video"), limits={"pose": 1})
    d.set_runner(run)
    for i in range(4):
        d.send(f"pose-{i}")
        d.send(f"video-{i}")
    consume(d, consumers, workers=4)
    assert len(done.wait_for(8, timeout=20)) == 8
    assert most["pose"] == 1  # one at a time, although three threads were free
    assert most["video"] >= 2
