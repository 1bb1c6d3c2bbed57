"""The real `reelq` CLI in subprocesses, driven by curl, httpx and raw sockets."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from support import Server, base_env, cli, poll_job, wait_for

pytestmark = pytest.mark.e2e


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return base_env(tmp_path / "data")


@pytest.fixture
def servers() -> Iterator[list[Server]]:
    started: list[Server] = []
    yield started
    for s in started:
        s.stop()


def new_user(env: dict[str, str], name: str = "alice") -> dict[str, str]:
    token = cli(env, "users", "create", name).stdout.strip()
    assert token.startswith("rq_")
    return {"Authorization": f"Bearer {token}"}


def upload(base: str, auth: dict[str, str], clip: Path) -> httpx.Response:
    with clip.open("rb") as f:
        return httpx.post(f"{base}/api/upload", headers=auth, files={"video": (clip.name, f)}, timeout=30)


def test_serve_upload_with_curl_and_httpx_then_poll_to_completed(
    env: dict[str, str], servers: list[Server], tmp_path: Path, clip: Path
) -> None:
    server = Server(env, "serve", log=tmp_path / "serve.log").start()
    servers.append(server)
    auth = new_user(env)
    if shutil.which("curl") is None:
        pytest.fail("curl is required for this test")
    out = subprocess.run(
        [
            "curl",
            "-sS",
            "-w",
            "\n%{http_code}",
            "-H",
            f"Authorization: {auth['Authorization']}",
            "-F",
            f"video=@{clip};type=video/mp4",
            f"{server.url}/api/upload",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout
    body, code = out.rsplit("\n", 1)
    assert code == "202", out
    curl_job = httpx.Response(202, content=body).json()["job_id"]
    r = upload(server.url, auth, clip)
    assert r.status_code == 202
    for job_id in (curl_job, r.json()["job_id"]):
        job = poll_job(server.url, auth, job_id, {"completed", "failed"})
        assert job["status"] == "completed", job
        assert job["result"]["analyzer"]["name"] == "video"  # the default
        assert abs(job["result"]["metadata"]["duration"] - 2.0) < 0.05
    log = (tmp_path / "serve.log").read_text()
    for line_event in ("job.enqueued", "job.claimed", "job.completed"):
        assert f"{line_event} " in log and f"job_id={curl_job}" in log


def test_uploads_answer_fast_while_every_worker_is_busy(
    env: dict[str, str], servers: list[Server], tmp_path: Path, clip: Path
) -> None:
    env |= {
        "REELQ_ANALYZER": "reelq.testing.analyzers:slow",
        "REELQ_TEST_ANALYZER_SECONDS": "30",
        "REELQ_WORKER_CONCURRENCY": "1",
    }
    server = Server(env, "serve", log=tmp_path / "serve.log").start()
    servers.append(server)
    auth = new_user(env)
    busy = upload(server.url, auth, clip).json()["job_id"]
    wait_for(
        lambda: (
            httpx.get(f"{server.url}/api/results/job/{busy}", headers=auth).json()["status"] == "processing"
        ),
        20,
        what="worker busy",
    )
    times = []
    with httpx.Client(base_url=server.url, headers=auth, timeout=30) as http:
        for _ in range(20):
            t = time.monotonic()
            r = http.post("/api/upload", files={"video": (clip.name, clip.read_bytes())})
            times.append(time.monotonic() - t)
            assert r.status_code == 202 and r.json()["status"] == "queued"
    assert max(times) < 1.0, times
    assert httpx.get(f"{server.url}/api/results/job/{busy}", headers=auth).json()["status"] == "processing"


def _kill_mid_job(
    env: dict[str, str], servers: list[Server], tmp_path: Path, clip: Path, split: bool
) -> None:
    env |= {
        "REELQ_ANALYZER": "reelq.testing.analyzers:slow",
        "REELQ_TEST_ANALYZER_SECONDS": "2.5",
        "REELQ_WORKER_CONCURRENCY": "1",
    }
    api = Server(env, "serve", *(["--no-worker"] if split else []), log=tmp_path / "api.log").start()
    servers.append(api)
    worker = Server(env, "worker", log=tmp_path / "worker.log").start() if split else api
    if split:
        servers.append(worker)
    auth = new_user(env)
    ids = [upload(api.url, auth, clip).json()["job_id"] for _ in range(3)]
    first = ids[0]
    wait_for(
        lambda: httpx.get(f"{api.url}/api/results/job/{first}", headers=auth).json()["progress"] > 0.1,
        30,
        what="first job running",
    )
    worker.kill9()
    if split:
        # the API keeps answering while no worker runs
        assert httpx.get(f"{api.url}/api/results/job/{first}", headers=auth).json()["status"] == "processing"
        replacement = Server(env, "worker", log=tmp_path / "worker2.log").start()
        servers.append(replacement)
        base = api.url
    else:
        restarted = Server(env, "serve", log=tmp_path / "api2.log", port=api.port).start()
        servers.append(restarted)
        base = restarted.url
    jobs = [poll_job(base, auth, job_id, {"completed", "failed", "cancelled"}, timeout=90) for job_id in ids]
    assert [j["status"] for j in jobs] == ["completed"] * 3, jobs
    assert jobs[0]["attempts"] == 2
    assert [j["attempts"] for j in jobs[1:]] == [1, 1]
    for j in jobs:
        assert j["result"]["slept"] == 2.5
    shown = cli(env, "jobs", "show", first).stdout
    assert "job.recovered" in shown


def test_kill9_of_serve_mid_job_then_restart(
    env: dict[str, str], servers: list[Server], tmp_path: Path, clip: Path
) -> None:
    _kill_mid_job(env, servers, tmp_path, clip, split=False)


def test_kill9_of_a_separate_worker_mid_job(
    env: dict[str, str], servers: list[Server], tmp_path: Path, clip: Path
) -> None:
    _kill_mid_job(env, servers, tmp_path, clip, split=True)


def _raw_request(port: int, head: str) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(head.encode())
    return sock


def _read_status(sock: socket.socket) -> int:
    data = b""
    while b"\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return int(data.split(b" ", 2)[1])


def test_no_token_is_refused_before_the_body_is_sent(
    env: dict[str, str], servers: list[Server], tmp_path: Path
) -> None:
    server = Server(env, "serve", log=tmp_path / "serve.log").start()
    servers.append(server)
    sock = _raw_request(
        server.port,
        "POST /api/upload HTTP/1.1\r\nHost: x\r\n"
        "Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 500000000\r\n\r\n",
    )
    assert _read_status(sock) == 401  # not a byte of the 500 MB body was sent
    sock.close()


def test_over_the_limit_is_413_before_the_whole_body_is_read(
    env: dict[str, str], servers: list[Server], tmp_path: Path, clip: Path
) -> None:
    env |= {"REELQ_MAX_UPLOAD_BYTES": str(1024 * 1024)}
    server = Server(env, "serve", log=tmp_path / "serve.log").start()
    servers.append(server)
    auth = new_user(env)
    sock = _raw_request(
        server.port,
        "POST /api/upload HTTP/1.1\r\nHost: x\r\n"
        f"Authorization: {auth['Authorization']}\r\n"
        "Content-Type: multipart/form-data; boundary=b\r\nTransfer-Encoding: chunked\r\n\r\n",
    )
    head = (
        b'--b\r\nContent-Disposition: form-data; name="video"; filename="big.mp4"\r\n\r\n'
        + clip.read_bytes()[:4096]
    )
    sock.sendall(b"%x\r\n%s\r\n" % (len(head), head))
    sent = len(head)
    block = b"\0" * 65536
    status = None
    sock.settimeout(0.05)
    while sent < 200 * 1024 * 1024:  # the client would send 200 MB
        try:
            sock.sendall(b"%x\r\n%s\r\n" % (len(block), block))
            sent += len(block)
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            break
        try:
            peek = sock.recv(4096, socket.MSG_PEEK)
            if peek:
                break
        except (BlockingIOError, TimeoutError):
            continue
    sock.settimeout(10)
    status = _read_status(sock)
    sock.close()
    assert status == 413
    assert sent < 16 * 1024 * 1024, sent
    data_dir = Path(env["REELQ_DATA_DIR"])
    assert not [p for p in (data_dir / "incoming").glob("*") if p.is_file()]


def test_app_under_a_plain_asgi_server_with_a_separate_worker(
    env: dict[str, str], servers: list[Server], tmp_path: Path, clip: Path
) -> None:
    """As under gunicorn/uvicorn: the embedded worker is off and `reelq worker` runs beside the app."""
    import sys

    from support import free_port

    env |= {"REELQ_EMBEDDED_WORKER": "false"}
    port = free_port()
    log = (tmp_path / "uvicorn.log").open("wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "reelq.app:create_app",
            "--port",
            str(port),
            "--workers",
            "2",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for(lambda: _healthy(base), 30, what="uvicorn")
        auth = new_user(env)
        job_id = upload(base, auth, clip).json()["job_id"]
        time.sleep(1.0)
        assert httpx.get(f"{base}/api/results/job/{job_id}", headers=auth).json()["status"] == "queued"
        ready = httpx.get(f"{base}/readyz")
        assert ready.status_code == 503 and "workers" in ready.json()["checks"]
        servers.append(Server(env, "worker", log=tmp_path / "worker.log").start())
        job = poll_job(base, auth, job_id, {"completed", "failed"})
        assert job["status"] == "completed"
        assert httpx.get(f"{base}/readyz").status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def _healthy(base: str) -> bool:
    try:
        return httpx.get(f"{base}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _partial_upload(port: int, auth: dict[str, str], clip: Path) -> socket.socket:
    body_head = b'--b\r\nContent-Disposition: form-data; name="video"; filename="a.mp4"\r\n\r\n'
    sock = _raw_request(
        port,
        "POST /api/upload HTTP/1.1\r\nHost: x\r\n"
        f"Authorization: {auth['Authorization']}\r\n"
        "Content-Type: multipart/form-data; boundary=b\r\n"
        f"Content-Length: {len(body_head) + 10_000_000}\r\n\r\n",
    )
    sock.sendall(body_head + clip.read_bytes() + b"\0" * 300_000)  # past one parse batch
    return sock


def test_aborted_idle_and_concurrent_uploads_leave_nothing(
    env: dict[str, str], servers: list[Server], tmp_path: Path, clip: Path
) -> None:
    env |= {"REELQ_UPLOAD_IDLE_SECONDS": "1.5", "REELQ_MAX_CONCURRENT_UPLOADS": "1"}
    server = Server(env, "serve", log=tmp_path / "serve.log").start()
    servers.append(server)
    auth = new_user(env)
    incoming = Path(env["REELQ_DATA_DIR"]) / "incoming"

    # a client that goes away mid-body
    sock = _partial_upload(server.port, auth, clip)
    wait_for(lambda: any(incoming.glob("*.part")), 10, what="partial file")
    sock.close()
    wait_for(lambda: not any(incoming.glob("*")), 10, what="partial file removed")

    # a client that stops sending: 408 after the idle limit, and a second upload meanwhile is 429
    stalled = _partial_upload(server.port, auth, clip)
    wait_for(lambda: any(incoming.glob("*.part")), 10, what="partial file")
    second = upload(server.url, auth, clip)
    assert second.status_code == 429 and second.json()["code"] == "too_many_uploads"
    stalled.settimeout(10)
    assert _read_status(stalled) == 408
    stalled.close()
    assert not any(incoming.glob("*"))
    assert httpx.get(f"{server.url}/api/jobs", headers=auth).json()["jobs"] == []
    # the slot is free again
    assert upload(server.url, auth, clip).status_code == 202
