"""The client commands through the real `reelq` command (subprocesses), on a pipe and in a pseudo-terminal."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import signal
import stat
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from reelq.client import Client

from support import REELQ, Server, base_env, cli

pytestmark = pytest.mark.e2e


def start(server: Server) -> Server:
    """Starts the server, allowing for a slow start on a loaded machine."""
    server.start(wait=False)
    server.wait_ready(timeout=120)
    return server


ANSI = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]")
BAR = "━"  # rich's bar glyph
MP4_HEAD = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data = tmp_path_factory.mktemp("cli-server")
    env = base_env(
        data / "data",
        REELQ_LOG_LEVEL="WARNING",
        REELQ_ANALYZERS="reelq.testing.analyzers:slow",  # uploads may name it: a job that runs for a while
        REELQ_TEST_ANALYZER_SECONDS="20",
    )
    server = start(Server(env, "serve", log=data / "serve.log"))
    yield server
    server.stop()


def client_env(home: Path, server: Server | None, **extra: str) -> dict[str, str]:
    """A user's shell: a fresh home and XDG dirs, the server in REELQ_URL/REELQ_TOKEN (no data dir)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REELQ_", "XDG_"))}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / "config"), XDG_CACHE_HOME=str(home / "cache"))
    if server is not None:
        token = cli(server.env, "users", "create", f"u{time.monotonic_ns()}").stdout.strip()
        env.update(REELQ_URL=server.url, REELQ_TOKEN=token)
    env.update(extra)
    return env


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*REELQ, *args], env=env, capture_output=True, text=True, timeout=180)


class Pty:
    """A command in a pseudo-terminal (stdin, stdout and stderr all on it), its output collected."""

    def __init__(self, env: dict[str, str], *args: str) -> None:
        master, slave = pty.openpty()
        env = {**env, "TERM": "xterm-256color", "COLUMNS": "140", "LINES": "40"}
        self.proc = subprocess.Popen([*REELQ, *args], env=env, stdin=slave, stdout=slave, stderr=slave)
        os.close(slave)
        self.master = master
        self.raw = b""

    def read_until(self, done: Callable[[str], bool], timeout: float = 180) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if done(self.text):
                return self.text
            ready, _, _ = select.select([self.master], [], [], 0.05)
            if ready:
                try:
                    chunk = os.read(self.master, 65536)
                except OSError:  # the child closed the terminal
                    chunk = b""
                if not chunk and self.proc.poll() is not None:
                    break
                self.raw += chunk
            elif self.proc.poll() is not None and not ready:
                break
        return self.text

    @property
    def text(self) -> str:
        return ANSI.sub(b"", self.raw).decode("utf-8", "replace")

    def finish(self, timeout: float = 180) -> tuple[int, str]:
        self.read_until(lambda _: False, timeout)
        code = self.proc.wait(timeout=30)
        os.close(self.master)
        return code, self.text


