"""Benchmark: job throughput and dispatch latency of the job system itself (no-op analyzer).

Usage::

    .venv/bin/python bench/scale.py [--jobs 200] [--workers 1,2,4] [--concurrency 2] [--latency-samples 40]
                                    [--backends sqlite,cluster] [--soak SECONDS]

For each backend (``sqlite``: SQLite job store + Huey on SQLite, the one-machine default; ``cluster``:
PostgreSQL + Redis) and each number of ``reelq worker`` processes, ``--jobs`` no-op jobs are inserted
and dispatched at once after the workers are up; jobs/s is jobs divided by the time from the first send
to the last completion. Dispatch latency is queued → processing (``started_at`` minus the moment of the
send) for jobs sent one at a time to one idle worker. Targets: p50 ≤ 50 ms on Redis, ≤ 250 ms on SQLite.

Each job runs in its own analysis child process (the isolation reelq relies on), so on a small machine
the child's start-up, not the queue, bounds throughput. ``--soak SECONDS`` instead keeps 3 workers busy
on PostgreSQL + Redis for that long while one is SIGKILLed every few seconds, then checks that every
job completed exactly once. Needs PostgreSQL and Redis for ``cluster`` (``REELQ_TEST_PG_URL``,
``REELQ_TEST_REDIS_URL``; defaults: local servers). Prints a table, then one JSON line.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import redis

from reelq.config import Settings
from reelq.ids import new_id
from reelq.jobs.states import JobStatus
from reelq.runtime import Runtime

PG_ADMIN_URL = os.environ.get("REELQ_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("REELQ_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
NOOP = "reelq.testing.analyzers:noop"
TARGET_P50_MS = {"sqlite": 250.0, "cluster": 50.0}


@contextlib.contextmanager
def backend(kind: str, data_dir: Path) -> Iterator[dict[str, str]]:
    """Environment for `reelq` processes on a fresh database and queue."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("REELQ_")}
    env |= {
        "REELQ_DATA_DIR": str(data_dir),
        "REELQ_LOG_LEVEL": "WARNING",
        "REELQ_LEASE_SECONDS": "5",
        "REELQ_HEARTBEAT_SECONDS": "1",
        "REELQ_REAPER_SECONDS": "1",
        "REELQ_REDISPATCH_SECONDS": "5",
        "REELQ_DISK_RESERVE_BYTES": "0",
        "REELQ_MAX_ATTEMPTS": "10",
        "REELQ_ANALYZERS": NOOP,  # workers run only the analyzers they are told they may
    }
    if kind == "sqlite":
        yield env
        return
    name = f"reelq_bench_{secrets.token_hex(4)}"
    queue = f"reelqbench{secrets.token_hex(4)}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        env["REELQ_DATABASE_URL"] = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
        env["REELQ_QUEUE_URL"] = f"{REDIS_URL}?queue={queue}"
        yield env
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        with contextlib.suppress(redis.RedisError):
            client = redis.Redis.from_url(REDIS_URL)
            keys = list(client.scan_iter(match=f"huey.*{queue}*"))
            if keys:
                client.delete(*keys)


def settings_of(env: dict[str, str]) -> Settings:
    return Settings(
        data_dir=Path(env["REELQ_DATA_DIR"]),
        database_url=env.get("REELQ_DATABASE_URL"),
        queue_url=env.get("REELQ_QUEUE_URL"),
    )


