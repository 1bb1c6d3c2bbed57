"""tus against the real `reelq serve`: tuspy and tus-js-client (clients we did not write) interrupted and
resumed, a server killed with -9 in the middle of a PATCH, dropped and stranded connections on raw sockets."""

from __future__ import annotations

import contextlib
import hashlib
import json
import random
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from reelq.testing import make_clip

from support import Server, base_env, cli, wait_for

pytestmark = pytest.mark.e2e

TUS = {"Tus-Resumable": "1.0.0"}
JS_DIR = Path(__file__).parent / "js"


@pytest.fixture(scope="module")
def video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_clip(tmp_path_factory.mktemp("tus-e2e") / "clip.mp4", seconds=5.0, width=480, height=360)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return base_env(tmp_path / "data")


@pytest.fixture
def server(env: dict[str, str], tmp_path: Path) -> Iterator[Server]:
    s = Server(env, log=tmp_path / "serve.log").start()
    yield s
    s.stop()


def new_user(env: dict[str, str], name: str = "alice") -> tuple[str, dict[str, str]]:
    token = cli(env, "users", "create", name).stdout.strip()
    return token, {"Authorization": f"Bearer {token}"}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def check_one_job(base: str, auth: dict[str, str], job_id: str, source: Path, data_dir: Path) -> None:
    jobs = httpx.get(f"{base}/api/jobs", headers=auth).json()["jobs"]
    assert [j["job_id"] for j in jobs] == [job_id], "exactly one job for the upload"
    assert jobs[0]["file"]["sha256"] == sha256(source)
    stored = list((data_dir / "users").glob(f"*/jobs/{job_id}/source.*"))
    assert len(stored) == 1 and sha256(stored[0]) == sha256(source)


class CuttingProxy:
    """TCP proxy that resets the connection carrying the request byte number ``cuts[i]`` (counted over all
    connections), mid-request, as a dropped mobile connection looks."""

    def __init__(self, upstream: int, cuts: list[int]) -> None:
        self.upstream = upstream
        self.cuts = sorted(cuts)
        self.total = 0
        self.done = 0
        self.lock = threading.Lock()
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        upstream = socket.create_connection(("127.0.0.1", self.upstream))

        def down() -> None:
            with contextlib.suppress(OSError):
                while data := upstream.recv(65536):
                    client.sendall(data)
            with contextlib.suppress(OSError):
                client.shutdown(socket.SHUT_WR)

        threading.Thread(target=down, daemon=True).start()
        cut = False
        with contextlib.suppress(OSError):
            while data := client.recv(65536):
                with self.lock:
                    if self.cuts and self.total + len(data) >= self.cuts[0]:
                        data = data[: self.cuts.pop(0) - self.total]
                        cut = True
                    self.total += len(data)
                upstream.sendall(data)
                if cut:
                    break
        if cut:
            self.done += 1
            for s in (client, upstream):  # shutdown first: another thread is blocked in recv on it
                with contextlib.suppress(OSError):
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                    s.shutdown(socket.SHUT_RDWR)
                s.close()

    def close(self) -> None:
        self.sock.close()


def test_tuspy_interrupted_at_random_offsets_resumes_and_finishes(
    server: Server, env: dict[str, str], video: Path, tmp_path: Path
) -> None:
    from tusclient import client as tus_client
    from tusclient.storage.filestorage import FileStorage

    rng = random.Random(4)
    size = video.stat().st_size
    _, auth = new_user(env)
    proxy = CuttingProxy(server.port, rng.sample(range(50_000, size), 2))
    stops = sorted(rng.sample(range(50_000, size - 50_000), 3))
    storage = FileStorage(str(tmp_path / "tuspy-urls.json"))
    chunk = 96 * 1024
    interruptions, url = 0, None
    errors: list[str] = []
    for _ in range(30):
        c = tus_client.TusClient(f"http://127.0.0.1:{proxy.port}/api/uploads/", headers=auth)
        uploader = c.uploader(
            str(video),
            chunk_size=chunk,
            store_url=True,
            url_storage=storage,
            metadata={"filename": "clip.mp4"},
        )
        if url is not None:
            assert uploader.url == url, "tuspy resumed the stored upload instead of starting over"
            assert uploader.offset > 0
        url = uploader.url
        try:
            if stops:
                uploader.upload(stop_at=stops[0])
                stops.pop(0)
                interruptions += 1
                continue
            uploader.upload()
        except Exception as exc:  # a connection reset mid-chunk: start again, as an app would
            errors.append(repr(exc)[:200])
            interruptions += 1
            time.sleep(0.5)  # a client's retry delay (tuspy has no retry of its own by default)
            continue
        if uploader.offset == size:
            break
    proxy.close()
    assert proxy.done == 2 and interruptions >= 5, errors
    assert uploader.offset == size, errors
    assert url is not None
    head = httpx.head(server.url + url.split(str(proxy.port), 1)[1], headers={**auth, **TUS})
    assert head.headers["upload-offset"] == str(size)
    check_one_job(server.url, auth, head.headers["upload-job-id"], video, Path(env["REELQ_DATA_DIR"]))


def _node_ready() -> None:
    if shutil.which("node") is None:
        pytest.skip("node is not installed: the tus-js-client test needs Node 20+")
    if not (JS_DIR / "node_modules" / "tus-js-client").exists():
        npm = shutil.which("npm")
        assert npm, "node without npm: cannot install tus-js-client"
        cmd = "ci" if (JS_DIR / "package-lock.json").exists() else "install"
        subprocess.run([npm, cmd, "--no-audit", "--no-fund"], cwd=JS_DIR, check=True, timeout=300)


