"""Wire the core objects together from Settings. Used by ``app.py`` and ``cli.py`` (the edges)."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from dataclasses import dataclass, field

from huey.consumer import Consumer
from sqlalchemy import Engine

from reelq.analysis.registry import requestable
from reelq.auth.algorithms import verifier_of
from reelq.auth.limits import Limiter
from reelq.auth.tokens import UserStore
from reelq.config import Settings
from reelq.db.engine import make_engine
from reelq.db.migrate import upgrade
from reelq.files import Layout
from reelq.ids import new_id
from reelq.jobs.service import JobService
from reelq.jobs.status_reader import StatusReader, make_status_reader
from reelq.jobs.store import JobStore
from reelq.logs import event
from reelq.notify.service import Notifier
from reelq.queue.capacity import AnalyzerCapacity, ServedAnalyzers, capacity
from reelq.queue.consumer import Ticker, make_consumer
from reelq.queue.huey_app import Dispatcher, make_huey
from reelq.queue.reaper import bury_dead_workers, reap_once
from reelq.storage import Storage, make_storage
from reelq.storage.objects import ObjectStorage
from reelq.storage.scratch import clean_stale_scratch
from reelq.uploads.direct import DirectUploads
from reelq.uploads.intake import Intake
from reelq.uploads.tus import TusConfig, TusUploads
from reelq.uploads.tus_s3 import S3Finisher
from reelq.uploads.tus_store import TusStore
from reelq.worker.check import served_analyzers
from reelq.worker.execute import WorkerConfig, WorkerDeps, execute

log = logging.getLogger("reelq")

_migrate_lock = threading.Lock()


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    store: JobStore
    users: UserStore
    layout: Layout
    dispatcher: Dispatcher
    service: JobService
    notifier: Notifier
    worker_id: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}:{new_id()[-8:]}")
    consumer: Consumer | None = None
    tickers: list[Ticker] = field(default_factory=list)
    deps: WorkerDeps | None = None
    intake: Intake = field(init=False)  # the one check-and-submit step of every upload transport
    tus: TusUploads = field(init=False)  # resumable uploads (see build_tus)
    # one job row for the polling hot path, without a thread hop (api/polling.py)
    status_reader: StatusReader | None = field(init=False, default=None)
    limiter: Limiter = field(init=False)  # quotas and rate limits (reelq/auth/limits.py)
    served: ServedAnalyzers = field(init=False)  # which analyzers live workers run (waiting_for_worker)
    direct: DirectUploads | None = field(init=False, default=None)  # uploads straight to the bucket

    @property
    def storage(self) -> Storage:
        """Where sources and artifacts live: the data dir or a bucket (``REELQ_STORAGE_URL``)."""
        return self.service.storage

    @classmethod
    def build(cls, settings: Settings, *, migrate: bool = True) -> Runtime:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = make_engine(settings.resolved_database_url)
        if migrate:
            with _migrate_lock:
                upgrade(engine)
        store = JobStore(engine)
        layout = Layout(settings.data_dir)
        storage = make_storage(settings.storage_url, layout)
        dispatcher = Dispatcher(
            make_huey(settings.resolved_queue_url), store.mark_dispatched, store.analyzer_of
        )
        dispatcher.known.update(requestable(settings.analyzer, settings.analyzers))
        service = JobService(
            store,
            layout,
            dispatcher.send,
            max_attempts=settings.max_attempts,
            storage=storage,
        )
        # Notifications: outbox rows join the terminal transaction; a Huey task sends them after it.
        notifier = Notifier.build(settings, engine)
        store.terminal_hooks.append(notifier.outbox.on_terminal)
        notifier.register_task(dispatcher.huey)
        rt = cls(
            settings,
            engine,
            store,
            UserStore(engine, settings.auth_cache_seconds, verifier_of(settings)),
            layout,
            dispatcher,
            service,
            notifier,
        )
        rt.intake = Intake(
            service,
            layout,
            notifier.devices.register,
            default_analyzer=settings.analyzer,
            extra_analyzers=settings.analyzers,
            disk_reserve_bytes=settings.disk_reserve_bytes,
            check_device=notifier.devices.check_available,
        )
        rt.tus = build_tus(settings, engine, layout, rt.intake, storage)
        if isinstance(rt.tus.finisher, S3Finisher) and isinstance(storage, ObjectStorage):
            rt.direct = DirectUploads(rt.tus.store, storage.objects, rt.tus.finisher, rt.tus.config)
        rt.status_reader = make_status_reader(settings.resolved_database_url)
        rt.limiter = Limiter.build(settings, engine)
        rt.served = ServedAnalyzers(lambda: store.live_workers(rt.live_window))
        return rt

    @property
    def live_window(self) -> float:
        """A worker whose last heartbeat is older than this is not counted as running its analyzers."""
        s = self.settings
        return max(s.worker_dead_seconds, 3 * s.worker_heartbeat_seconds)

    def analyzer_capacity(self) -> list[AnalyzerCapacity]:
        """Per analyzer: jobs waiting on its queue and the live workers that run it."""
        s = self.settings
        offered = requestable(s.analyzer, s.analyzers) | self.dispatcher.known
        return capacity(self.store.live_workers(self.live_window), offered, self.dispatcher.depths)

    def start_upload_sweeper(self) -> Ticker:
        """Expire unfinished tus uploads now and then (in every API process; guarded per row)."""
        ticker = Ticker(self.settings.upload_sweep_seconds, self.tus.tick, "tus-sweeper")
        ticker.start()
        return ticker

    # -- the worker side ---------------------------------------------------------------------
    def start_worker(self, concurrency: int, *, embedded: bool) -> Consumer:
        """Start consuming (threads); the reaper and the worker heartbeat run beside it.

        The worker reads the queues of ``REELQ_WORKER_ANALYZERS`` (default: every analyzer uploads may
        name), each at most its ``REELQ_ANALYZER_LIMITS`` concurrency at once.
        """
        s = self.settings
        served = served_analyzers(s)
        limits = {name: own for name, own in s.analyzer_limits.items() if own.concurrency}
        self.dispatcher.serve(served, {name: own.concurrency or concurrency for name, own in limits.items()})
        config = WorkerConfig(
            lease_seconds=s.lease_seconds,
            heartbeat_seconds=s.heartbeat_seconds,
            job_time_limit=s.job_time_limit,
            memory_limit_mb=s.job_memory_limit_mb,
            retry_base_seconds=s.retry_base_seconds,
            analyzers=requestable(s.analyzer, s.analyzers),
            child_max_jobs=s.child_max_jobs,
            child_max_memory_mb=s.child_max_memory_mb,
            served=served,
            limits={name: (own.time_limit, own.memory_limit_mb) for name, own in s.analyzer_limits.items()},
        )
        deps = WorkerDeps(
            self.store, self.layout, config, self.worker_id, self.dispatcher.send, storage=self.storage
        )
        clean_stale_scratch(self.layout.root)  # what a killed worker on this host left behind
        self.deps = deps
        deps.after_finish.append(self.notifier.trigger)
        notify = Ticker(s.reaper_seconds, self.notifier.tick, "notify")
        notify.start()
        self.tickers.append(notify)
        self.dispatcher.set_runner(lambda job_id: execute(job_id, deps))
        started = time.time()
        host, pid = socket.gethostname(), os.getpid()

        def beat() -> None:
            # Alive, and a look for workers that are not: a crashed worker's jobs run again in seconds.
            self.store.touch_worker(self.worker_id, host, pid, started, served)
            bury_dead_workers(self.store, self.worker_id, host, s.worker_dead_seconds, self.dispatcher.send)

        def reap() -> None:
            reap_once(self.store, self.dispatcher.send, s.redispatch_seconds)
            if s.retention_days > 0:
                self.service.purge_finished(s.retention_days * 86400)

        for ticker in (
            Ticker(s.worker_heartbeat_seconds, beat, "worker-heartbeat"),
            Ticker(min(s.reaper_seconds, s.lease_seconds / 2), reap, "reaper"),
        ):
            ticker.start()
            self.tickers.append(ticker)
        self.consumer = make_consumer(self.dispatcher.huey, concurrency, embedded=embedded)
        if embedded:
            self.consumer.start()
        event(log, "worker.started", worker=self.worker_id, concurrency=concurrency, analyzers=sorted(served))
        return self.consumer

    def stop_worker(self, grace: float = 30.0) -> None:
        if self.deps is not None:
            self.deps.config.shutdown_grace_seconds = grace
            self.deps.stopping.set()
        for ticker in self.tickers:
            ticker.stop()
        if self.consumer is not None:
            self.consumer.stop(graceful=True)
            self.consumer = None
        if self.deps is not None:
            self.deps.pool.close()
        self.store.forget_worker(self.worker_id)
        event(log, "worker.stopped", worker=self.worker_id)

    async def aclose_readers(self) -> None:
        if self.status_reader is not None:
            await self.status_reader.aclose()

    def close(self) -> None:
        self.notifier.close()
        self.engine.dispose()


def build_tus(
    settings: Settings, engine: Engine, layout: Layout, intake: Intake, storage: Storage | None = None
) -> TusUploads:
    config = TusConfig(
        max_size=settings.max_upload_bytes,
        expiry_seconds=settings.upload_expiry_seconds,
        max_incomplete=settings.max_incomplete_uploads,
        max_incomplete_bytes=settings.max_incomplete_upload_bytes,
        lock_seconds=settings.upload_lock_seconds,
        idle_seconds=settings.upload_idle_seconds,
    )
    store = TusStore(engine)
    finisher = None
    if isinstance(storage, ObjectStorage):
        finisher = S3Finisher(store, storage.objects, intake)
    return TusUploads(store, layout, intake, config, finisher)
