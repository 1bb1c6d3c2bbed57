"""The Celery side of bench/vs_celery.py: the same analyzer functions as reelq's, as Celery tasks.

Configured as Celery's docs recommend for long, CPU-bound tasks: prefork pool, ``acks_late`` (a task is
acknowledged after it ran, so a crash re-delivers it) and a prefetch of one.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from celery import Celery

import reelq.analysis.video  # noqa: F401  (imported once in the parent: prefork children inherit it)
from reelq.analysis.registry import load

BROKER = os.environ.get("BENCH_CELERY_BROKER", "redis://127.0.0.1:6379/0")
app = Celery("reelq_bench", broker=BROKER, backend=BROKER)
app.conf.update(
    task_acks_late=True,
    worker_prefetch_multiplier=1,
    task_default_queue=os.environ.get("BENCH_CELERY_QUEUE", "reelq-bench"),
    result_expires=600,
    broker_connection_retry_on_startup=True,
)


class _Context:
    def __init__(self, artifacts: Path) -> None:
        self.job_id = "celery"
        self.artifacts = artifacts

    def progress(self, fraction: float) -> None:
        pass


@app.task(name="analyze")
def analyze(path: str, analyzer: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as artifacts:
        fn = load(analyzer, frozenset({analyzer}))
        return fn(Path(path), _Context(Path(artifacts)))  # type: ignore[arg-type]
