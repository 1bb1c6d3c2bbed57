"""Benchmark: how fast a crashed worker's job runs again, with the default timing settings.

Usage::

    .venv/bin/python bench/failover.py [--repeat 3]

Rounds (each repeated, medians reported):

- ``serve``: ``kill -9`` of ``reelq serve`` (embedded worker, SQLite) in the middle of a job, then a
  restart: seconds from the kill to the job running again. Target ≤ 10 s.
- ``worker``: the same for a separate ``reelq worker`` (the API keeps running). Target ≤ 10 s.
- ``other host``: two workers on PostgreSQL + Redis; the one running the job is frozen (SIGSTOP: its
  process still exists, so only its silence tells, as for a host that lost its network). Seconds until
  the other worker has taken the job over; then the frozen worker is thawed, and the job must still end
  with exactly one result (its late finish is refused).

The baseline, measured in the same run, is how long a restart itself takes (process start to ready):
failover can't be faster than that. Before dead-worker detection, the job waited for its lease
(60 s) plus a reaper pass (up to 15 s). Prints a table, then one JSON line.
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from _common import emit, free_port, median, reelq, wait_http
from scale import backend

TARGET_SECONDS = 10.0
DEFAULT_TIMING = ("REELQ_LEASE_SECONDS", "REELQ_HEARTBEAT_SECONDS", "REELQ_REAPER_SECONDS")


def spawn(env: dict[str, str], *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "reelq.cli", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def serve(env: dict[str, str], port: int, *extra: str) -> tuple[subprocess.Popen[bytes], float]:
    t = time.monotonic()
    proc = spawn(env, "serve", "--port", str(port), *extra)
    wait_http(port)
    return proc, time.monotonic() - t


def running_attempt(base: str, auth: dict[str, str], job_id: str) -> tuple[str, int]:
    body = httpx.get(f"{base}/api/results/job/{job_id}", headers=auth, timeout=10).json()
    return body["status"], body["attempts"]


def wait_attempt(base: str, auth: dict[str, str], job_id: str, attempt: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, attempts = running_attempt(base, auth, job_id)
        if status == "processing" and attempts >= attempt:
            return
        time.sleep(0.05)
    raise TimeoutError(f"job {job_id} never reached attempt {attempt}")


def prepare(env: dict[str, str], clip: Path, base: str) -> tuple[dict[str, str], str]:
    token = reelq(env, "users", "create", f"u{time.monotonic_ns()}").splitlines()[-1]
    auth = {"Authorization": f"Bearer {token}"}
    r = httpx.post(
        f"{base}/api/upload", headers=auth, files={"video": ("c.mp4", clip.read_bytes())}, timeout=30
    )
    return auth, r.json()["job_id"]


def one_restart(kind: str, clip: Path, tmp: Path) -> tuple[float, float]:
    """(seconds from kill to running again, seconds a restart takes)."""
    with backend("sqlite", tmp / f"{kind}-{time.monotonic_ns()}") as env:
        for name in DEFAULT_TIMING:
            env.pop(name, None)
        env |= {
            "REELQ_ANALYZER": "reelq.testing.analyzers:slow",
            "REELQ_TEST_ANALYZER_SECONDS": "120",
            "REELQ_WORKER_CONCURRENCY": "1",
        }
        port = free_port()
        procs: list[subprocess.Popen[bytes]] = []
        try:
            api, _ = serve(env, port, *(["--no-worker"] if kind == "worker" else []))
            procs.append(api)
            victim = spawn(env, "worker") if kind == "worker" else api
            procs.append(victim)
            base = f"http://127.0.0.1:{port}"
            auth, job_id = prepare(env, clip, base)
            wait_attempt(base, auth, job_id, 1)
            victim.send_signal(signal.SIGKILL)
            victim.wait()
            killed = time.monotonic()
            if kind == "worker":
                t = time.monotonic()
                procs.append(spawn(env, "worker"))
                wait_attempt(base, auth, job_id, 2)
                return time.monotonic() - killed, time.monotonic() - t
            restarted, startup = serve(env, port)
            procs.append(restarted)
            wait_attempt(base, auth, job_id, 2)
            return time.monotonic() - killed, startup
        finally:
            for p in procs:
                if p.poll() is None:
                    p.kill()
                    p.wait()


def other_host(clip: Path, tmp: Path) -> tuple[float, int]:
    """(seconds until the other worker took over, results recorded)."""
    with backend("cluster", tmp / f"cluster-{time.monotonic_ns()}") as env:
        for name in DEFAULT_TIMING:
            env.pop(name, None)
        env |= {
            "REELQ_ANALYZER": "reelq.testing.analyzers:slow",
            "REELQ_TEST_ANALYZER_SECONDS": "20",
            "REELQ_WORKER_CONCURRENCY": "1",
        }
        port = free_port()
        procs: list[subprocess.Popen[bytes]] = []
        try:
            api, _ = serve(env, port, "--no-worker")
            procs.append(api)
            first = spawn(env, "worker")
            procs.append(first)
            time.sleep(3)  # the first worker takes the job
            base = f"http://127.0.0.1:{port}"
            auth, job_id = prepare(env, clip, base)
            wait_attempt(base, auth, job_id, 1)
            second = spawn(env, "worker")
            procs.append(second)
            time.sleep(2)
            first.send_signal(signal.SIGSTOP)  # still there, but silent
            frozen = time.monotonic()
            wait_attempt(base, auth, job_id, 2)
            took = time.monotonic() - frozen
            first.send_signal(signal.SIGCONT)
            deadline = time.monotonic() + 120
            while running_attempt(base, auth, job_id)[0] != "completed":
                assert time.monotonic() < deadline, "the job did not complete"
                time.sleep(0.2)
            events = reelq(env, "jobs", "show", job_id)
            return took, events.count("job.completed")
        finally:
            for p in procs:
                if p.poll() is None:
                    p.send_signal(signal.SIGCONT)
                    p.kill()
                    p.wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    from reelq.testing import make_clip

    rows = [["round", "runs", "median s", "max s", "restart s (baseline)", "target s"]]
    summary: dict[str, object] = {"bench": "failover", "target_seconds": TARGET_SECONDS}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        clip = make_clip(tmp / "clip.mp4", seconds=2.0)
        for kind in ("serve", "worker"):
            runs = [one_restart(kind, clip, tmp) for _ in range(args.repeat)]
            took = [r[0] for r in runs]
            startup = [r[1] for r in runs]
            rows.append(
                [
                    kind,
                    str(len(runs)),
                    f"{median(took):.2f}",
                    f"{max(took):.2f}",
                    f"{median(startup):.2f}",
                    "10",
                ]
            )
            summary[f"{kind}_median_s"] = round(median(took), 2)
            summary[f"{kind}_restart_s"] = round(median(startup), 2)
        takeovers = [other_host(clip, tmp) for _ in range(args.repeat)]
        took = [t[0] for t in takeovers]
        rows.append(["other host", str(len(took)), f"{median(took):.2f}", f"{max(took):.2f}", "-", "-"])
        summary["other_host_median_s"] = round(median(took), 2)
        summary["results_per_job"] = sorted({t[1] for t in takeovers})
    summary["ok"] = all(summary[f"{k}_median_s"] <= TARGET_SECONDS for k in ("serve", "worker"))  # type: ignore[operator]
    emit(rows, summary)


if __name__ == "__main__":
    main()
