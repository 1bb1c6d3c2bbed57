"""Shared pieces of the benchmarks: start servers, a raw keep-alive HTTP load client, stats, RSS."""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(port: int, path: str = "/healthz", timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
                if s.recv(16).startswith(b"HTTP/1.1"):
                    return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing answers on port {port}")


def reelq_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REELQ_")}
    env.update(
        {
            "REELQ_DATA_DIR": str(data_dir),
            "REELQ_DISK_RESERVE_BYTES": "0",
            "REELQ_LOG_LEVEL": "WARNING",
            # the test analyzers a benchmark names per upload (uploads may name only allowed ones)
            "REELQ_ANALYZERS": "reelq.testing.analyzers:noop,reelq.testing.analyzers:busy",
            # benchmarks load one user far beyond the default quotas and request rates
            "REELQ_LIMIT_REQUESTS_PER_SECOND": "0",
            "REELQ_LIMIT_ANONYMOUS_REQUESTS_PER_SECOND": "0",
            "REELQ_LIMIT_UPLOADS_PER_MINUTE": "0",
            "REELQ_LIMIT_JOBS_PER_DAY": "0",
            "REELQ_LIMIT_CONCURRENT_JOBS": "0",
        }
    )
    env.update(extra)
    return env


def reelq(env: dict[str, str], *args: str) -> str:
    return subprocess.run(
        [sys.executable, "-m", "reelq.cli", *args], env=env, capture_output=True, text=True, check=True
    ).stdout.strip()


def start_reelq(env: dict[str, str], port: int, *args: str) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "reelq.cli", "serve", "--port", str(port), *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_http(port)
    return proc


def read_response(sock: socket.socket, buf: bytearray) -> tuple[int, bytes]:
    """Read one HTTP/1.1 response with a Content-Length body; returns (status, body)."""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        buf += chunk
    head, _, rest = bytes(buf).partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        rest += chunk
    body, remainder = rest[:length], rest[length:]
    buf[:] = remainder
    return status, body


def _load_worker(port: int, requests: list[bytes], seconds: float, q: mp.Queue) -> None:  # type: ignore[type-arg]
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    buf = bytearray()
    n, bad = 0, 0
    end = time.monotonic() + seconds
    count = len(requests)
    while time.monotonic() < end:
        sock.sendall(requests[n % count])
        status, _ = read_response(sock, buf)
        n += 1
        bad += status not in (200, 304)
    q.put((n, bad))


def load(port: int, request: bytes | list[bytes], seconds: float, connections: int) -> tuple[float, int]:
    """Requests per second over ``connections`` keep-alive connections (one process each).

    A list of requests is sent round-robin, each connection starting at its own place in it.
    """
    requests = [request] if isinstance(request, bytes) else request
    q: mp.Queue = mp.Queue()  # type: ignore[type-arg]
    step = max(1, len(requests) // connections)
    procs = [
        mp.Process(target=_load_worker, args=(port, requests[i * step :] + requests[: i * step], seconds, q))
        for i in range(connections)
    ]
    for p in procs:
        p.start()
    results = [q.get() for _ in procs]
    for p in procs:
        p.join()
    return sum(r[0] for r in results) / seconds, sum(r[1] for r in results)


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def median(values: list[float]) -> float:
    return statistics.median(values)


def rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def emit(table: list[list[str]], summary: dict[str, object]) -> None:
    widths = [max(len(str(row[i])) for row in table) for i in range(len(table[0]))]
    for i, row in enumerate(table):
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))
        if i == 0:
            print("  ".join("-" * w for w in widths))
    print(json.dumps(summary))
