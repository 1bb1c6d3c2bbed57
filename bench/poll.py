"""Status polls per second: reelq's GET /api/results/job/{id} against a minimal Starlette endpoint
returning a constant JSON, both served by one uvicorn process and loaded the same way in the same run.

    ./dev bench poll [--seconds 5] [--connections 4] [--rounds 3]

Target: reelq ≥ 0.5× the constant endpoint (median of the rounds). reelq serves hard-polled
answers from a 0.25 s micro-cache by default (REELQ_STATUS_CACHE_SECONDS); the run also measures a
second server with the cache off, so both numbers are visible.

"Many jobs": ``--jobs`` (1,000) different jobs polled round-robin with the micro-cache off — what
thousands of phones following their own uploads look like, where no answer can come from a cache.
Target ≥ 0.4× the constant endpoint on SQLite; PostgreSQL is reported too (``REELQ_TEST_PG_URL``,
default: the local server; skipped when it does not answer).
"""

from __future__ import annotations

import argparse
import contextlib
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from _common import emit, free_port, load, median, reelq, reelq_env, start_reelq, wait_http

MINIMAL_APP = """
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route
BODY = {"job_id": "x", "status": "completed", "progress": 1.0}
async def status(request):
    return JSONResponse(BODY)
app = Starlette(routes=[Route("/healthz", status), Route("/status", status)])
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--connections", type=int, default=4)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=1000)
    args = ap.parse_args()
    many = many_jobs(args)

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        env = reelq_env(data, REELQ_ANALYZER="reelq.testing.analyzers:noop")
        token = reelq(env, "users", "create", "bench")
        port = free_port()
        server = start_reelq(env, port)
        port_nc = free_port()
        server_nc = start_reelq({**env, "REELQ_STATUS_CACHE_SECONDS": "0"}, port_nc, "--no-worker")
        import httpx

        from reelq.testing import make_clip

        clip = make_clip(Path(tmp) / "clip.mp4", seconds=1.0)
        auth = {"Authorization": f"Bearer {token}"}
        job_id = httpx.post(
            f"http://127.0.0.1:{port}/api/upload", headers=auth, files={"video": ("c.mp4", clip.read_bytes())}
        ).json()["job_id"]
        httpx.get(f"http://127.0.0.1:{port}/api/results/job/{job_id}?wait=10", headers=auth)

        (Path(tmp) / "minimal_app.py").write_text(MINIMAL_APP)
        mport = free_port()
        minimal = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "minimal_app:app",
                "--port",
                str(mport),
                "--log-level",
                "warning",
            ],
            cwd=tmp,
        )
        wait_http(mport)
        reelq_req = (
            f"GET /api/results/job/{job_id} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\r\n"
        ).encode()
        min_req = b"GET /status HTTP/1.1\r\nHost: x\r\n\r\n"
        rows = [["round", "constant req/s", "reelq req/s", "ratio", "reelq no-cache req/s", "ratio"]]
        ratios, base_rates, reelq_rates, nc_rates, nc_ratios = [], [], [], [], []
        try:
            load(mport, min_req, 1.0, args.connections)  # warm-up
            load(port, reelq_req, 1.0, args.connections)
            for i in range(args.rounds):
                base, bad1 = load(mport, min_req, args.seconds, args.connections)
                ours, bad2 = load(port, reelq_req, args.seconds, args.connections)
                nocache, bad3 = load(port_nc, reelq_req, args.seconds, args.connections)
                if bad1 or bad2 or bad3:
                    raise SystemExit(f"non-200 answers: constant {bad1}, reelq {bad2}, no-cache {bad3}")
                ratios.append(ours / base)
                nc_ratios.append(nocache / base)
                base_rates.append(base)
                reelq_rates.append(ours)
                nc_rates.append(nocache)
                rows.append(
                    [
                        str(i + 1),
                        f"{base:.0f}",
                        f"{ours:.0f}",
                        f"{ours / base:.2f}",
                        f"{nocache:.0f}",
                        f"{nocache / base:.2f}",
                    ]
                )
        finally:
            for proc in (minimal, server, server_nc):
                proc.terminate()
                proc.wait()
    ratio = median(ratios)
    rows.append(
        [
            "median",
            f"{median(base_rates):.0f}",
            f"{median(reelq_rates):.0f}",
            f"{ratio:.2f}",
            f"{median(nc_rates):.0f}",
            f"{median(nc_ratios):.2f}",
        ]
    )
    emit(
        rows,
        {
            "bench": "poll",
            "constant_rps": round(median(base_rates)),
            "reelq_rps": round(median(reelq_rates)),
            "ratio": round(ratio, 3),
            "reelq_no_cache_rps": round(median(nc_rates)),
            "ratio_no_cache": round(median(nc_ratios), 3),
            "target_ratio": 0.5,
            **many,
            "pass": ratio >= 0.5 and float(many["many_jobs_ratio_sqlite"]) >= 0.4,
        },
    )


def insert_jobs(env: dict[str, str], n: int) -> list[str]:
    """``n`` queued jobs of the user ``bench``, written straight into the store (fast to make)."""
    from reelq.config import Settings
    from reelq.ids import new_id
    from reelq.runtime import Runtime

    rt = Runtime.build(
        Settings(
            data_dir=Path(env["REELQ_DATA_DIR"]),
            database_url=env.get("REELQ_DATABASE_URL"),
            analyzer="probe",
        )
    )
    try:
        user = rt.users.by_name("bench")
        assert user is not None
        ids = []
        for i in range(n):
            job_id = new_id()
            rt.store.insert(
                {
                    "id": job_id,
                    "user_id": user.id,
                    "analyzer": "probe",
                    "max_attempts": 3,
                    "file_name": f"clip{i}.mp4",
                    "file_size": 1_000_000 + i,
                    "file_sha256": "0" * 64,
                    "content_type": "video/mp4",
                    "source_path": f"users/{user.id}/jobs/{job_id}/source.mp4",
                    "metadata": {"take": i},
                }
            )
            ids.append(job_id)
        return ids
    finally:
        rt.close()


@contextlib.contextmanager
def postgres_url() -> Iterator[str | None]:
    import os
    import secrets

    admin = os.environ.get("REELQ_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    try:
        import psycopg

        name = f"reelq_bench_{secrets.token_hex(4)}"
        with psycopg.connect(admin, autocommit=True, connect_timeout=2) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except Exception:
        yield None
        return
    try:
        yield admin.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def many_jobs(args: argparse.Namespace) -> dict[str, object]:
    """Constant endpoint vs reelq polling ``--jobs`` different jobs, on SQLite and PostgreSQL."""
    rows = [["many jobs", "constant req/s", "reelq req/s", "ratio"]]
    out: dict[str, object] = {"many_jobs": args.jobs}
    with tempfile.TemporaryDirectory() as tmp, postgres_url() as pg:
        (Path(tmp) / "minimal_app.py").write_text(MINIMAL_APP)
        mport = free_port()
        minimal = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "minimal_app:app",
                "--port",
                str(mport),
                "--log-level",
                "warning",
            ],
            cwd=tmp,
        )
        wait_http(mport)
        min_req = b"GET /status HTTP/1.1\r\nHost: x\r\n\r\n"
        try:
            for kind, db_url in (("sqlite", None), ("postgresql", pg)):
                if kind == "postgresql" and db_url is None:
                    rows.append([kind, "-", "not reachable", "-"])
                    continue
                extra = {"REELQ_STATUS_CACHE_SECONDS": "0"}
                if db_url:
                    extra["REELQ_DATABASE_URL"] = db_url
                env = reelq_env(Path(tmp) / kind, **extra)
                token = reelq(env, "users", "create", "bench")
                ids = insert_jobs(env, args.jobs)
                port = free_port()
                server = start_reelq(env, port, "--no-worker")
                try:
                    head = f"HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\r\n"
                    requests = [f"GET /api/results/job/{i} {head}".encode() for i in ids]
                    load(port, requests, 1.0, args.connections)  # warm-up: the token is known after this
                    bases, ours = [], []
                    for _ in range(args.rounds):
                        base, bad1 = load(mport, min_req, args.seconds, args.connections)
                        rate, bad2 = load(port, requests, args.seconds, args.connections)
                        if bad1 or bad2:
                            raise SystemExit(f"non-200 answers: constant {bad1}, reelq {bad2}")
                        bases.append(base)
                        ours.append(rate)
                        time.sleep(0.2)
                    ratio = median([o / b for o, b in zip(ours, bases, strict=True)])
                    rows.append([kind, f"{median(bases):.0f}", f"{median(ours):.0f}", f"{ratio:.2f}"])
                    out[f"many_jobs_rps_{kind}"] = round(median(ours))
                    out[f"many_jobs_ratio_{kind}"] = round(ratio, 3)
                finally:
                    server.terminate()
                    server.wait()
        finally:
            minimal.terminate()
            minimal.wait()
    emit(rows, {"bench": "poll_many_jobs", **out})
    print()
    return out


if __name__ == "__main__":
    main()
