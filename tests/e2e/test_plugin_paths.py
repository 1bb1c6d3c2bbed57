"""An operator's own analyzer, the way the README says: from PYTHONPATH or the directory reelq runs in.

These run the installed ``reelq`` console script in a shell, as a new user would type it.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from support import base_env, cli, free_port, poll_job, wait_for

pytestmark = pytest.mark.e2e

BIN = Path(sys.executable).parent
HEREDOC = """mkdir plug && cat > plug/swing.py <<'EOF'
def analyze(path, ctx):
    ctx.progress(0.5)
    return {"ok": True}
EOF
"""


@pytest.fixture
def shell_env(tmp_path: Path) -> dict[str, str]:
    env = base_env(tmp_path / "data")
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env.pop("PYTHONPATH", None)
    return env


@pytest.fixture
def started() -> Iterator[list[subprocess.Popen[bytes]]]:
    procs: list[subprocess.Popen[bytes]] = []
    yield procs
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _serve(
    command: str, cwd: Path, env: dict[str, str], log: Path, procs: list[subprocess.Popen[bytes]]
) -> str:
    port = free_port()
    with log.open("ab") as out:
        proc = subprocess.Popen(
            ["bash", "-c", command.replace("reelq ", "exec reelq ", 1) + f" --port {port}"],
            cwd=cwd,
            env=env,
            stdout=out,
            stderr=out,
        )
    procs.append(proc)
    base = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        assert proc.poll() is None, log.read_text()
        try:
            return httpx.get(base + "/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    wait_for(ready, 90, 0.2, "reelq serve")
    return base


def _run_one_job(base: str, env: dict[str, str], clip: Path) -> dict:  # type: ignore[type-arg]
    token = cli(env, "users", "create", "alice").stdout.strip()
    auth = {"Authorization": f"Bearer {token}"}
    with clip.open("rb") as f:
        r = httpx.post(f"{base}/api/upload", headers=auth, files={"video": (clip.name, f)}, timeout=30)
    assert r.status_code == 202, r.text
    return poll_job(base, auth, r.json()["job_id"], {"completed", "failed"}, timeout=90)


def test_the_readme_heredoc_with_pythonpath(
    tmp_path: Path, shell_env: dict[str, str], clip: Path, started: list[subprocess.Popen[bytes]]
) -> None:
    subprocess.run(["bash", "-c", HEREDOC], cwd=tmp_path, check=True)
    base = _serve(
        "PYTHONPATH=$PWD/plug REELQ_ANALYZER=swing:analyze reelq serve",
        tmp_path,
        shell_env,
        tmp_path / "serve.log",
        started,
    )
    job = _run_one_job(base, shell_env, clip)
    assert job["status"] == "completed", job
    assert job["analyzer"] == "swing:analyze"
    assert job["result"] == {"ok": True}


def test_a_module_in_the_directory_reelq_runs_in(
    tmp_path: Path, shell_env: dict[str, str], clip: Path, started: list[subprocess.Popen[bytes]]
) -> None:
    subprocess.run(["bash", "-c", HEREDOC], cwd=tmp_path, check=True)
    env = {**shell_env, "REELQ_DATA_DIR": str(tmp_path / "data")}
    base = _serve(
        "REELQ_ANALYZER=swing:analyze reelq serve", tmp_path / "plug", env, tmp_path / "s.log", started
    )
    job = _run_one_job(base, env, clip)
    assert job["status"] == "completed", job
    assert job["result"] == {"ok": True}


@pytest.mark.parametrize("command", ["serve", "worker"])
def test_a_misspelt_analyzer_stops_serve_and_worker_at_once(
    tmp_path: Path, shell_env: dict[str, str], command: str
) -> None:
    subprocess.run(["bash", "-c", HEREDOC], cwd=tmp_path, check=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    proc = subprocess.run(
        ["bash", "-c", f"PYTHONPATH=$PWD/plug REELQ_ANALYZER=swng:analyze reelq {command}"],
        cwd=tmp_path,
        env=shell_env,
        capture_output=True,
        text=True,
        timeout=60,  # a server that started would run until this kills it
    )
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    assert proc.returncode not in (0, None)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "REELQ_ANALYZER" in lines[0] and "swng" in lines[0] and "No module named" in lines[0]
    assert "Traceback" not in proc.stderr + proc.stdout
    # Within 5 s of work; the wall clock too unless the shared machine is overloaded.
    assert cpu < 5.0, cpu
    assert wall < 5.0 * max(1.0, os.getloadavg()[0] / (os.cpu_count() or 1)), wall


def test_not_callable_as_analyze_path_ctx_is_refused(tmp_path: Path, shell_env: dict[str, str]) -> None:
    (tmp_path / "bad.py").write_text("def analyze(path):\n    return {}\n\nanswer = 42\n")
    for name, why in (("bad:analyze", "not callable as analyze(path, ctx)"), ("bad:answer", "not callable")):
        proc = subprocess.run(
            ["bash", "-c", f"REELQ_ANALYZERS={name} reelq worker"],
            cwd=tmp_path,
            env=shell_env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert proc.returncode != 0
        assert proc.stderr.strip().splitlines() == [f"error: REELQ_ANALYZERS: {name!r} is {why}"] or (
            why in proc.stderr and "REELQ_ANALYZERS" in proc.stderr
        ), proc.stderr


def test_doctor_reports_an_analyzer_that_cannot_be_imported(
    tmp_path: Path, shell_env: dict[str, str]
) -> None:
    proc = subprocess.run(
        ["bash", "-c", "REELQ_ANALYZER=swng:analyze reelq doctor"],
        cwd=tmp_path,
        env=shell_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode != 0
    line = next(line for line in proc.stdout.splitlines() if "analyzers" in line)
    assert "FAIL" in line and "REELQ_ANALYZER" in line and "swng" in line, proc.stdout


def test_a_job_whose_analyzer_vanished_says_the_server_is_misconfigured(
    tmp_path: Path, shell_env: dict[str, str], clip: Path, started: list[subprocess.Popen[bytes]]
) -> None:
    subprocess.run(["bash", "-c", HEREDOC], cwd=tmp_path, check=True)
    base = _serve(
        "PYTHONPATH=$PWD/plug REELQ_ANALYZER=swing:analyze reelq serve",
        tmp_path,
        shell_env,
        tmp_path / "serve.log",
        started,
    )
    (tmp_path / "plug" / "swing.py").unlink()  # removed after the start-up check, before any job
    job = _run_one_job(base, shell_env, clip)
    assert job["status"] == "failed", job
    assert job["error"]["code"] == "analyzer_unavailable"
    assert "misconfigured" in job["error"]["message"]
    assert job["error"]["retryable"] is True
