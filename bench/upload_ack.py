"""Upload acknowledgement latency and server memory while a large upload streams.

    ./dev bench upload_ack [--uploads 60] [--big-gib 1]

1. Latency from the last body byte to the 202 (client side: the whole body but its last byte is
   sent, the server is given 0.3 s to take it in, the clock starts, the last byte goes out, the clock
   stops when the answer is read), with 1 and with 16 concurrent uploaders (16 users, their last
   bytes arriving together: the worst case), while CPU-bound analyses occupy every worker.
2. The server's RSS while one upload of --big-gib GiB streams through (sampled every 20 ms).

Targets: p99 ≤ 50 ms with 16 uploaders; RSS growth < 64 MiB. The same run also measures the
acknowledgement latency of an idle server, as the baseline for the ratio.
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from _common import emit, free_port, median, pct, read_response, reelq, reelq_env, rss_bytes, start_reelq

BOUNDARY = "reelqbenchboundary"


def multipart_body(clip: bytes) -> bytes:
    return (
        (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="analyzer"\r\n\r\n'
            "reelq.testing.analyzers:noop\r\n"
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="video"; filename="clip.mp4"\r\n'
            "Content-Type: video/mp4\r\n\r\n"
        ).encode()
        + clip
        + f"\r\n--{BOUNDARY}--\r\n".encode()
    )


def one_upload(port: int, token: str, body: bytes) -> float:
    head = (
        f"POST /api/upload HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.sendall(head + body[:-1])
        time.sleep(0.3)  # let the server take in the body before the clock starts
        t0 = time.perf_counter()
        sock.sendall(body[-1:])
        status, answer = read_response(sock, bytearray())
        elapsed = time.perf_counter() - t0
    if status != 202:
        raise SystemExit(f"upload answered {status}: {answer[:300]!r}")
    return elapsed


def latencies(port: int, tokens: list[str], body: bytes, uploaders: int, total: int) -> list[float]:
    """Each uploader is another user (another phone), uploading ``total // uploaders`` clips in a row."""
    out: list[float] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    per = max(1, total // uploaders)

    def run(token: str) -> None:
        try:
            for _ in range(per):
                t = one_upload(port, token, body)
                with lock:
                    out.append(t)
        except BaseException as exc:  # a thread's SystemExit would vanish silently
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(tokens[i % len(tokens)],)) for i in range(uploaders)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise SystemExit(f"{len(errors)} uploaders failed: {errors[0]}")
    assert len(out) == per * uploaders
    return out


def big_upload_rss(port: int, token: str, pid: int, clip: bytes, gib: float) -> tuple[int, int, float]:
    size = int(gib * 1024**3)
    prefix = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="analyzer"\r\n\r\n'
        "reelq.testing.analyzers:noop\r\n"
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="video"; filename="big.mp4"\r\n\r\n'
    ).encode()
    suffix = f"\r\n--{BOUNDARY}--\r\n".encode()
    length = len(prefix) + size + len(suffix)
    samples: list[int] = []
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            samples.append(rss_bytes(pid))
            time.sleep(0.02)

    baseline = rss_bytes(pid)
    sampler = threading.Thread(target=sample)
    sampler.start()
    t0 = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(
            (
                f"POST /api/upload HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {token}\r\n"
                f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: {length}\r\n\r\n"
            ).encode()
            + prefix
            + clip[:65536]
        )
        block = b"\0" * (1024 * 1024)
        sent = 65536
        while sent < size:
            n = min(len(block), size - sent)
            sock.sendall(block[:n])
            sent += n
        sock.sendall(suffix)
        status, answer = read_response(sock, bytearray())
    seconds = time.perf_counter() - t0
    done.set()
    sampler.join()
    if status != 202:
        raise SystemExit(f"big upload answered {status}: {answer[:300]!r}")
    return baseline, max(samples), size / seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--uploads", type=int, default=64, help="uploads per measurement")
    ap.add_argument("--big-gib", type=float, default=1.0)
    args = ap.parse_args()

    from reelq.testing import make_clip

    rows = [["phase", "uploaders", "n", "p50 ms", "p99 ms", "max ms"]]
    with tempfile.TemporaryDirectory() as tmp:
        clip = make_clip(Path(tmp) / "clip.mp4", seconds=4.0, width=640, height=360).read_bytes()
        body = multipart_body(clip)
        env = reelq_env(
            Path(tmp) / "data",
            REELQ_ANALYZER="reelq.testing.analyzers:busy",
            REELQ_TEST_ANALYZER_SECONDS="600",
            REELQ_WORKER_CONCURRENCY="2",
        )
        tokens = [reelq(env, "users", "create", f"phone{i}") for i in range(16)]
        token = tokens[0]
        port = free_port()
        server: subprocess.Popen[bytes] = start_reelq(env, port)
        results: dict[str, float] = {}
        try:
            # baseline: no analysis running yet (the first two uploads below start them)
            idle = latencies(port, tokens, body, 1, args.uploads // 2)
            rows.append(
                [
                    "idle",
                    "1",
                    str(len(idle)),
                    *(f"{x * 1000:.1f}" for x in (median(idle), pct(idle, 99), max(idle))),
                ]
            )
            # occupy both workers with CPU-bound analyses
            busy_body = body.replace(b"reelq.testing.analyzers:noop", b"reelq.testing.analyzers:busy")
            one_upload(port, token, busy_body)
            one_upload(port, token, busy_body)
            time.sleep(2.0)
            for n in (1, 16):
                lat = latencies(port, tokens, body, n, args.uploads)
                p50, p99 = median(lat), pct(lat, 99)
                results[f"p50_ms_{n}"] = round(p50 * 1000, 2)
                results[f"p99_ms_{n}"] = round(p99 * 1000, 2)
                rows.append(
                    [
                        "busy workers",
                        str(n),
                        str(len(lat)),
                        f"{p50 * 1000:.1f}",
                        f"{p99 * 1000:.1f}",
                        f"{max(lat) * 1000:.1f}",
                    ]
                )
            base, peak, rate = big_upload_rss(port, token, server.pid, clip, args.big_gib)
            growth = (peak - base) / 1024**2
            rows.append(
                [
                    f"{args.big_gib:g} GiB upload",
                    "1",
                    "1",
                    f"RSS {base / 1024**2:.0f}→{peak / 1024**2:.0f} MiB",
                    f"+{growth:.1f} MiB",
                    f"{rate / 1024**2:.0f} MiB/s",
                ]
            )
        finally:
            server.terminate()
            server.wait()
    idle_p50 = median(idle)
    emit(
        rows,
        {
            "bench": "upload_ack",
            "idle_p50_ms": round(idle_p50 * 1000, 2),
            **results,
            "p99_ratio_16_vs_idle_p50": round(results["p99_ms_16"] / (idle_p50 * 1000), 2),
            "rss_growth_mib": round(growth, 1),
            "big_upload_mib_per_s": round(rate / 1024**2, 1),
            "target_p99_ms_16": 50,
            "target_rss_growth_mib": 64,
            "pass": results["p99_ms_16"] <= 50 and growth < 64,
        },
    )


if __name__ == "__main__":
    main()