def start_workers(env: dict[str, str], n: int, concurrency: int, log: Path) -> list[subprocess.Popen[bytes]]:
    out = log.open("ab")
    return [
        subprocess.Popen(
            [sys.executable, "-m", "reelq.cli", "worker", "--concurrency", str(concurrency)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        for _ in range(n)
    ]


def stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(20)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def wait_workers(rt: Runtime, n: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while len(rt.store.live_workers(10)) < n:
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {len(rt.store.live_workers(10))} of {n} workers came up")
        time.sleep(0.1)


def insert_job(rt: Runtime, user_id: str) -> str:
    job_id = new_id()
    rt.store.insert(
        {
            "id": job_id,
            "user_id": user_id,
            "analyzer": NOOP,
            "max_attempts": 10,
            "file_name": "bench.mp4",
            "file_size": 0,
            "file_sha256": "0" * 64,
            "content_type": "video/mp4",
            "source_path": f"users/{user_id}/jobs/{job_id}/source.mp4",
        }
    )
    return job_id


def wait_done(rt: Runtime, total: int, timeout: float) -> dict[str, int]:
    deadline = time.monotonic() + timeout
    while True:
        counts = rt.store.count_by_status()
        if sum(counts.get(s.value, 0) for s in JobStatus if s.terminal) >= total:
            return counts
        if time.monotonic() > deadline:
            raise TimeoutError(f"not done after {timeout:g} s: {counts}")
        time.sleep(0.05)


def throughput(kind: str, n_workers: int, jobs: int, concurrency: int, tmp: Path) -> float:
    with backend(kind, tmp / f"{kind}-{n_workers}") as env:
        rt = Runtime.build(settings_of(env))
        procs: list[subprocess.Popen[bytes]] = []
        try:
            user = rt.users.create("bench")[0].id
            procs = start_workers(env, n_workers, concurrency, tmp / f"{kind}-{n_workers}.log")
            wait_workers(rt, n_workers)
            ids = [insert_job(rt, user) for _ in range(jobs)]
            started = time.monotonic()
            for job_id in ids:
                rt.dispatcher.send(job_id, analyzer=NOOP)
            counts = wait_done(rt, jobs, timeout=max(120.0, jobs * 2.0))
            elapsed = time.monotonic() - started
            if counts.get(JobStatus.COMPLETED.value) != jobs:
                raise RuntimeError(f"not every job completed: {counts}")
            return jobs / elapsed
        finally:
            stop(procs)
            rt.close()


def latency(kind: str, samples: int, tmp: Path) -> list[float]:
    """Milliseconds from send to claim, one job at a time, with one idle worker."""
    with backend(kind, tmp / f"{kind}-latency") as env:
        rt = Runtime.build(settings_of(env))
        procs: list[subprocess.Popen[bytes]] = []
        try:
            user = rt.users.create("bench")[0].id
            procs = start_workers(env, 1, 1, tmp / f"{kind}-latency.log")
            wait_workers(rt, 1)
            out: list[float] = []
            for i in range(samples + 2):
                time.sleep(random.uniform(0.3, 0.6))  # idle: the consumer has backed off its polling
                job_id = insert_job(rt, user)  # then sent at once, before a reaper pass could send it
                sent = time.time()
                rt.dispatcher.send(job_id, analyzer=NOOP)
                wait_done(rt, i + 1, timeout=60)
                job = rt.store.get(job_id)
                assert job is not None and job.started_at is not None
                if i >= 2:  # the first jobs warm the worker up
                    out.append((job.started_at - sent) * 1000)
            return out
        finally:
            stop(procs)
            rt.close()


def soak(seconds: float, tmp: Path) -> dict[str, object]:
    """3 workers on PostgreSQL + Redis, one SIGKILLed every 3–6 s, jobs fed continuously."""
    with backend("cluster", tmp / "soak") as env:
        rt = Runtime.build(settings_of(env))
        procs = start_workers(env, 3, 2, tmp / "soak.log")
        kills = 0
        try:
            user = rt.users.create("bench")[0].id
            wait_workers(rt, 3)
            ids: list[str] = []
            end = time.monotonic() + seconds
            next_kill = time.monotonic() + random.uniform(3, 6)
            while time.monotonic() < end:
                for _ in range(5):
                    ids.append(insert_job(rt, user))
                    rt.dispatcher.send(ids[-1], analyzer=NOOP)
                if time.monotonic() >= next_kill:
                    i = random.randrange(3)
                    procs[i].kill()
                    procs[i].wait()
                    procs[i] = start_workers(env, 1, 2, tmp / "soak.log")[0]
                    kills += 1
                    next_kill = time.monotonic() + random.uniform(3, 6)
                time.sleep(1.0)
            counts = wait_done(rt, len(ids), timeout=600)
            with rt.engine.connect() as conn:
                from sqlalchemy import text

                dup = conn.execute(
                    text(
                        "SELECT count(*) FROM (SELECT job_id FROM job_events WHERE event = 'job.completed'"
                        " GROUP BY job_id HAVING count(*) > 1) d"
                    )
                ).scalar_one()
            return {"jobs": len(ids), "kills": kills, "statuses": counts, "duplicate_completions": dup}
        finally:
            stop(procs)
            rt.close()


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--jobs", type=int, default=200)
    ap.add_argument("--workers", default="1,2,4")
    ap.add_argument("--concurrency", type=int, default=2, help="jobs at once per worker process")
    ap.add_argument("--latency-samples", type=int, default=40)
    ap.add_argument("--backends", default="sqlite,cluster")
    ap.add_argument("--soak", type=float, default=0.0, help="run the kill -9 soak for this many seconds")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="reelq-bench-") as tmpdir:
        tmp = Path(tmpdir)
        if args.soak:
            result = soak(args.soak, tmp)
            print(f"soak: {result}")
            ok = result["statuses"] == {"completed": result["jobs"]} and result["duplicate_completions"] == 0
            print(json.dumps({"bench": "scale-soak", **result, "ok": ok}))
            return 0 if ok else 1

        kinds = [k.strip() for k in args.backends.split(",") if k.strip()]
        counts = [int(n) for n in args.workers.split(",")]
        rows: dict[str, dict[str, object]] = {}
        for kind in kinds:
            rate = {n: throughput(kind, n, args.jobs, args.concurrency, tmp) for n in counts}
            lat = latency(kind, args.latency_samples, tmp)
            p50, p99 = pct(lat, 0.5), pct(lat, 0.99)
            rows[kind] = {
                "jobs_per_s": {str(n): round(r, 1) for n, r in rate.items()},
                "dispatch_ms": {
                    "p50": round(p50, 1),
                    "p99": round(p99, 1),
                    "mean": round(statistics.mean(lat), 1),
                },
                "target_p50_ms": TARGET_P50_MS[kind],
                "meets_target": p50 <= TARGET_P50_MS[kind],
            }

        label = {"sqlite": "SQLite + Huey-SQLite", "cluster": "PostgreSQL + Redis"}
        head = "".join(f"{f'{n} worker' + ('s' if n > 1 else ''):>12}" for n in counts)
        print(f"{args.jobs} no-op jobs, {args.concurrency} at once per worker process, {os.cpu_count()} CPUs")
        print(f"{'backend':<22}{head}   dispatch p50 / p99 (target p50)")
        for kind, row in rows.items():
            rates = row["jobs_per_s"]
            assert isinstance(rates, dict)
            cells = "".join(f"{rates[str(n)]:>8.1f} j/s" for n in counts)
            d = row["dispatch_ms"]
            assert isinstance(d, dict)
            mark = "ok" if row["meets_target"] else "MISSED"
            target = f"≤ {row['target_p50_ms']:g}, {mark}"
            print(f"{label[kind]:<22}{cells}   {d['p50']:>6.1f} / {d['p99']:.1f} ms ({target})")
        print(json.dumps({"bench": "scale", "jobs": args.jobs, "concurrency": args.concurrency,
                          "cpus": os.cpu_count(), "results": rows}))  # fmt: skip
        return 0 if all(r["meets_target"] for r in rows.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
