"""Warm analysis processes, like Celery's prefork pool with ``max_tasks_per_child``/``max_memory_per_child``.

Starting a Python process that imports PyAV, NumPy and OpenCV costs about 0.3 s of CPU; a no-op job costs
a few milliseconds. So a worker keeps the analysis processes it started and gives each many jobs, one at a
time. Isolation is kept where it matters: a process that crashed, was killed (time limit, cancel, lost
lease, shutdown), ran out of memory, ran ``max_jobs`` jobs or grew past ``max_rss_mb`` is never reused; each
job works in its own fresh directory; and processes start only when a job needs one, so a worker restart
stays cheap.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from typing import Any

from reelq.analysis.registry import import_path

_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
_DIED = -(2**31)  # sentinel on the done queue: the process's output ended


@dataclass(frozen=True)
class Outcome:
    """How one job ended in its process: the child's code, or the process's exit status if it died."""

    code: int
    died: bool


class WarmChild:
    """One analysis process; runs one job at a time for whoever holds it."""

    def __init__(self, memory_limit_mb: int, env: dict[str, str], preload: tuple[str, ...] = ()) -> None:
        self.memory_limit_mb = memory_limit_mb
        # preload: analyzers (already allowed for earlier jobs) to import before the process says "ready"
        # -I: PYTHON* variables and the child's own working directory do not reach its imports; it gets the
        # worker's import path instead (installed packages, PYTHONPATH, the directory the worker runs in).
        config = json.dumps(
            {"memory_limit_mb": memory_limit_mb, "preload": list(preload), "path": import_path()}
        )
        self.proc = subprocess.Popen(
            [sys.executable, "-I", "-m", "reelq.worker.child", config],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,
            cwd="/",
        )
        self.jobs = 0
        self.retiring = False  # the process said it takes no further job
        self.progress = 0.0
        self.analyzers: set[str] = set()  # the analyzers it has run (what its successor preloads)
        self.ready = threading.Event()  # started and preloaded: a job handed over now runs at once
        self.successor: WarmChild | None = None  # warming up to replace this one after max_jobs
        self._done: queue.Queue[int] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True, name=f"analysis-{self.proc.pid}")
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            try:
                message: dict[str, Any] = json.loads(line)
                if "progress" in message:
                    self.progress = float(message["progress"])
                elif "ready" in message:
                    self.ready.set()
                elif "done" in message:
                    self.retiring = bool(message.get("last"))
                    self._done.put(int(message["done"]))
            except (ValueError, KeyError, TypeError):
                continue
        self._done.put(_DIED)

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def start(self, spec: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.progress = 0.0
        self.jobs += 1
        self.analyzers.add(str(spec["analyzer"]))
        self.proc.stdin.write(json.dumps(spec) + "\n")
        self.proc.stdin.flush()

    def wait(self, timeout: float) -> Outcome | None:
        """The job's outcome, or None if it is still running after ``timeout`` seconds."""
        try:
            code = self._done.get(timeout=timeout)
        except queue.Empty:
            return None
        if code == _DIED:
            return Outcome(self.proc.wait(), died=True)
        return Outcome(code, died=False)

    def rss_mb(self) -> float:
        try:
            with open(f"/proc/{self.proc.pid}/statm", "rb") as f:
                return int(f.read().split()[1]) * _PAGE_SIZE / 2**20  # resident pages
        except (OSError, ValueError, IndexError):
            return 0.0

    def kill(self) -> None:
        """End the process (a successor, if any, is the caller's to keep or to kill)."""
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        self._reader.join(timeout=5)


class ChildPool:
    """Idle warm processes, handed to one job at a time.

    A process that has run ``max_jobs`` jobs is replaced without making a job wait for a new one: its
    successor starts and imports the analyzers it ran while it keeps serving, and takes over once it
    says it is ready (at the latest after twice ``max_jobs``, the old one stops regardless).
    """

    def __init__(self, env: dict[str, str], *, max_jobs: int = 1000, max_rss_mb: int = 1024) -> None:
        self.env = env
        self.max_jobs = max_jobs
        self.max_rss_mb = max_rss_mb
        self._idle: list[WarmChild] = []
        self._lock = threading.Lock()
        self.started = 0  # processes started so far (tests and metrics)

    def acquire(self, memory_limit_mb: int) -> WarmChild:
        with self._lock:
            while self._idle:
                child = self._handover(self._idle.pop())
                if child.alive and child.memory_limit_mb == memory_limit_mb:
                    return child
                self._end(child)
            self.started += 1
        return WarmChild(memory_limit_mb, self.env)

    def release(self, child: WarmChild, outcome: Outcome | None) -> None:
        """Back to the pool after a job that ended normally; anything else ends the process."""
        reusable = (
            outcome is not None
            and not outcome.died
            and child.alive
            and not child.retiring
            and child.jobs < 2 * self.max_jobs
            and (self.max_rss_mb <= 0 or child.rss_mb() <= self.max_rss_mb)
        )
        if not reusable:
            successor, child.successor = child.successor, None
            child.kill()
            if successor is None:
                return
            child = successor  # already started: it serves the next job
        elif child.jobs >= self.max_jobs and (child.successor is None or not child.successor.alive):
            if child.successor is not None:
                child.successor.kill()
            child.successor = WarmChild(child.memory_limit_mb, self.env, tuple(sorted(child.analyzers)))
            with self._lock:
                self.started += 1
        with self._lock:
            self._idle.append(self._handover(child))

    @staticmethod
    def _handover(child: WarmChild) -> WarmChild:
        """The child itself, or its successor once that is ready (the child then ends)."""
        successor = child.successor
        if successor is None or not successor.ready.is_set():
            return child
        child.successor = None
        child.kill()
        return successor

    @staticmethod
    def _end(child: WarmChild) -> None:
        if child.successor is not None:
            child.successor.kill()
        child.kill()

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for child in idle:
            self._end(child)
