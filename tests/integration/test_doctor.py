"""`reelq doctor` on both deployments: one verdict per line, exit 1 only when something fails."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from reelq.config import Settings
from reelq.doctor import Verdict, check_expo, run
from reelq.runtime import Runtime

pytestmark = pytest.mark.integration


def doctor_cli(s: Settings) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REELQ_")}
    env |= {
        "REELQ_DATA_DIR": str(s.data_dir),
        "REELQ_DATABASE_URL": s.resolved_database_url,
        "REELQ_QUEUE_URL": s.resolved_queue_url,
        "REELQ_DISK_RESERVE_BYTES": "0",
        "REELQ_EXPO_API_URL": "http://127.0.0.1:9/--/api/v2/push",  # nothing listens: a warning
    }
    return subprocess.run(
        [sys.executable, "-m", "reelq.cli", "doctor"], env=env, capture_output=True, text=True, timeout=60
    )


def verdicts(out: str) -> dict[str, str]:
    rows = [line.split() for line in out.splitlines()]
    return {r[1]: r[0] for r in rows if len(r) > 2 and r[0] in ("ok", "warn", "FAIL")}


def test_a_healthy_deployment_is_ready_with_a_warning_for_expo(backend_runtime: Runtime) -> None:
    backend_runtime.start_worker(1, embedded=True)
    try:
        done = doctor_cli(backend_runtime.settings)
    finally:
        backend_runtime.stop_worker(0)
    assert done.returncode == 0, done.stdout + done.stderr
    v = verdicts(done.stdout)
    assert v == {
        "configuration": "ok",
        "analyzers": "ok",
        "database": "ok",
        "queue": "ok",
        "workers": "ok",
        "disk": "ok",
        "codecs": "ok",
        "expo": "warn",
    }, done.stdout
    assert "unreachable" in done.stdout and "ready (with warnings: expo)" in done.stdout


def test_failures_are_named_and_exit_1(backend_settings: Settings) -> None:
    # nothing migrated, no worker, and a queue nobody answers
    s = backend_settings.model_copy(update={"queue_url": "redis://127.0.0.1:1/0"})
    s.data_dir.mkdir(parents=True, exist_ok=True)
    done = doctor_cli(s)
    assert done.returncode == 1
    v = verdicts(done.stdout)
    assert v["database"] == "FAIL" and v["queue"] == "FAIL" and v["workers"] in ("FAIL", "warn")
    assert "not ready: " in done.stderr and "queue" in done.stderr


def test_no_network_is_a_warning_not_a_crash(backend_settings: Settings) -> None:
    s = backend_settings.model_copy(update={"expo_api_url": "https://exp.host.invalid/--/api/v2/push"})
    check = check_expo(s, timeout=2)
    assert check.verdict is Verdict.WARN and "unreachable" in check.detail
    assert {c.name for c in run(s)} >= {
        "configuration",
        "database",
        "queue",
        "workers",
        "disk",
        "codecs",
        "expo",
    }
