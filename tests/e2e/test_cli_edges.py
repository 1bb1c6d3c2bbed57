"""The `reelq` command as a newcomer meets it: settings errors, which database, jobs list, sample clips."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import av
import httpx
import pytest

from support import REELQ, Server, base_env, cli, poll_job

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("var", "value"),
    [
        ("REELQ_CORS_ORIGINS", "not-an-origin"),
        ("REELQ_PORT", "eighty"),
        ("REELQ_LOG_FORMAT", "xml"),
        ("REELQ_MAX_UPLOAD_BYTES", "0"),
    ],
)
def test_a_bad_setting_is_one_line_naming_it(tmp_path: Path, var: str, value: str) -> None:
    env = base_env(tmp_path / "data", **{var: value})
    r = cli(env, "jobs", "list", check=False)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith(f"error: {var}: ")
    assert f"example: {var}=" in lines[0]
    assert "Traceback" not in r.stderr


def test_a_single_cors_origin_is_accepted(tmp_path: Path) -> None:
    env = base_env(tmp_path / "data", REELQ_CORS_ORIGINS="https://app.example.com")
    r = cli(env, "config")
    assert "REELQ_CORS_ORIGINS=['https://app.example.com']" in r.stdout


def test_users_create_says_which_database_and_warns_when_new(tmp_path: Path) -> None:
    env = base_env(tmp_path / "data")
    first = cli(env, "users", "create", "alice")
    assert first.stdout.strip().startswith("rq_") and len(first.stdout.strip().splitlines()) == 1
    db = (tmp_path / "data" / "reelq.db").resolve()
    assert f"database: sqlite:///{db}" in first.stderr
    assert "did not exist and was created" in first.stderr
    again = cli(env, "users", "create", "bob")
    assert f"database: sqlite:///{db}" in again.stderr
    assert "did not exist" not in again.stderr
    # from another directory with a relative data dir: a new database, and the user is told
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    rel = {**env, "REELQ_DATA_DIR": "reelq-data"}
    r = subprocess.run(
        [*REELQ, "users", "create", "carol"],
        env=rel,
        cwd=elsewhere,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 0
    assert str(elsewhere / "reelq-data" / "reelq.db") in r.stderr
    assert "did not exist and was created" in r.stderr and "REELQ_DATA_DIR" in r.stderr
    # an existing name says how to get another token
    dup = cli(env, "users", "create", "alice", check=False)
    assert dup.returncode == 1
    assert "reelq users token alice" in dup.stderr
    assert dup.stdout == ""


def test_jobs_list_header_empty_and_json(tmp_path: Path, clip: Path) -> None:
    env = base_env(tmp_path / "data")
    cli(env, "db", "upgrade")
    empty = cli(env, "jobs", "list")
    assert empty.stdout == "" and "no jobs" in empty.stderr
    assert json.loads(cli(env, "jobs", "list", "--json").stdout) == []
    server = Server(env, "serve", log=tmp_path / "serve.log").start()
    try:
        token = cli(env, "users", "create", "alice").stdout.strip()
        auth = {"Authorization": f"Bearer {token}"}
        with clip.open("rb") as f:
            r = httpx.post(
                f"{server.url}/api/upload", headers=auth, files={"video": ("c.mp4", f)}, timeout=30
            )
        job_id = r.json()["job_id"]
        poll_job(server.url, auth, job_id, {"completed"}, timeout=180)
    finally:
        server.stop()
    out = cli(env, "jobs", "list").stdout.splitlines()
    assert out[0].split() == ["JOB", "STATUS", "DONE", "ATTEMPTS", "CREATED", "FILE"]
    assert out[1].split()[:2] == [job_id, "completed"]
    listed = json.loads(cli(env, "jobs", "list", "--json").stdout)
    assert [(j["job_id"], j["status"]) for j in listed] == [(job_id, "completed")]


def test_help_shows_flags_as_flags(tmp_path: Path) -> None:
    env = base_env(tmp_path / "data", COLUMNS="120")
    out = cli(env, "serve", "--help").stdout
    assert "<bool>" not in out
    assert "--concurrency" in out and "--no-worker" in out and "0.0.0.0" in out
    assert "--workers" not in out  # the deprecated alias is hidden
    assert "<bool>" not in cli(env, "worker", "--help").stdout


def test_serve_workers_is_a_deprecated_alias_of_concurrency(tmp_path: Path) -> None:
    env = base_env(tmp_path / "data")
    server = Server(env, "serve", "--workers", "1", log=tmp_path / "serve.log").start()
    server.stop()
    log = (tmp_path / "serve.log").read_text()
    assert "--workers is deprecated" in log and "use --concurrency" in log
    assert "embedded, 1 at once" in log


def test_sample_clip_is_a_video_reelq_accepts(tmp_path: Path) -> None:
    env = base_env(tmp_path / "data")
    target = tmp_path / "swing.mp4"
    r = cli(env, "dev", "sample-clip", str(target))
    assert r.stdout == ""
    with av.open(str(target)) as container:
        assert container.streams.video and container.streams.audio
        assert abs(float(container.duration or 0) / 1e6 - 6.0) < 0.2
    assert cli(env, "dev", "sample-clip", str(tmp_path / "x.txt"), check=False).returncode == 1


def test_dev_help_lists_the_reelq_commands() -> None:
    out = subprocess.run([str(ROOT / "dev"), "--help"], capture_output=True, text=True, timeout=120).stdout
    assert "./dev serve" in out
    for command in ("users", "jobs", "doctor", "worker", "sample-clip"):
        assert command in out, out


def test_readme_quick_start_runs_as_written(tmp_path: Path) -> None:
    """The second block of the quick start, run by bash against a real `./dev serve`, jq included."""
    readme = (ROOT / "README.md").read_text()
    start = readme.index("Then, in another terminal")
    block = readme[
        readme.index("```sh\n", start) + 6 : readme.index("```", readme.index("```sh\n", start) + 6)
    ]
    env = base_env(tmp_path / "data")
    server = Server(env, "serve", log=tmp_path / "serve.log").start()
    try:
        # run from the checkout, as the README says; only the port and the clip's place differ
        script = block.replace("127.0.0.1:8000", f"127.0.0.1:{server.port}")
        script = script.replace("swing.mp4", str(tmp_path / "swing.mp4"))
        r = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        server.stop()
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] in ('"processing"', '"completed"', '"queued"'), r.stdout
    assert lines[1].split()[:2] == ["JOB", "STATUS"]
    assert (tmp_path / "swing.mp4").stat().st_size > 10_000
