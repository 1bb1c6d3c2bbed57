"""Slow and refused bodies against a real `reelq serve`, over raw sockets: a trickle is ended (multipart
408; a tus PATCH keeps what it got), and a refused multipart field answers before the file is sent."""

from __future__ import annotations

import base64
import select
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from support import Server, base_env, cli

pytestmark = pytest.mark.e2e

IDLE = 1.0  # REELQ_UPLOAD_IDLE_SECONDS here: a body must bring 1 KiB in every such window
BOUNDARY = "b0undary"


@pytest.fixture(scope="module")
def one_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("trickle")
    env = base_env(tmp / "data", REELQ_UPLOAD_IDLE_SECONDS=str(IDLE))
    srv = Server(env, "serve", "--no-worker", log=tmp / "serve.log").start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture
def server(one_server: Server, request: pytest.FixtureRequest) -> tuple[Server, dict[str, str]]:
    """The module's server and a new user of its own (so no test sees another's jobs)."""
    token = cli(one_server.env, "users", "create", request.node.name[:40]).stdout.strip()
    return one_server, {"Authorization": f"Bearer {token}"}


def request_head(method: str, path: str, headers: dict[str, str]) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def trickle(sock: socket.socket, data: bytes, every: float, limit: float) -> tuple[float, bytes]:
    """Send ``data`` one byte per ``every`` s until the server answers; (seconds, first response bytes)."""
    start = time.monotonic()
    for byte in data:
        readable, _, _ = select.select([sock], [], [], every)
        if readable:
            return time.monotonic() - start, sock.recv(65536)
        if time.monotonic() - start > limit:
            break
        sock.sendall(bytes([byte]))
    readable, _, _ = select.select([sock], [], [], 5)
    return time.monotonic() - start, sock.recv(65536) if readable else b""


def test_multipart_trickle_is_ended_408(server: tuple[Server, dict[str, str]], clip: Path) -> None:
    srv, auth = server
    video = clip.read_bytes()
    preamble = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="video"; filename="c.mp4"\r\n\r\n'
    ).encode() + video[:4096]
    total = len(preamble) + 100_000
    headers = {
        **auth,
        "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
        "Content-Length": str(total),
    }
    with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as sock:
        sock.sendall(request_head("POST", "/api/upload", headers) + preamble)
        took, answer = trickle(sock, video[4096:], every=0.25, limit=10 * IDLE)
        if not answer.partition(b"\r\n\r\n")[2]:  # the body may come in a packet of its own
            answer += sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert b"slower than 1024 bytes/s" in answer
    assert took < 5 * IDLE
    listed = httpx.get(f"{srv.url}/api/jobs", headers=auth).json()["jobs"]
    assert listed == []


def test_tus_patch_trickle_ends_and_keeps_what_it_got(
    server: tuple[Server, dict[str, str]], clip: Path
) -> None:
    srv, auth = server
    video = clip.read_bytes()
    tus = {**auth, "Tus-Resumable": "1.0.0"}
    created = httpx.post(
        f"{srv.url}/api/uploads/",
        headers={
            **tus,
            "Upload-Length": str(len(video)),
            "Upload-Metadata": f"filename {base64.b64encode(b'c.mp4').decode()}",
        },
    )
    assert created.status_code == 201
    path = httpx.URL(created.headers["location"]).path
    headers = {
        **tus,
        "Content-Type": "application/offset+octet-stream",
        "Upload-Offset": "0",
        "Content-Length": str(len(video)),
    }
    with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as sock:
        sock.sendall(request_head("PATCH", path, headers) + video[:4096])
        took, answer = trickle(sock, video[4096:], every=0.25, limit=10 * IDLE)
    assert answer.startswith(b"HTTP/1.1 204"), answer[:200]
    assert took < 5 * IDLE
    kept = int(httpx.head(f"{srv.url}{path}", headers=tus).headers["upload-offset"])
    assert 4096 <= kept < len(video)
    rest = httpx.patch(
        f"{srv.url}{path}",
        headers={**tus, "Content-Type": "application/offset+octet-stream", "Upload-Offset": str(kept)},
        content=video[kept:],
    )
    assert rest.status_code == 204 and rest.headers["upload-job-id"]


def test_refused_field_answers_before_the_file_is_sent(server: tuple[Server, dict[str, str]]) -> None:
    srv, auth = server
    fields = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="analyzer"\r\n\r\nos:system\r\n'
    file_head = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="video"; filename="c.mp4"\r\n\r\n'
    declared = 64 * 1024 * 1024
    headers = {
        **auth,
        "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
        "Content-Length": str(declared),
    }
    with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as sock:
        sock.sendall(request_head("POST", "/api/upload", headers) + (fields + file_head).encode())
        sock.sendall(b"\x00\x00\x00\x18ftypisom" + b"\x00" * 200_000)  # a little of the 64 MB
        answer = b""
        while b"unknown_analyzer" not in answer and select.select([sock], [], [], 10)[0]:
            more = sock.recv(65536)
            if not more:
                break
            answer += more
    assert answer.startswith(b"HTTP/1.1 400"), answer[:200]
    assert b"unknown_analyzer" in answer
