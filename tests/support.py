"""Helpers for end-to-end tests: run the real `reelq` CLI as subprocesses."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import httpx
from fastapi.testclient import TestClient

from reelq.config import Settings

REELQ = [sys.executable, "-m", "reelq.cli"]


def ci() -> bool:
    """Running under CI (``CI=true``, set by ``.ci/run``): a missing tool is a failure, not a skip."""
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def base_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REELQ_")}
    env.update(
        {
            "REELQ_DATA_DIR": str(data_dir),
            "REELQ_LEASE_SECONDS": "3",
            "REELQ_HEARTBEAT_SECONDS": "0.5",
            "REELQ_REAPER_SECONDS": "0.5",
            "REELQ_RETRY_BASE_SECONDS": "0.2",
            "REELQ_DISK_RESERVE_BYTES": "0",
            "REELQ_WORKER_CONCURRENCY": "2",
            "REELQ_STATUS_CACHE_SECONDS": "0",
        }
    )
    env.update(extra)
    return env


def cli(env: Mapping[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*REELQ, *args], env=dict(env), capture_output=True, text=True, check=check, timeout=120
    )


class Server:
    """`reelq serve` (or `reelq worker`) in a subprocess, with its log in a file."""

    def __init__(self, env: Mapping[str, str], *args: str, log: Path, port: int | None = None) -> None:
        self.env = dict(env)
        self.args = args
        self.port = port or free_port()
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, wait: bool = True) -> Server:
        args = list(self.args) or ["serve"]
        if args[0] == "serve":
            args += ["--port", str(self.port)]
        logf = self.log.open("ab")
        self.proc = subprocess.Popen([*REELQ, *args], env=self.env, stdout=logf, stderr=subprocess.STDOUT)
        if wait and args[0] == "serve":
            self.wait_ready()
        return self

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited:\n{self.log.read_text()}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()  # a server that never answered is not left running behind the failed test
        raise TimeoutError(f"server not ready:\n{self.log.read_text()}")

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def wait_for(pred, timeout: float = 30.0, step: float = 0.1, what: str = "condition"):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = pred()
        if value:
            return value
        time.sleep(step)
    raise TimeoutError(f"timed out waiting for {what}")


def poll_job(
    base: str, headers: Mapping[str, str], job_id: str, until: set[str], timeout: float = 60.0
) -> dict:  # type: ignore[type-arg]
    def check() -> dict | None:  # type: ignore[type-arg]
        r = httpx.get(f"{base}/api/results/job/{job_id}", headers=dict(headers), timeout=10)
        body = r.json()
        return body if body["status"] in until else None

    return wait_for(check, timeout, 0.2, f"job {job_id} to reach {until}")  # type: ignore[no-any-return]


TEST_ANALYZERS = ",".join(
    f"reelq.testing.analyzers:{name}"
    for name in ("noop", "slow", "flaky", "explode", "busy", "state", "crash", "leak")
)


def fast_settings(data_dir: Path, **overrides: object) -> Settings:
    """Settings with short leases and delays, so crash and retry paths run in seconds."""
    values: dict[str, object] = {
        "data_dir": data_dir,
        "lease_seconds": 3.0,
        "heartbeat_seconds": 0.5,
        "retry_base_seconds": 0.2,
        "reaper_seconds": 0.5,
        "redispatch_seconds": 5.0,
        "worker_concurrency": 2,
        "disk_reserve_bytes": 0,
        "job_time_limit": 60.0,
        "status_cache_seconds": 0.0,  # tests read their writes; the micro-cache has its own test
        "analyzers": TEST_ANALYZERS,  # tests may name these per job
        "cors_origins": "https://app.example",  # CORS is off by default; browser-path tests use this origin
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def make_user(client: TestClient, name: str = "alice") -> dict[str, str]:
    rt = client.app.state.runtime  # type: ignore[attr-defined]
    _, token = rt.users.create(name)
    return {"Authorization": f"Bearer {token}"}


class Clock:
    """A clock that moves only when a test moves it."""

    def __init__(self) -> None:
        self.t = 1_000_000.0

    def __call__(self) -> float:
        return self.t
