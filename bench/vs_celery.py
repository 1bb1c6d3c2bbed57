"""Benchmark: reelq against Celery on the same analysis, on the same machine, in the same run.

Usage::

    .venv/bin/python bench/vs_celery.py [--clips 100] [--noop-jobs 300] [--rounds 5] [--concurrency 2]

- ``video``: the default ``video`` analyzer over ``--clips`` generated 3-second 720p clips. Celery runs it
  with a prefork worker, a Redis broker, ``acks_late`` and a prefetch of one; reelq runs it on PostgreSQL +
  Redis with one ``reelq worker``. Both have the same concurrency. Jobs/s is jobs over the time from the
  first send to the last result. Target: reelq ≥ 1.0× Celery.
- ``noop``: the same with a no-op analyzer: the systems' own cost per job. Target ≥ 0.5× Celery.
- Both are run ``--rounds`` times, alternating the systems; the table compares medians, the JSON line
  also has every round.
- ``cpu``: reelq's CPU time per no-op job: the worker and its analysis processes, read from /proc when the
  clock starts and stops (PostgreSQL's and Redis's own share is not in it). Target ≤ 30 ms.

reelq does more per job than Celery here (a durable job row with leases, heartbeats, events, a result
stored in PostgreSQL, the analysis isolated in its own process with time and memory limits), so the
comparison is a floor for what those guarantees cost. Needs PostgreSQL and Redis, and Celery
(``uv sync --group bench``). Prints a table, then one JSON line.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import emit
from scale import REDIS_URL, backend, settings_of, stop, wait_done, wait_workers

from reelq.ids import new_id
from reelq.runtime import Runtime

BENCH = Path(__file__).resolve().parent
VIDEO, NOOP = "video", "reelq.testing.analyzers:noop"


def tree_cpu(pid: int) -> float:
    """CPU seconds so far of a process and its live descendants (from /proc: Linux only)."""
    tick = os.sysconf("SC_CLK_TCK")
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        try:
            stat = Path(f"/proc/{p}/stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
            total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue  # it ended meanwhile
    return total


def celery_rate(clips: list[Path], analyzer: str, concurrency: int) -> float:
    queue = f"reelq-bench-{secrets.token_hex(4)}"
    env = dict(os.environ, BENCH_CELERY_BROKER=REDIS_URL, BENCH_CELERY_QUEUE=queue)
    env["PYTHONPATH"] = str(BENCH)
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "_celery_tasks", "worker", "--pool", "prefork",
         "--concurrency", str(concurrency), "--loglevel", "WARNING", "-Q", queue,
         "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=BENCH, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    os.environ["BENCH_CELERY_QUEUE"] = queue
    sys.path.insert(0, str(BENCH))
    import _celery_tasks

    _celery_tasks.app.conf.task_default_queue = queue
    try:
        _celery_tasks.analyze.apply_async((str(clips[0]), NOOP)).get(timeout=120)  # the worker is up
        started = time.monotonic()
        results = [_celery_tasks.analyze.apply_async((str(c), analyzer)) for c in clips]
        for r in results:
            r.get(timeout=600)
        return len(clips) / (time.monotonic() - started)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def insert(rt: Runtime, user_id: str, clip: Path, analyzer: str) -> str:
    job_id = new_id()
    source = f"users/{user_id}/jobs/{job_id}/source.mp4"
    dest = rt.layout.absolute(source)
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(clip, dest)
    rt.store.insert(
        {
            "id": job_id,
            "user_id": user_id,
            "analyzer": analyzer,
            "max_attempts": 3,
            "file_name": clip.name,
            "file_size": clip.stat().st_size,
            "file_sha256": "0" * 64,
            "content_type": "video/mp4",
            "source_path": source,
            # as an upload does (reelq/jobs/service.py): marked dispatched in the insert, one write less
            "dispatched_at": time.time(),
        }
    )
    return job_id


def reelq_rate(clips: list[Path], analyzer: str, concurrency: int, tmp: Path) -> tuple[float, float]:
    """(jobs/s, CPU seconds per job of the worker and its analysis processes while the clock ran).

    reelq runs with its default lease, heartbeat and reaper periods, and, like the Celery worker above,
    is warm when the clock starts: ``concurrency`` jobs of the same analyzer have started its analysis
    processes and imported the analyzer (Celery imports it in the parent, before its children fork).
    """
    with backend("cluster", tmp / f"reelq-{secrets.token_hex(3)}") as env:
        for name in ("REELQ_LEASE_SECONDS", "REELQ_HEARTBEAT_SECONDS", "REELQ_REAPER_SECONDS"):
            env.pop(name, None)
        env["REELQ_ANALYZERS"] = NOOP
        rt = Runtime.build(settings_of(env))
        proc = subprocess.Popen(
            [sys.executable, "-m", "reelq.cli", "worker", "--concurrency", str(concurrency)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            user = rt.users.create("bench")[0].id
            wait_workers(rt, 1)
            # warm with the round's analyzer: Celery's children have it imported before they fork
            warm = [insert(rt, user, clips[0], analyzer) for _ in range(concurrency)]
            for job_id in warm:
                rt.dispatcher.send(job_id, mark=False, analyzer=analyzer)
            wait_done(rt, len(warm), timeout=120)
            ids = [insert(rt, user, c, analyzer) for c in clips]
            # The copies above (650 MB for 300 no-op jobs) are set-up: written back now, not while the
            # clock runs, where they would slow down every commit's fsync.
            os.sync()
            started, cpu_before = time.monotonic(), tree_cpu(proc.pid)
            for job_id in ids:
                rt.dispatcher.send(job_id, mark=False, analyzer=analyzer)
            counts = wait_done(rt, len(warm) + len(ids), timeout=1800)
            elapsed, cpu = time.monotonic() - started, tree_cpu(proc.pid) - cpu_before
            if counts.get("completed") != len(warm) + len(ids):
                raise RuntimeError(f"not every job completed: {counts}")
        finally:
            stop([proc])
            rt.close()
        return len(clips) / elapsed, cpu / len(clips)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clips", type=int, default=100)
    ap.add_argument("--noop-jobs", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--concurrency", type=int, default=os.cpu_count() or 1)
    args = ap.parse_args()
    from reelq.testing import make_clip

    with tempfile.TemporaryDirectory(prefix="reelq-bench-") as tmp_name:
        tmp = Path(tmp_name)
        base = make_clip(tmp / "base.mp4", seconds=3.0, width=1280, height=720)
        clips = []
        for i in range(args.clips):  # distinct files, as distinct uploads would be
            clips.append(tmp / f"clip{i:03d}.mp4")
            shutil.copyfile(base, clips[-1])
        noop_clips = [base] * args.noop_jobs
        c = args.concurrency
        # Each round is repeated, alternating the two systems, and the medians are compared: a no-op round
        # lasts a second or two and is at the mercy of whatever else the machine does meanwhile.
        video_rounds, noop_rounds = [], []
        for _ in range(args.rounds):
            video_rounds.append((celery_rate(clips, VIDEO, c), reelq_rate(clips, VIDEO, c, tmp)[0]))
            noop_rounds.append((celery_rate(noop_clips, NOOP, c), *reelq_rate(noop_clips, NOOP, c, tmp)))
        celery_video = statistics.median(r[0] for r in video_rounds)
        reelq_video = statistics.median(r[1] for r in video_rounds)
        celery_noop = statistics.median(r[0] for r in noop_rounds)
        reelq_noop = statistics.median(r[1] for r in noop_rounds)
    per_job_ms = statistics.median(r[2] for r in noop_rounds) * 1000
    rows = [
        ["round", "celery jobs/s", "reelq jobs/s", "ratio", "target"],
        ["video", f"{celery_video:.2f}", f"{reelq_video:.2f}", f"{reelq_video / celery_video:.2f}", "≥ 1.0"],
        ["noop", f"{celery_noop:.1f}", f"{reelq_noop:.1f}", f"{reelq_noop / celery_noop:.2f}", "≥ 0.5"],
        ["cpu per noop job", "-", f"{per_job_ms:.1f} ms", "-", "≤ 30 ms"],
    ]
    summary = {
        "bench": "vs_celery",
        "concurrency": c,
        "clips": args.clips,
        "video_ratio": round(reelq_video / celery_video, 3),
        "noop_ratio": round(reelq_noop / celery_noop, 3),
        "cpu_ms_per_job": round(per_job_ms, 1),
        "celery_video_jobs_s": round(celery_video, 3),
        "reelq_video_jobs_s": round(reelq_video, 3),
        "celery_noop_jobs_s": round(celery_noop, 2),
        "reelq_noop_jobs_s": round(reelq_noop, 2),
        "video_rounds": [[round(x, 2) for x in r] for r in video_rounds],
        "noop_rounds": [[round(x, 1) for x in r[:2]] for r in noop_rounds],
    }
    summary["ok"] = summary["video_ratio"] >= 1.0 and summary["noop_ratio"] >= 0.5 and per_job_ms <= 30
    emit(rows, summary)


if __name__ == "__main__":
    main()