def test_tus_js_client_aborted_and_dropped_resumes_and_finishes(
    server: Server, env: dict[str, str], video: Path, tmp_path: Path
) -> None:
    _node_ready()
    rng = random.Random(7)
    size = video.stat().st_size
    token, auth = new_user(env)
    proxy = CuttingProxy(server.port, rng.sample(range(50_000, size), 2))
    aborts = sorted(rng.sample(range(40_000, size - 40_000), 3))
    out = subprocess.run(
        [
            "node",
            str(JS_DIR / "upload.mjs"),
            f"http://127.0.0.1:{proxy.port}/api/uploads/",
            str(video),
            token,
            str(80 * 1024),
            str(tmp_path / "js-urls.json"),
            ",".join(map(str, aborts)),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    proxy.close()
    assert out.returncode == 0, out.stderr + out.stdout
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["aborts"] == 3 and proxy.done == 2
    assert len(set(result["resumedFrom"])) == 1, "every resume continued the same upload"
    assert result["jobId"], "onSuccess saw Upload-Job-Id"
    check_one_job(server.url, auth, result["jobId"], video, Path(env["REELQ_DATA_DIR"]))


def test_kill9_mid_patch_then_resume_from_the_last_committed_offset(
    env: dict[str, str], video: Path, tmp_path: Path
) -> None:
    from tusclient import client as tus_client

    data = video.read_bytes()
    server = Server(env, log=tmp_path / "serve.log").start()
    try:
        _, auth = new_user(env)
        r = httpx.post(f"{server.url}/api/uploads/", headers={**auth, **TUS, "Upload-Length": str(len(data))})
        url = server.url + r.headers["location"]
        step = 100_000
        patch_headers = {**auth, **TUS, "Content-Type": "application/offset+octet-stream"}
        for offset in range(0, 3 * step, step):
            r = httpx.patch(
                url,
                content=data[offset : offset + step],
                headers={**patch_headers, "Upload-Offset": str(offset)},
            )
            assert r.status_code == 204
        sent = threading.Event()

        def slow_body() -> Iterator[bytes]:
            for i in range(3 * step, len(data), 16_384):
                yield data[i : i + 16_384]
                if i > 3 * step + 100_000:
                    sent.set()
                    time.sleep(0.05)

        def doomed() -> None:
            with contextlib.suppress(httpx.HTTPError):
                httpx.patch(
                    url, content=slow_body(), headers={**patch_headers, "Upload-Offset": str(3 * step)}
                )

        t = threading.Thread(target=doomed)
        t.start()
        assert sent.wait(10)
        time.sleep(0.3)
        server.kill9()
        t.join(10)
        server.start()
        head = httpx.head(url, headers={**auth, **TUS})
        assert head.status_code == 200 and head.headers["upload-offset"] == str(3 * step)
        c = tus_client.TusClient(f"{server.url}/api/uploads/", headers=auth)
        uploader = c.uploader(str(video), url=url, chunk_size=128 * 1024)
        assert uploader.offset == 3 * step
        uploader.upload()
        head = httpx.head(url, headers={**auth, **TUS})
        check_one_job(server.url, auth, head.headers["upload-job-id"], video, Path(env["REELQ_DATA_DIR"]))
    finally:
        server.stop()


def _raw_patch(port: int, path: str, auth: dict[str, str], offset: int, length: int) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port))
    lines = [
        f"PATCH {path} HTTP/1.1",
        f"Host: 127.0.0.1:{port}",
        f"Authorization: {auth['Authorization']}",
        "Tus-Resumable: 1.0.0",
        "Content-Type: application/offset+octet-stream",
        f"Upload-Offset: {offset}",
        f"Content-Length: {length}",
    ]
    s.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    return s


def test_dropped_and_stranded_connections(server: Server, env: dict[str, str], video: Path) -> None:
    data = video.read_bytes()
    _, auth = new_user(env)
    r = httpx.post(f"{server.url}/api/uploads/", headers={**auth, **TUS, "Upload-Length": str(len(data))})
    path = r.headers["location"]
    url = server.url + path

    def offset() -> int:
        return int(httpx.head(url, headers={**auth, **TUS}).headers["upload-offset"])

    # A connection that drops after 300,000 of 600,000 bytes: what arrived is kept.
    s = _raw_patch(server.port, path, auth, 0, 600_000)
    s.sendall(data[:300_000])
    time.sleep(0.3)
    s.close()
    wait_for(lambda: offset() == 300_000, 10, what="the received bytes to be committed")
    # A stranded connection (half-open: no FIN, nothing more arrives) does not block the upload.
    s = _raw_patch(server.port, path, auth, 300_000, len(data) - 300_000)
    s.sendall(data[300_000:450_000])
    time.sleep(2.5)
    t0 = time.monotonic()
    assert offset() == 450_000
    r = httpx.patch(
        url,
        content=data[450_000:],
        headers={**auth, **TUS, "Content-Type": "application/offset+octet-stream", "Upload-Offset": "450000"},
    )
    assert r.status_code == 204 and time.monotonic() - t0 < 5
    s.close()
    check_one_job(server.url, auth, r.headers["upload-job-id"], video, Path(env["REELQ_DATA_DIR"]))
