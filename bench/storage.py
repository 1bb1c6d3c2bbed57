"""Uploads into a bucket vs into the data dir, and the worker's fetch vs the analysis, in one run.

    .venv/bin/python bench/storage.py [--mib 1024] [--chunk-mib 8] [--clip-seconds 20]

The bucket is moto in server mode on 127.0.0.1 (the S3 implementation the tests use; a real S3 is
slower per request and faster per byte, so read the ratios, not the MiB/s). Two `reelq serve --no-worker`
run side by side: one on the data dir, one with REELQ_STORAGE_URL. Each takes the same file through
multipart POST and through tus (PATCHes of --chunk-mib); the server's RSS is sampled all along.
Then a `reelq worker` in bucket mode analyses a real clip: its log says how long the source copy took
(`job.source_fetched`) and how long the job took. Targets: RSS growth < 64 MiB on the bucket paths.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import boto3
import httpx
from tus import BLOCK, free_port, make_source, measure, run_multipart, run_tus

CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench-secret",
    "AWS_DEFAULT_REGION": "us-east-1",
}
RSS_GROWTH_LIMIT_MIB = 64


def start_moto(log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    exe = shutil.which("moto_server", path=str(Path(sys.executable).parent)) or "moto_server"
    proc = subprocess.Popen(
        [exe, "-H", "127.0.0.1", "-p", str(port)], stdout=log.open("wb"), stderr=subprocess.STDOUT
    )
    endpoint = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            httpx.get(endpoint + "/moto-api/", timeout=1)
            return proc, endpoint
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError("moto did not start")


def start_serve(env: dict[str, str], log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "reelq.cli", "serve", "--no-worker", "--port", str(port)],
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError("reelq serve did not start")


def empty_bucket(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            s3.delete_object(Bucket=bucket, Key=item["Key"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--mib", type=int, default=1024)
    ap.add_argument("--chunk-mib", type=int, default=8)
    ap.add_argument("--clip-seconds", type=float, default=20.0)
    ap.add_argument("--dir", type=Path, default=None)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="reelq-bench-storage-", dir=args.dir))
    src = work / "source.bin"
    procs: list[subprocess.Popen[bytes]] = []
    rows: dict[str, dict[str, float]] = {}
    analysis: dict[str, float] = {}
    try:
        make_source(src, args.mib)
        moto, endpoint = start_moto(work / "moto.log")
        procs.append(moto)
        os.environ.update(CREDENTIALS)
        s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
        s3.create_bucket(Bucket="bench")
        db = work / "shared"
        db.mkdir()
        common = {k: v for k, v in os.environ.items() if not k.startswith("REELQ_")}
        common.update(
            CREDENTIALS,
            REELQ_DATABASE_URL=f"sqlite:///{db / 'reelq.db'}",
            REELQ_QUEUE_URL=f"sqlite:///{db / 'queue.db'}",
            REELQ_DISK_RESERVE_BYTES="0",
            REELQ_LOG_LEVEL="WARNING",
            REELQ_MAX_UPLOAD_BYTES=str(4 * 1024**3),
            REELQ_SIGNING_SECRET="bench-" + "s" * 32,
        )
        storage_url = f"s3://bench/reelq?endpoint={endpoint}&region=us-east-1&path_style=true"
        envs = {
            "local": {**common, "REELQ_DATA_DIR": str(work / "local")},
            "bucket": {**common, "REELQ_DATA_DIR": str(work / "node"), "REELQ_STORAGE_URL": storage_url},
        }
        token = subprocess.run(
            [sys.executable, "-m", "reelq.cli", "users", "create", "bench"],
            env=envs["local"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        auth = {"Authorization": f"Bearer {token}"}
        for mode, env in envs.items():
            server, base = start_serve(env, work / f"serve-{mode}.log")
            procs.append(server)
            for path, fn in (
                ("multipart", lambda: run_multipart(base, auth, src)),  # noqa: B023
                ("tus", lambda: run_tus(base, auth, src, args.chunk_mib * BLOCK)),  # noqa: B023
            ):
                elapsed, rss = measure(server.pid, fn)
                rows[f"{path}/{mode}"] = {
                    "seconds": round(elapsed, 2),
                    "mib_per_s": round(args.mib / elapsed, 1),
                    **rss,
                    "rss_growth_mib": round(rss["rss_end_mib"] - rss["rss_start_mib"], 1),
                }
                shutil.rmtree(Path(env["REELQ_DATA_DIR"]) / "users", ignore_errors=True)
                empty_bucket(s3, "bench")
            server.terminate()
            server.wait(30)

        # the worker's fetch vs the analysis, on a real clip in bucket mode
        from reelq.testing import make_clip

        clip = make_clip(work / "clip.mp4", seconds=args.clip_seconds)
        wenv = {**envs["bucket"], "REELQ_LOG_LEVEL": "INFO", "REELQ_LOG_FORMAT": "json"}
        server, base = start_serve(envs["bucket"], work / "serve-clip.log")
        procs.append(server)
        with clip.open("rb") as fh:
            job_id = httpx.post(
                f"{base}/api/upload", headers=auth, files={"video": ("c.mp4", fh, "video/mp4")}, timeout=120
            ).json()["job_id"]
        log = work / "worker.log"
        worker = subprocess.Popen(
            [sys.executable, "-m", "reelq.cli", "worker"],
            env=wenv,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        procs.append(worker)
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            status = httpx.get(f"{base}/api/results/job/{job_id}", headers=auth).json()["status"]
            if status in ("completed", "failed"):
                break
            time.sleep(0.5)
        worker.terminate()
        worker.wait(60)
        for line in log.read_text().splitlines():
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            if rec.get("event") == "job.source_fetched":
                analysis["fetch_seconds"] = float(rec["seconds"])
            if rec.get("event") == "job.completed":
                analysis["job_seconds"] = float(rec["seconds"])  # from the claim: fetch included
        analysis["clip_mib"] = round(clip.stat().st_size / BLOCK, 2)
    except BaseException:
        for log in sorted(work.glob("*.log")):
            print(f"--- {log.name}\n{log.read_text()[-3000:]}", file=sys.stderr)
        raise
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    proc.kill()
        shutil.rmtree(work, ignore_errors=True)

    print(f"{'path':<18} {'seconds':>8} {'MiB/s':>8} {'RSS start':>10} {'RSS peak':>9} {'growth':>7}")
    for name, row in rows.items():
        print(
            f"{name:<18} {row['seconds']:>8} {row['mib_per_s']:>8} {row['rss_start_mib']:>10}"
            f" {row['rss_peak_mib']:>9} {row['rss_growth_mib']:>7}"
        )
    ratios = {
        "multipart_bucket_vs_local": round(
            rows["multipart/bucket"]["mib_per_s"] / rows["multipart/local"]["mib_per_s"], 3
        ),
        "tus_bucket_vs_local": round(rows["tus/bucket"]["mib_per_s"] / rows["tus/local"]["mib_per_s"], 3),
    }
    if "fetch_seconds" in analysis and "job_seconds" in analysis:
        analysis["analysis_seconds"] = round(analysis["job_seconds"] - analysis["fetch_seconds"], 3)
        ratios["fetch_vs_analysis"] = round(analysis["fetch_seconds"] / analysis["analysis_seconds"], 4)
    growth = max(rows[k]["rss_growth_mib"] for k in ("multipart/bucket", "tus/bucket"))
    mp, tu = ratios["multipart_bucket_vs_local"], ratios["tus_bucket_vs_local"]
    print(f"bucket / data dir throughput: multipart {mp:.2f}x, tus {tu:.2f}x")
    if "fetch_vs_analysis" in ratios:
        print(
            f"worker: fetch {analysis['fetch_seconds']:.3f} s of a {analysis['clip_mib']} MiB clip, "
            f"analysis {analysis['analysis_seconds']:.2f} s: "
            f"fetch / analysis {ratios['fetch_vs_analysis']:.3f}"
        )
    print(f"RSS growth on the bucket paths: {growth} MiB (limit {RSS_GROWTH_LIMIT_MIB})")
    print(
        json.dumps(
            {
                "bench": "storage",
                "mib": args.mib,
                "chunk_mib": args.chunk_mib,
                **rows,
                "analysis": analysis,
                **ratios,
                "rss_growth_mib": growth,
                "rss_flat": growth < RSS_GROWTH_LIMIT_MIB,
            }
        )
    )


if __name__ == "__main__":
    main()