def json_lines(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def shape(node: Any) -> Any:
    """Keys and value types, recursively (lists by their first item): what 'the same shape' means."""
    if isinstance(node, dict):
        return {k: shape(v) for k, v in node.items()}
    if isinstance(node, list):
        return [shape(node[0])] if node else []
    return type(node).__name__ if node is not None else None


def test_upload_wait_json_prints_the_completed_job_and_analyze_the_same_result_shape(
    server: Server, tmp_path: Path, clip: Path
) -> None:
    env = client_env(tmp_path, server)
    up = run(env, "upload", str(clip), "--wait", "--json")
    assert up.returncode == 0, up.stderr
    assert "\x1b[" not in up.stdout + up.stderr and BAR not in up.stderr  # piped: no bar, no escapes
    [job] = json_lines(up.stdout)
    assert job["status"] == "completed" and job["file"]["name"] == clip.name
    assert job["result"]["analyzer"]["name"] == "video"

    local = run(env, "analyze", str(clip), "--json", "--out", str(tmp_path / "thumbs"))
    assert local.returncode == 0, local.stderr
    [result] = json_lines(local.stdout)
    assert shape(result) == shape(job["result"])
    assert result["metadata"] == job["result"]["metadata"]  # the same analysis, not only the same keys
    assert (tmp_path / "thumbs" / "poster.jpg").read_bytes()[:2] == b"\xff\xd8"

    shown = run(env, "results", job["job_id"])
    assert shown.returncode == 0
    assert f"completed  job {job['job_id']}" in shown.stdout
    assert f"  summary    {job['result']['summary']}" in shown.stdout  # the analyzer's own line
    as_json = run(env, "results", job["job_id"], "--json")
    assert json_lines(as_json.stdout) == [job]
    got = run(env, "artifacts", job["job_id"], "--out", str(tmp_path / "art"))
    assert got.returncode == 0, got.stderr
    assert (tmp_path / "art" / "poster.jpg").read_bytes()[:2] == b"\xff\xd8"
    watched = run(env, "watch", job["job_id"], "--json")
    assert watched.returncode == 0 and json_lines(watched.stdout)[0]["status"] == "completed"


def test_exit_codes(server: Server, tmp_path: Path, clip: Path) -> None:
    env = client_env(tmp_path, server)
    nothing = client_env(tmp_path / "other", None)
    assert run(nothing, "upload", str(clip)).returncode == 2  # no server configured
    assert run(env, "upload", str(clip), "--metadata", "[1]").returncode == 2
    assert run(env, "analyze", str(clip), "--analyzer", "os:system").returncode == 2  # never imported
    assert run(env, "results", "0190b8c2-0000-7000-8000-000000000000").returncode == 5  # 404
    assert run({**env, "REELQ_TOKEN": "rq_wrong"}, "results", "x").returncode == 5  # 401
    assert run({**env, "REELQ_URL": "http://127.0.0.1:9"}, "results", "x").returncode == 6  # no answer
    text = tmp_path / "notes.mp4"
    text.write_text("not a video at all " * 100)
    bad = run(env, "upload", str(text), "--json")
    assert bad.returncode == 5 and "unsupported_media" in bad.stderr and bad.stdout == ""
    assert run(env, "analyze", str(text)).returncode == 3  # the analysis failed
    fake = tmp_path / "fake.mp4"  # passes the upload's sniffing, fails the analysis
    fake.write_bytes(MP4_HEAD + os.urandom(50_000))
    slow = "reelq.testing.analyzers:slow"
    up = run(env, "upload", str(fake), str(clip), "--json", "--analyzer", slow)
    assert up.returncode == 0, up.stderr  # without --wait, accepted is success
    failing, running = (job["job_id"] for job in json_lines(up.stdout))
    assert run(env, "results", running).returncode == 7  # not ended yet
    with Client(env["REELQ_URL"], env["REELQ_TOKEN"], resume_store=False) as client:
        client.cancel(running)
    assert run(env, "watch", running).returncode == 4
    failed = run(env, "watch", failing)
    assert failed.returncode == 3 and "failed" in failed.stdout and "unreadable_media" in failed.stdout


def test_login_stores_url_and_token_readable_by_the_owner_only(
    server: Server, tmp_path: Path, clip: Path
) -> None:
    env = client_env(tmp_path, server)
    url, token = env.pop("REELQ_URL"), env.pop("REELQ_TOKEN")
    assert run(env, "login", "--url", url, "--token", "rq_wrong").returncode == 5
    done = run(env, "login", "--url", url, "--token", token)
    assert done.returncode == 0, done.stderr
    stored = tmp_path / "config" / "reelq" / "client.json"
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert json.loads(stored.read_text()) == {"url": url, "token": token}
    up = run(env, "upload", str(clip), "--json")  # no --url, no REELQ_*: the stored login
    assert up.returncode == 0 and json_lines(up.stdout)[0]["file"]["name"] == clip.name
    assert run(env, "logout").returncode == 0 and not stored.exists()


def test_progress_bar_on_a_terminal_only(server: Server, tmp_path: Path, clip: Path) -> None:
    env = client_env(tmp_path, server)
    term = Pty(env, "upload", str(clip), "--wait")
    code, out = term.finish()
    assert code == 0, out
    assert BAR in out and "kB" in out  # the bar with bytes
    assert re.search(r"[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] clip\.mp4 .*(queued|processing)", out)  # the spinner while it runs
    assert "clip.mp4  completed  job" in out and "320×240" in out and "thumbnails" in out

    code, out = Pty(env, "upload", str(clip), "--json").finish()
    assert code == 0 and BAR not in out
    assert json_lines(out.replace("\r", ""))[0]["file"]["name"] == "clip.mp4"

    code, out = Pty(env, "analyze", str(clip)).finish()
    assert code == 0 and BAR not in out.split("analysed in")[-1]
    assert BAR in out and "320×240" in out
    piped = run(env, "analyze", str(clip))
    assert piped.returncode == 0 and BAR not in piped.stdout + piped.stderr and "\x1b[" not in piped.stderr


def test_ctrl_c_leaves_a_resumable_upload_and_says_how_to_continue(tmp_path: Path) -> None:
    data = tmp_path / "server"
    server = Server(base_env(data / "data", REELQ_LOG_LEVEL="WARNING"), "serve", log=tmp_path / "s.log")
    start(server)
    try:
        env = client_env(tmp_path, server)
        big = tmp_path / "big.mp4"
        block = os.urandom(1024 * 1024)
        with big.open("wb") as fh:
            fh.write(MP4_HEAD)
            for _ in range(300):
                fh.write(block)
        size = big.stat().st_size
        term = Pty(env, "upload", str(big))
        # once bytes flow, freeze the server so the upload is surely mid-way, then press Ctrl-C
        term.read_until(lambda text: re.search(r"big\.mp4 .*?\b[1-9][0-9.]*/3\d\d\.\d MB", text) is not None)
        assert server.proc is not None
        os.kill(server.proc.pid, signal.SIGSTOP)
        try:
            time.sleep(1.0)
            term.proc.send_signal(signal.SIGINT)
            code, out = term.finish(60)
        finally:
            os.kill(server.proc.pid, signal.SIGCONT)
        assert code == 130, out
        message = re.search(r"interrupted after (\d+) of (\d+) bytes.*?`reelq upload (\S+)` again", out, re.S)
        assert message is not None, out
        assert 0 < int(message.group(1)) < size and int(message.group(2)) == size

        again = run(env, "upload", str(big), "--json")
        assert again.returncode == 0, again.stderr
        [job] = json_lines(again.stdout)
        assert job["file"]["size"] == size
        with Client(server.url, env["REELQ_TOKEN"], resume_store=False) as client:
            assert [j.job_id for j in client.jobs()] == [job["job_id"]]  # resumed: one upload, one job
    finally:
        server.stop()


def test_upload_wait_on_a_terminal_moves_the_analysis_bar_and_marks_failures(
    server: Server, tmp_path: Path, clip: Path
) -> None:
    env = client_env(tmp_path, server)
    slow = "reelq.testing.analyzers:slow"  # reports its progress over 20 s
    code, out = Pty(env, "upload", str(clip), "--wait", "--analyzer", slow).finish()
    assert code == 0, out
    shown = {int(p) for p in re.findall(r"clip\.mp4 analysis\s.*?\s(\d+)%", out)}
    assert len({p for p in shown if 0 < p < 100}) >= 3, sorted(shown)  # the bar moved, not 0 then 100
    assert re.search(r"✓ clip\.mp4 analysis .*100%.*completed", out)
    assert re.search(r"✓ clip\.mp4 .*uploaded", out)

    fake = tmp_path / "fake.mp4"  # passes the upload's sniffing, fails the analysis
    fake.write_bytes(MP4_HEAD + os.urandom(50_000))
    text = tmp_path / "notes.mp4"
    text.write_text("not a video at all " * 100)
    code, out = Pty(env, "upload", str(fake), str(text), "--wait").finish()
    assert code == 5, out  # the refusal (5) outranks the failed job (3)
    assert re.search(r"✗ fake\.mp4 analysis .*failed \(unreadable_media", out), out
    assert re.search(r"✗ notes\.mp4 .*refused 415 unsupported_media", out), out
    assert not re.search(r"✓ (fake|notes)\.mp4 analysis", out)
