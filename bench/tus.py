"""1 GiB through tus (8 MiB PATCHes) vs the multipart endpoint vs `cat` to disk, in one run, with server RSS.

    .venv/bin/python bench/tus.py [--mib 1024] [--chunk-mib 8]

Starts `reelq serve --no-worker` on a temporary data dir (the bench measures uploads, not analysis),
prints a table and a final JSON line. Target: tus >= 0.6x the multipart throughput, RSS flat.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil

HEADER = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"  # sniffed as MP4; the rest is noise
BLOCK = 1024 * 1024


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_source(path: Path, mib: int) -> None:
    noise = os.urandom(16 * BLOCK)
    with path.open("wb") as fh:
        fh.write(HEADER)
        remaining = mib * BLOCK - len(HEADER)
        while remaining > 0:
            piece = noise[: min(len(noise), remaining)]
            fh.write(piece)
            remaining -= len(piece)


class RssSampler(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.proc = psutil.Process(pid)
        self.samples: list[int] = []
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.samples.append(self.proc.memory_info().rss)
            time.sleep(0.05)

    def result(self) -> dict[str, float]:
        self.stop.set()
        self.join()
        mib = [s / BLOCK for s in self.samples] or [0.0]
        return {
            "rss_start_mib": round(mib[0], 1),
            "rss_peak_mib": round(max(mib), 1),
            "rss_end_mib": round(mib[-1], 1),
        }


def measure(pid: int, fn) -> tuple[float, dict[str, float]]:  # type: ignore[no-untyped-def]
    sampler = RssSampler(pid)
    sampler.start()
    t0 = time.perf_counter()
    fn()
    elapsed = time.perf_counter() - t0
    return elapsed, sampler.result()


def run_cat(src: Path, dest: Path) -> None:
    subprocess.run(f"cat '{src}' > '{dest}'", shell=True, check=True)
    fd = os.open(dest, os.O_RDONLY)
    os.fsync(fd)  # same durability as the server gives: the bytes are on disk
    os.close(fd)


def run_multipart(base: str, auth: dict[str, str], src: Path) -> str:
    boundary = "reelqbenchboundary"

    def body() -> Iterator[bytes]:
        yield (
            f'--{boundary}\r\nContent-Disposition: form-data; name="video"; filename="bench.mp4"\r\n'
            "Content-Type: video/mp4\r\n\r\n"
        ).encode()
        with src.open("rb") as fh:
            while block := fh.read(BLOCK):
                yield block
        yield f"\r\n--{boundary}--\r\n".encode()

    headers = {**auth, "Content-Type": f"multipart/form-data; boundary={boundary}"}
    r = httpx.post(f"{base}/api/upload", content=body(), headers=headers, timeout=600)
    r.raise_for_status()
    return str(r.json()["job_id"])


def run_tus(base: str, auth: dict[str, str], src: Path, chunk: int) -> str:
    size = src.stat().st_size
    tus = {**auth, "Tus-Resumable": "1.0.0"}
    with httpx.Client(timeout=600) as client:
        r = client.post(f"{base}/api/uploads/", headers={**tus, "Upload-Length": str(size)})
        r.raise_for_status()
        url = base + r.headers["location"]
        offset = 0
        job = None
        with src.open("rb") as fh:
            while offset < size:
                data = fh.read(chunk)
                r = client.patch(
                    url,
                    content=data,
                    headers={
                        **tus,
                        "Content-Type": "application/offset+octet-stream",
                        "Upload-Offset": str(offset),
                    },
                )
                if r.status_code != 204:
                    raise RuntimeError(f"PATCH {r.status_code}: {r.text}")
                offset = int(r.headers["upload-offset"])
                job = r.headers.get("upload-job-id")
    assert job, "no Upload-Job-Id on the last PATCH"
    return job


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--mib", type=int, default=1024)
    ap.add_argument("--chunk-mib", type=int, default=8)
    ap.add_argument("--dir", type=Path, default=None, help="where to put the data (default: a temp dir)")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="reelq-bench-tus-", dir=args.dir))
    src = work / "source.bin"
    data_dir = work / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("REELQ_")}
    env.update(
        REELQ_DATA_DIR=str(data_dir),
        REELQ_DISK_RESERVE_BYTES="0",
        REELQ_LOG_LEVEL="WARNING",
        REELQ_MAX_UPLOAD_BYTES=str(4 * 1024**3),
    )
    port = free_port()
    server: subprocess.Popen[bytes] | None = None
    try:
        make_source(src, args.mib)
        token = subprocess.run(
            [sys.executable, "-m", "reelq.cli", "users", "create", "bench"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        auth = {"Authorization": f"Bearer {token}"}
        server = subprocess.Popen(
            [sys.executable, "-m", "reelq.cli", "serve", "--no-worker", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        rows: dict[str, dict[str, float]] = {}

        def record(name: str, fn) -> None:  # type: ignore[no-untyped-def]
            elapsed, rss = measure(server.pid, fn)  # type: ignore[union-attr]
            rows[name] = {"seconds": round(elapsed, 2), "mib_per_s": round(args.mib / elapsed, 1), **rss}
            shutil.rmtree(data_dir / "users", ignore_errors=True)  # keep the disk from filling

        record("cat", lambda: run_cat(src, work / "cat.out"))
        (work / "cat.out").unlink()
        record("multipart", lambda: run_multipart(base, auth, src))
        record("tus", lambda: run_tus(base, auth, src, args.chunk_mib * BLOCK))
    finally:
        if server is not None:
            server.terminate()
            server.wait(30)
        shutil.rmtree(work, ignore_errors=True)
    ratio = rows["tus"]["mib_per_s"] / rows["multipart"]["mib_per_s"]
    print(f"{'path':<10} {'seconds':>8} {'MiB/s':>8} {'RSS start':>10} {'RSS peak':>9} {'RSS end':>8}")
    for name, row in rows.items():
        print(
            f"{name:<10} {row['seconds']:>8} {row['mib_per_s']:>8} {row['rss_start_mib']:>10}"
            f" {row['rss_peak_mib']:>9} {row['rss_end_mib']:>8}"
        )
    print(f"tus / multipart throughput: {ratio:.2f} (target >= 0.6)")
    print(
        json.dumps(
            {
                "bench": "tus",
                "mib": args.mib,
                "chunk_mib": args.chunk_mib,
                **rows,
                "tus_vs_multipart": round(ratio, 3),
            }
        )
    )


if __name__ == "__main__":
    main()
