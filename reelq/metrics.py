"""Prometheus metrics, one registry per application (no global state).

Most numbers are read from the job table at scrape time, so any API node reports the whole
cluster, whichever process ran the jobs: jobs by status, job durations, upload bytes, the outbox.
Counters that only exist in a process (push results as they happen) are ordinary counters.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString
from sqlalchemy import Connection, Engine, func, inspect, select

from reelq.db.schema import notifications
from reelq.jobs import queries
from reelq.jobs.states import JobStatus
from reelq.queue.capacity import AnalyzerCapacity

log = logging.getLogger("reelq.metrics")

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
DURATION_BUCKETS: Sequence[float] = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)
FINISHED = (JobStatus.COMPLETED.value, JobStatus.FAILED.value, JobStatus.CANCELLED.value)


@dataclass(frozen=True)
class Sources:
    """What the collector reads: the job database and the queue's depth."""

    engine: Engine
    queue_depth: Callable[[], int]
    worker_window_seconds: float = 60.0
    analyzers: Callable[[], list[AnalyzerCapacity]] | None = None  # per-analyzer queues and workers


class ClusterCollector(Collector):
    """Reads the job table and the queue on every scrape; a failing source is reported, not raised."""

    def __init__(self, sources: Sources, clock: Callable[[], float] = time.time) -> None:
        self.sources = sources
        self.clock = clock

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily | HistogramMetricFamily]:
        up = GaugeMetricFamily("reelq_source_up", "1 if the source answered this scrape", labels=["source"])
        try:
            yield from self._database()
            up.add_metric(["database"], 1)
        except Exception as exc:
            log.warning("metrics.database_failed", extra={"error": str(exc)[:200]})
            up.add_metric(["database"], 0)
        try:
            depth = self.sources.queue_depth()
            g = GaugeMetricFamily("reelq_queue_depth", "Messages waiting in the dispatch queue")
            g.add_metric([], depth)
            yield g
            up.add_metric(["queue"], 1)
        except Exception as exc:
            log.warning("metrics.queue_failed", extra={"error": str(exc)[:200]})
            up.add_metric(["queue"], 0)
        if self.sources.analyzers is not None:
            try:
                yield from self._analyzers(self.sources.analyzers())
            except Exception as exc:
                log.warning("metrics.analyzers_failed", extra={"error": str(exc)[:200]})
        yield up

    def _analyzers(self, lines: list[AnalyzerCapacity]) -> Iterator[GaugeMetricFamily]:
        depth = GaugeMetricFamily(
            "reelq_analyzer_queue_depth", "Jobs waiting on each analyzer's queue", labels=["analyzer"]
        )
        served = GaugeMetricFamily(
            "reelq_analyzer_workers", "Live workers that run each analyzer", labels=["analyzer"]
        )
        for line in lines:
            if line.queued is not None:
                depth.add_metric([line.analyzer], line.queued)
            served.add_metric([line.analyzer], len(line.workers))
        yield depth
        yield served

    def _database(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily | HistogramMetricFamily]:
        engine = self.sources.engine
        now = self.clock()
        with engine.connect() as conn:
            by_status = queries.status_counts(conn)
            due = queries.due_queued(conn, now)
            upload_bytes = queries.upload_bytes(conn)
            live = queries.live_worker_count(conn, now - self.sources.worker_window_seconds)
            durations = self._durations(conn)
            outbox = (
                conn.execute(
                    select(notifications.c.channel, notifications.c.state, func.count()).group_by(
                        notifications.c.channel, notifications.c.state
                    )
                ).all()
                if inspect(conn).has_table("notifications")
                else []
            )

        g = GaugeMetricFamily("reelq_jobs", "Jobs by status", labels=["status"])
        for status in JobStatus:
            g.add_metric([status.value], by_status.get(status.value, 0))
        yield g
        g = GaugeMetricFamily("reelq_jobs_due", "Queued jobs whose run time has come (backlog)")
        g.add_metric([], due)
        yield g
        g = GaugeMetricFamily("reelq_workers_live", "Workers that sent a heartbeat recently")
        g.add_metric([], live)
        yield g
        c = CounterMetricFamily(
            "reelq_upload_bytes", "Bytes of accepted uploads on record (deleting jobs lowers it)"
        )
        c.add_metric([], float(upload_bytes))
        yield c
        h = HistogramMetricFamily(
            "reelq_job_duration_seconds", "Claim to finish of the last attempt", labels=["status"]
        )
        for final, buckets, total in durations:
            h.add_metric([final], buckets, total)
        yield h
        g = GaugeMetricFamily(
            "reelq_notifications", "Outbox rows (push and webhook) by state", labels=["channel", "state"]
        )
        for channel, state, n in outbox:
            g.add_metric([channel, state], n)
        yield g

    def _durations(self, conn: Connection) -> list[tuple[str, list[tuple[str, float]], float]]:
        """One grouped query: cumulative bucket counts and the sum per final status."""
        out = []
        for row in queries.run_seconds(conn, (JobStatus(s) for s in FINISHED), DURATION_BUCKETS):
            status, count, total, *counts = row
            pairs = zip(DURATION_BUCKETS, counts, strict=True)
            buckets = [(_bound(b), float(n or 0)) for b, n in pairs]
            buckets.append(("+Inf", float(count)))
            out.append((str(status), buckets, float(total)))
        return out


def _bound(value: float) -> str:
    return str(floatToGoString(value))  # type: ignore[no-untyped-call]  # "0.5", "1.0", as prometheus_client writes `le`


class Metrics:
    """The registry of one application. Every number is read from the database and the queue at
    scrape time, so any API node reports the whole deployment (push results are the outbox states)."""

    def __init__(self, sources: Sources | None = None) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        if sources is not None:
            self.registry.register(ClusterCollector(sources))

    def render(self) -> bytes:
        return generate_latest(self.registry)
