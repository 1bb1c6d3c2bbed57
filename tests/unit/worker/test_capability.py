"""Routing by analyzer: queue names, the per-analyzer concurrency gate, and who waits for a worker."""

from __future__ import annotations

import threading
import time

from reelq.queue.capacity import EVERY, ServedAnalyzers, capacity, served_by
from reelq.queue.routing import Gate, queue_name


def test_queue_names_are_readable_distinct_and_safe_as_redis_key_parts() -> None:
    assert queue_name("reelq", "video") == "reelq__video"
    a, b = queue_name("reelq", "my.pkg:analyze"), queue_name("reelq", "my_pkg_analyze")
    assert a != b and a.startswith("reelq__my_pkg_analyze_")
    assert all(c.isalnum() or c == "_" for c in a)
    assert queue_name("reelqb", "video") != queue_name("reelq", "video")


def test_the_gate_leaves_out_an_analyzer_at_its_limit_until_a_job_of_it_is_done() -> None:
    gate = Gate({"q__pose": "pose", "q__video": "video"}, {"pose": 1})
    assert sorted(gate.open()) == ["q__pose", "q__video"]
    gate.taken("q__pose")
    assert gate.open() == ["q__video"]
    gate.taken("q__video")
    gate.taken("q__video")
    assert gate.open() == ["q__video"]  # no limit of its own
    gate.done("pose")
    assert sorted(gate.open()) == ["q__pose", "q__video"]


def test_the_gate_rotates_so_no_queue_always_comes_first() -> None:
    gate = Gate({"q__a": "a", "q__b": "b", "q__c": "c"})
    firsts = {gate.open()[0] for _ in range(3)}
    assert firsts == {"q__a", "q__b", "q__c"}


def test_a_queued_job_waits_for_a_worker_only_when_no_live_worker_runs_its_analyzer() -> None:
    live = [{"id": "gpu", "analyzers": ["pose"]}, {"id": "cpu", "analyzers": ["video", "probe"]}]
    served = ServedAnalyzers(lambda: live, ttl=0, background=False)
    assert served.waiting_for_worker("queued", "faces") == "faces"
    assert served.waiting_for_worker("queued", "pose") is None
    assert served.waiting_for_worker("processing", "faces") is None
    live.append({"id": "old", "analyzers": None})  # an older worker runs everything
    assert served.waiting_for_worker("queued", "faces") is None


def test_capacity_lists_each_analyzer_with_its_queue_and_workers() -> None:
    live = [{"id": "gpu", "analyzers": ["pose"]}, {"id": "old", "analyzers": None}]
    assert served_by(live) == {"pose": ["gpu"], EVERY: ["old"]}
    lines = capacity(live, ["video", "pose"], lambda names: {n: 2 for n in names})
    assert [(c.analyzer, c.queued, c.workers) for c in lines] == [
        ("pose", 2, ("gpu", "old")),
        ("video", 2, ("old",)),
    ]

    def down(names: object) -> dict[str, int]:
        raise ConnectionError("queue down")

    assert capacity(live, ["video"], down)[1].queued is None


def test_the_served_set_is_read_beside_the_caller_after_the_first_read() -> None:
    live: list[dict[str, object]] = [{"id": "gpu", "analyzers": ["pose"]}]
    release = threading.Event()

    def read() -> list[dict[str, object]]:
        if served._at > -1e9:  # later reads are slow
            release.wait(5)
        return list(live)

    served = ServedAnalyzers(read, ttl=0)
    assert served.waiting_for_worker("queued", "faces") == "faces"  # the first read, made at once
    live.append({"id": "cpu", "analyzers": ["faces"]})
    started = time.monotonic()
    assert served.waiting_for_worker("queued", "faces") == "faces"  # stale, without waiting for the read
    assert time.monotonic() - started < 1
    release.set()
    deadline = time.monotonic() + 5
    while served.waiting_for_worker("queued", "faces") is not None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert served.waiting_for_worker("queued", "faces") is None
