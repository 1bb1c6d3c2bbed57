"""The edges of a real `reelq serve`: request-head limits, file modes, request log, one embedded worker."""

from __future__ import annotations

import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from support import Server, base_env, cli, free_port, poll_job, wait_for

pytestmark = pytest.mark.e2e


@pytest.fixture
def servers() -> Iterator[list[Server]]:
    started: list[Server] = []
    yield started
    for s in started:
        s.stop()


def _closed_within(sock: socket.socket, seconds: float) -> tuple[bool, bytes]:
    """Read until the server closes (True) or `seconds` pass (False); returns what the server sent."""
    sock.settimeout(0.2)
    got = b""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            continue
        except OSError:
            return True, got
        if not chunk:
            return True, got
        got += chunk
    return False, got


def test_request_heads_are_bounded_in_size_and_time(servers: list[Server], tmp_path: Path) -> None:
    env = base_env(tmp_path / "data", REELQ_HEADER_TIMEOUT_SECONDS="2", REELQ_EMBEDDED_WORKER="false")
    server = Server(env, "serve", log=tmp_path / "serve.log").start()
    servers.append(server)

    # One 1 MB header, no token: refused and closed long before the megabyte is read.
    big = socket.create_connection(("127.0.0.1", server.port))
    big.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ")
    try:
        for _ in range(16):
            big.sendall(b"a" * 65536)
    except OSError:
        pass  # the server closed while we were still sending: that is the point
    closed, answer = _closed_within(big, 5)
    big.close()
    assert closed
    assert answer == b"" or answer.split(b" ")[1] == b"431", answer[:100]

    # A whole 100 KB head sent at once (the server may read it in one go) is refused by its size too.
    whole = socket.create_connection(("127.0.0.1", server.port))
    whole.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 100_000 + b"\r\n\r\n")
    closed, answer = _closed_within(whole, 5)
    whole.close()
    assert closed and answer.startswith(b"HTTP/1.1 431 "), answer[:100]

    # Slowloris: a byte of header every 0.5 s is closed after the 2 s deadline, not kept for ever.
    slow = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(5)]
    started = time.monotonic()
    for s in slow:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
    closed_at: dict[int, float] = {}
    while len(closed_at) < len(slow) and time.monotonic() - started < 30:
        for i, s in enumerate(slow):
            if i in closed_at:
                continue
            try:
                s.sendall(b"X")
                s.settimeout(0.01)
                if s.recv(1) == b"":
                    closed_at[i] = time.monotonic() - started
            except TimeoutError:
                pass
            except OSError:
                closed_at[i] = time.monotonic() - started
        time.sleep(0.5)
    for s in slow:
        s.close()
    assert len(closed_at) == len(slow), closed_at
    assert all(1.5 <= t <= 20 for t in closed_at.values()), closed_at  # 2 s deadline; slack for load

    # A connection that opens and sends nothing is closed by the same deadline.
    idle = socket.create_connection(("127.0.0.1", server.port))
    closed, _ = _closed_within(idle, 20)
    idle.close()
    assert closed

    # Normal requests still work, including keep-alive ones and a header of a few KB.
    with httpx.Client(base_url=server.url, timeout=5) as c:
        for _ in range(3):
            r = c.get("/healthz", headers={"X-Fine": "b" * 8000})
            assert r.status_code == 200
            assert r.headers["x-content-type-options"] == "nosniff"
    # A keep-alive connection whose second request head trickles is closed too.
    ka = socket.create_connection(("127.0.0.1", server.port))
    ka.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    ka.settimeout(5)
    assert b" 200 " in ka.recv(65536)
    ka.sendall(b"GET /healthz HTTP/1.1\r\n")
    started = time.monotonic()
    closed = False
    while time.monotonic() - started < 25 and not closed:
        try:
            ka.sendall(b"Y")
            closed, _ = _closed_within(ka, 0.5)
        except OSError:
            closed = True
    ka.close()
    assert closed


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_data_files_are_private_and_requests_are_logged(
    servers: list[Server], tmp_path: Path, clip: Path
) -> None:
    data = tmp_path / "data"
    env = base_env(data)
    server = Server(env, "serve", log=tmp_path / "serve.log").start()
    servers.append(server)
    token = cli(env, "users", "create", "alice").stdout.strip()
    auth = {"Authorization": f"Bearer {token}"}
    with clip.open("rb") as f:
        r = httpx.post(f"{server.url}/api/upload", headers=auth, files={"video": ("c.mp4", f)}, timeout=30)
    assert r.status_code == 202
    job_id = r.json()["job_id"]
    poll_job(server.url, auth, job_id, {"completed"}, timeout=180)
    assert httpx.get(f"{server.url}/api/results/job/nope", headers=auth).status_code == 404
    assert httpx.get(f"{server.url}/api/jobs?token=secret-in-query").status_code == 401

    assert _mode(data) == 0o700
    assert _mode(data / "reelq.db") == 0o600
    files = [p for p in data.rglob("*") if p.is_file()]
    uploaded = [p for p in files if p.name.endswith(".mp4")]
    assert uploaded, files
    for p in files:
        assert _mode(p) & 0o077 == 0, (p, oct(_mode(p)))
    for d in (p for p in data.rglob("*") if p.is_dir()):
        assert _mode(d) & 0o077 == 0, (d, oct(_mode(d)))

    log = (tmp_path / "serve.log").read_text()
    lines = [line for line in log.splitlines() if "http.request" in line]
    assert any("status=404" in line and "/api/results/job/nope" in line and "user=" in line for line in lines)
    assert any("status=401" in line and "path=/api/jobs" in line for line in lines), lines
    assert "secret-in-query" not in log
    assert token not in log
    assert not any("status=202" in line for line in lines)  # 2xx at DEBUG, off by default


