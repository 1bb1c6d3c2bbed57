"""Upload throughput of `reelq upload` (tus, the Python client) versus `curl -F` (multipart), same server.

    .venv/bin/python bench/client.py [--mib 1024] [--rounds 3]

Starts `reelq serve --no-worker` on a temporary data dir (uploads, not analysis, are measured), then in
alternating rounds uploads one file with `curl -F video=@FILE /api/upload` and with `reelq upload FILE
--json` (a new process each time, as a user runs it: its start-up is included), plus the in-process
`Client.upload` to show what start-up costs. Prints a table and a final JSON line.
Target: `reelq upload` >= 0.8x the curl throughput (median of the rounds).
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

from _common import emit, free_port, median, reelq, reelq_env, wait_http

HEADER = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"  # sniffed as MP4; the rest is noise
BLOCK = 1024 * 1024


def make_source(path: Path, mib: int) -> None:
    noise = os.urandom(16 * BLOCK)
    with path.open("wb") as fh:
        fh.write(HEADER)
        remaining = mib * BLOCK - len(HEADER)
        while remaining > 0:
            piece = noise[: min(len(noise), remaining)]
            fh.write(piece)
            remaining -= len(piece)


def timed(fn) -> tuple[float, str]:  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    job_id = fn()
    return time.perf_counter() - t0, job_id


def run_curl(base: str, token: str, src: Path) -> str:
    out = subprocess.run(
        [
            "curl",
            "-sS",
            "--fail-with-body",
            "-H",
            f"Authorization: Bearer {token}",
            "-F",
            f"video=@{src};type=video/mp4",
            f"{base}/api/upload",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return str(json.loads(out)["job_id"])


def run_cli(env: dict[str, str], src: Path) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "reelq.cli", "upload", str(src), "--json"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return str(json.loads(out)["job_id"])


def run_library(base: str, token: str, src: Path) -> str:
    from reelq.client import Client

    with Client(base, token, resume_store=False) as client:
        return client.upload(src).job_id


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--mib", type=int, default=1024)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--dir", type=Path, default=None, help="where to put the data (default: a temp dir)")
    args = ap.parse_args()
    if shutil.which("curl") is None:
        sys.exit("curl is needed")
    work = Path(tempfile.mkdtemp(prefix="reelq-bench-client-", dir=args.dir))
    src = work / "source.mp4"
    data_dir = work / "data"
    env = reelq_env(data_dir, REELQ_MAX_UPLOAD_BYTES=str(8 * 1024**3))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = None
    seconds: dict[str, list[float]] = {"curl -F": [], "reelq upload": [], "Client.upload": []}
    try:
        make_source(src, args.mib)
        token = reelq(env, "users", "create", "bench").splitlines()[-1]
        server = subprocess.Popen(
            [sys.executable, "-m", "reelq.cli", "serve", "--port", str(port), "--no-worker"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_http(port, timeout=180)  # a loaded machine starts slowly
        client_env = {k: v for k, v in env.items() if not k.startswith("REELQ_")}
        client_env.update(REELQ_URL=base, REELQ_TOKEN=token, XDG_CACHE_HOME=str(work / "cache"))
        startup, _ = timed(
            lambda: subprocess.run(
                [sys.executable, "-m", "reelq.cli", "upload", "--help"],
                env=client_env,
                capture_output=True,
                check=True,
            )
        )
        for _ in range(args.rounds):
            for name, fn in (
                ("curl -F", lambda: run_curl(base, token, src)),
                ("reelq upload", lambda: run_cli(client_env, src)),
                ("Client.upload", lambda: run_library(base, token, src)),
            ):
                elapsed, _ = timed(fn)
                seconds[name].append(elapsed)
                shutil.rmtree(data_dir / "users", ignore_errors=True)  # keep the disk from filling
    finally:
        if server is not None:
            server.terminate()
            server.wait(30)
        shutil.rmtree(work, ignore_errors=True)
    rate = {name: args.mib / median(values) for name, values in seconds.items()}
    table = [["path", "median s", "MiB/s", "vs curl", "rounds (s)"]]
    for name, values in seconds.items():
        table.append(
            [
                name,
                f"{median(values):.2f}",
                f"{rate[name]:.1f}",
                f"{rate[name] / rate['curl -F']:.2f}",
                " ".join(f"{v:.2f}" for v in values),
            ]
        )
    table.append(["(reelq --help start-up)", f"{startup:.2f}", "", "", ""])
    ratio = rate["reelq upload"] / rate["curl -F"]
    emit(
        table,
        {
            "bench": "client",
            "mib": args.mib,
            "rounds": args.rounds,
            "mib_per_s": {k: round(v, 1) for k, v in rate.items()},
            "cli_startup_s": round(startup, 2),
            "reelq_upload_vs_curl": round(ratio, 3),
            "client_vs_curl": round(rate["Client.upload"] / rate["curl -F"], 3),
            "target": 0.8,
        },
    )


if __name__ == "__main__":
    main()
