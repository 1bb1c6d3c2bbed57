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

_DIED = -(2**31)  # sentinel on the done queue: the process's output ended


@dataclass(frozen=True)
class Outcome:
    """How one job ended in its process: the child's code, or the process's exit status if it died."""

    code: int
    died: bool


class WarmChild:
    """One analysis process; runs one job at a time for whoever holds it."""

    def __init__(self, memory_limit_mb: int, env: dict[str, str]) -> None:
        self.memory_limit_mb = memory_limit_mb
        config = json.dumps({"memory_limit_mb": memory_limit_mb})
        # -I: the working directory and PYTHON* variables do not reach the child's imports.
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
            with open(f"/proc/{self.proc.pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1]) / 1024
        except OSError:
            pass
        return 0.0

    def kill(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        self._reader.join(timeout=5)


class ChildPool:
    """Idle warm processes, handed to one job at a time."""

    def __init__(self, env: dict[str, str], *, max_jobs: int = 100, max_rss_mb: int = 1024) -> None:
        self.env = env
        self.max_jobs = max_jobs
        self.max_rss_mb = max_rss_mb
        self._idle: list[WarmChild] = []
        self._lock = threading.Lock()
        self.started = 0  # processes started so far (tests and metrics)

    def acquire(self, memory_limit_mb: int) -> WarmChild:
        with self._lock:
            while self._idle:
                child = self._idle.pop()
                if child.alive and child.memory_limit_mb == memory_limit_mb:
                    return child
                child.kill()
            self.started += 1
        return WarmChild(memory_limit_mb, self.env)

    def release(self, child: WarmChild, outcome: Outcome | None) -> None:
        """Back to the pool after a job that ended normally; anything else ends the process."""
        reusable = (
            outcome is not None
            and not outcome.died
            and child.alive
            and not child.retiring
            and child.jobs < self.max_jobs
            and (self.max_rss_mb <= 0 or child.rss_mb() <= self.max_rss_mb)
        )
        if not reusable:
            child.kill()
            return
        with self._lock:
            self._idle.append(child)

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for child in idle:
            child.kill()