def test_one_embedded_worker_per_data_dir(servers: list[Server], tmp_path: Path, clip: Path) -> None:
    env = base_env(tmp_path / "data")
    first = Server(env, "serve", log=tmp_path / "first.log").start()
    servers.append(first)
    second = Server(env, "serve", log=tmp_path / "second.log").start()
    servers.append(second)
    assert "embedded worker skipped" in (tmp_path / "second.log").read_text()
    assert "embedded worker skipped" not in (tmp_path / "first.log").read_text()
    token = cli(env, "users", "create", "alice").stdout.strip()
    auth = {"Authorization": f"Bearer {token}"}
    with clip.open("rb") as f:
        r = httpx.post(f"{second.url}/api/upload", headers=auth, files={"video": ("c.mp4", f)}, timeout=30)
    assert poll_job(second.url, auth, r.json()["job_id"], {"completed"}, 180)["status"] == "completed"
    # The worker is the first server's: when it stops, the lock is free for the next process.
    first.stop()
    third = Server(env, "serve", log=tmp_path / "third.log").start()
    servers.append(third)
    wait_for(lambda: "worker.started" in (tmp_path / "third.log").read_text(), 60, what="third worker")
    assert "embedded worker skipped" not in (tmp_path / "third.log").read_text()


def test_shutdown_says_it_waits_for_running_jobs(servers: list[Server], tmp_path: Path, clip: Path) -> None:
    env = base_env(tmp_path / "data", REELQ_ANALYZERS="reelq.testing.analyzers:slow")
    server = Server(env, "serve", log=tmp_path / "serve.log").start()
    servers.append(server)
    token = cli(env, "users", "create", "alice").stdout.strip()
    auth = {"Authorization": f"Bearer {token}"}
    with clip.open("rb") as f:
        r = httpx.post(
            f"{server.url}/api/upload",
            headers=auth,
            files={"video": ("c.mp4", f)},
            data={"analyzer": "reelq.testing.analyzers:slow"},
            timeout=30,
        )
    assert r.status_code == 202, r.text
    poll_job(server.url, auth, r.json()["job_id"], {"processing"}, timeout=120)
    server.stop()
    log = (tmp_path / "serve.log").read_text()
    assert "waiting up to 10 s for 1 running job(s)" in log, log[-2000:]


def test_uvicorn_workers_start_one_embedded_worker(tmp_path: Path) -> None:
    """`uvicorn --workers 2`, as users run it: two HTTP processes, one of them runs jobs."""
    env = base_env(tmp_path / "data")
    port = free_port()
    log = tmp_path / "uvicorn.log"
    args = ["-m", "uvicorn", "--factory", "reelq.app:create_app", "--workers", "2", "--port", str(port)]
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, *args],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for(lambda: log.read_text().count("Application startup complete") == 2, 120, what="2 processes")
        text = log.read_text()
        assert text.count("embedded worker skipped") == 1, text
        assert text.count("worker.started") == 1, text
    finally:
        proc.terminate()
        proc.wait(timeout=30)
