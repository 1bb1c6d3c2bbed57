"""A real `reelq serve` checks who is calling before it reads a body, and bounds every body.

Each request streams a 300 MB body from a generator on a raw socket, as an attacker would, while the
server's resident memory is sampled from /proc.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from support import Server, base_env

pytestmark = pytest.mark.e2e

MiB = 1024 * 1024
TOTAL = 300 * MiB


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("guard")
    (root / "tmp").mkdir()
    env = base_env(root / "data", REELQ_EMBEDDED_WORKER="false", TMPDIR=str(root / "tmp"))
    s = Server(env, "serve", log=root / "serve.log").start()
    yield s
    s.stop()


def rss(pid: int) -> int:
    pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE")


def body(total: int, chunked: bool) -> Iterator[bytes]:
    part = b"a" * MiB
    for _ in range(total // MiB):
        yield b"%x\r\n%s\r\n" % (len(part), part) if chunked else part
    if chunked:
        yield b"0\r\n\r\n"


def send(server: Server, head: str, *, chunked: bool = False) -> tuple[int, float, int, bool]:
    """Send ``head`` and a 300 MB body; returns (status, seconds until the answer, peak RSS growth,
    whether the server closed the connection within a second of its answer)."""
    assert server.proc is not None
    pid = server.proc.pid
    before = rss(pid)
    peak = before
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, rss(pid))
            time.sleep(0.02)

    sock = socket.create_connection(("127.0.0.1", server.port))
    framing = "Transfer-Encoding: chunked\r\n" if chunked else f"Content-Length: {TOTAL}\r\n"
    sock.sendall((head + framing + "\r\n").encode())

    def push() -> None:
        try:
            for part in body(TOTAL, chunked):
                sock.sendall(part)
        except OSError:
            pass  # the server closed the connection: the rest of the body is never read

    sampler = threading.Thread(target=sample)
    pusher = threading.Thread(target=push)
    sampler.start()
    started = time.monotonic()
    pusher.start()
    sock.settimeout(5)
    answer = b""
    try:
        while b"\r\n" not in answer:
            got = sock.recv(4096)
            if not got:
                break
            answer += got
        waited = time.monotonic() - started
        closed = False
        sock.settimeout(1.0)
        try:
            while sock.recv(65536):
                pass
            closed = True
        except ConnectionResetError:
            closed = True
        except TimeoutError:
            closed = False
    finally:
        sock.close()
        pusher.join(30)
        time.sleep(0.3)
        done.set()
        sampler.join()
    status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else 0
    return status, waited, peak - before, closed


ROUTES = [
    ("POST /api/admin/users", "application/json", False),
    ("POST /api/webhooks", "application/json", True),
    ("POST /api/devices", "application/json", False),
    ("POST /api/upload", "multipart/form-data; boundary=x", False),
    ("PATCH /console/uploads/abc", "application/offset+octet-stream", False),
]


@pytest.mark.parametrize(("line", "ctype", "chunked"), ROUTES)
def test_an_unauthenticated_300_mb_body_gets_401_at_once(
    server: Server, line: str, ctype: str, chunked: bool
) -> None:
    head = f"{line} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {ctype}\r\nTus-Resumable: 1.0.0\r\n"
    status, waited, grew, closed = send(server, head, chunked=chunked)
    assert status == 401
    assert waited < 1.0, f"answered after {waited:.2f} s"
    assert closed, "the server went on reading the body after its answer"
    assert grew < 20 * MiB, f"RSS grew by {grew / MiB:.0f} MB"


def test_the_sign_in_form_takes_no_file_and_spools_nothing(server: Server) -> None:
    head = (
        "POST /console/sign-in HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Content-Type: multipart/form-data; boundary=x\r\n"
    )
    for chunked in (False, True):
        status, waited, grew, closed = send(server, head, chunked=chunked)
        assert closed
        assert status in (413, 415)  # too large, or not the urlencoded form: refused before the body
        assert waited < 1.0 and grew < 20 * MiB
    assert list((Path(server.env["TMPDIR"])).iterdir()) == []
