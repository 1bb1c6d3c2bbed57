"""Server time of the console's job page against the JSON status route, for a 10-minute clip's result.

    ./dev bench console [--requests 60]

One `reelq serve` (SQLite, status micro-cache off so every JSON answer is built afresh). A real 6 s
clip (the corpus's `basic.mp4`) is analysed by the `video` analyzer; its result is then stretched to
what a 10-minute clip gives (1200 timeline bins per series, a cut and a scene thumbnail every 20 s,
still and silent segments) and written back, so both routes serve the same large job. The two routes
are requested alternately over keep-alive connections; the table shows median and p90 wall time.

Target: job page median ≤ 3× the JSON route's median.
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from _common import emit, free_port, median, pct, reelq, reelq_env, wait_http
from sqlalchemy import create_engine, update

from reelq.db.schema import jobs
from reelq.testing.corpus import basic

SECONDS = 600.0


def stretch(result: dict[str, Any]) -> dict[str, Any]:
    """The result of a 10-minute clip, built from a real short one."""
    r = copy.deepcopy(result)
    tl = r["timelines"]
    bins = round(SECONDS / tl["step"])
    for key in ("motion", "brightness", "loudness"):
        base = tl[key]
        tl[key] = [base[i % len(base)] for i in range(bins)]
    scene_thumbs = r["thumbnails"]["scenes"]
    n = int(SECONDS // 20)
    r["cuts"] = [20.0 * k for k in range(1, n)]
    r["scenes"] = [
        {
            "index": k,
            "start": 20.0 * k,
            "end": 20.0 * (k + 1),
            "thumbnail": scene_thumbs[k % len(scene_thumbs)],
        }
        for k in range(n)
    ]
    r["thumbnails"]["scenes"] = [s["thumbnail"] for s in r["scenes"]]
    r["still_segments"] = [{"start": 60.0 * k + 3, "end": 60.0 * k + 9} for k in range(10)]
    r["silent_segments"] = [{"start": 120.0 * k + 1, "end": 120.0 * k + 4} for k in range(5)]
    r["metadata"]["duration"] = SECONDS
    r["integrity"]["decoded_duration"] = SECONDS
    r["integrity"]["declared_duration"] = SECONDS
    return r


def timed(client: httpx.Client, url: str, **kw: Any) -> float:
    start = time.perf_counter()
    resp = client.get(url, **kw)
    elapsed = time.perf_counter() - start
    assert resp.status_code == 200, (url, resp.status_code)
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--requests", type=int, default=60)
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        env = reelq_env(data, REELQ_STATUS_CACHE_SECONDS="0", REELQ_WORKER_CONCURRENCY="1")
        port = free_port()
        token = reelq(env, "users", "create", "bench")
        proc = subprocess.Popen(
            [sys.executable, "-m", "reelq.cli", "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_http(port, timeout=120)  # Python starts slowly on a loaded machine
        try:
            base = f"http://127.0.0.1:{port}"
            auth = {"Authorization": f"Bearer {token}"}
            clip = basic(Path(tmp)).path
            with clip.open("rb") as f:
                job_id = httpx.post(
                    f"{base}/api/upload", headers=auth, files={"video": (clip.name, f)}
                ).json()["job_id"]
            body = httpx.get(
                f"{base}/api/results/job/{job_id}?wait=120&until=done", headers=auth, timeout=150
            ).json()
            assert body["status"] == "completed", body
            big = stretch(body["result"])
            engine = create_engine(f"sqlite:///{data / 'reelq.db'}")
            with engine.begin() as conn:
                conn.execute(update(jobs).where(jobs.c.id == job_id).values(result_json=json.dumps(big)))
            engine.dispose()

            page_client = httpx.Client(base_url=base)
            signed = page_client.post("/console/sign-in", data={"token": token}, follow_redirects=True)
            assert signed.status_code == 200, signed.status_code
            api_client = httpx.Client(base_url=base, headers=auth)
            page = page_client.get(f"/console/jobs/{job_id}").text
            assert len(re.findall(r"<svg class=\"chart\"", page)) == 3 and page.count('class="scene"') == len(
                big["scenes"]
            )
            json_bytes = len(api_client.get(f"/api/results/job/{job_id}").content)
            for _ in range(5):  # warm-up
                timed(page_client, f"/console/jobs/{job_id}")
                timed(api_client, f"/api/results/job/{job_id}")
            page_t: list[float] = []
            json_t: list[float] = []
            for _ in range(args.requests):
                page_t.append(timed(page_client, f"/console/jobs/{job_id}"))
                json_t.append(timed(api_client, f"/api/results/job/{job_id}"))
        finally:
            proc.terminate()
            proc.wait(timeout=30)

    ratio = median(page_t) / median(json_t)
    table = [
        ["route", "bytes", "median ms", "p90 ms"],
        [
            "GET /api/results/job/{id}",
            str(json_bytes),
            f"{median(json_t) * 1000:.1f}",
            f"{pct(json_t, 90) * 1000:.1f}",
        ],
        [
            "GET /console/jobs/{id}",
            str(len(page)),
            f"{median(page_t) * 1000:.1f}",
            f"{pct(page_t, 90) * 1000:.1f}",
        ],
    ]
    emit(
        table,
        {
            "bench": "console",
            "requests": args.requests,
            "timeline_bins": len(big["timelines"]["motion"]),
            "scenes": len(big["scenes"]),
            "json_median_ms": round(median(json_t) * 1000, 2),
            "page_median_ms": round(median(page_t) * 1000, 2),
            "ratio": round(ratio, 2),
            "target": 3.0,
            "ok": ratio <= 3.0,
        },
    )


if __name__ == "__main__":
    main()
