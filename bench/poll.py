"""Status polls per second: reelq's GET /api/results/job/{id} against a minimal Starlette endpoint
returning a constant JSON, both served by one uvicorn process and loaded the same way in the same run.

    ./dev bench poll [--seconds 5] [--connections 4] [--rounds 3]

Target: reelq ≥ 0.5× the constant endpoint (median of the rounds). reelq serves hard-polled
answers from a 0.25 s micro-cache by default (REELQ_STATUS_CACHE_SECONDS); the run also measures a
second server with the cache off, so both numbers are visible.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
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
    args = ap.parse_args()

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
            "pass": ratio >= 0.5,
        },
    )


if __name__ == "__main__":
    main()
