"""docs/analyzers.md, run: every shell block on the page, in order, in a fresh virtual environment that
installs the example package (examples/reelq-colors) and serves it through a real server and worker.

The environment sees reelq and its dependencies (this checkout's .venv, through a ``.pth``); pip runs
offline (``PIP_NO_INDEX``) and builds with the hatchling already installed (no build isolation), so the
page's commands run unchanged without a download.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from support import free_port

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "analyzers.md"
EXAMPLE = ROOT / "examples" / "reelq-colors"
HEREDOC = re.compile(r"^cat > (\S+) <<'EOF'\n(.*?)^EOF$", re.S | re.M)


def shell_blocks() -> list[str]:
    return re.findall(r"```sh\n(.*?)```", GUIDE.read_text(), re.S)


def test_the_files_on_the_page_are_the_example_package() -> None:
    written = dict(HEREDOC.findall("\n".join(shell_blocks())))
    assert set(written) == {"pyproject.toml", "src/reelq_colors/__init__.py", "tests/test_colors.py"}
    for name, text in written.items():
        assert (EXAMPLE / name).read_text() == text, name
    shipped = {
        str(p.relative_to(EXAMPLE))
        for p in EXAMPLE.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    }
    assert shipped == set(written)


def _venv(where: Path) -> Path:
    """A new venv with pip, which imports reelq and its dependencies from this checkout's .venv."""
    base = Path(sys.base_prefix) / "bin" / "python3"
    subprocess.run([str(base), "-m", "venv", str(where)], check=True, timeout=300)
    purelib = subprocess.run(
        [str(where / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    ours = sysconfig.get_paths()["purelib"]
    Path(purelib, "reelq-checkout.pth").write_text(f"import site; site.addsitedir({ours!r})\n")
    script = where / "bin" / "reelq"
    script.write_text(
        f"#!{where / 'bin' / 'python'}\nimport sys\nfrom reelq.cli import main\nsys.exit(main())\n"
    )
    script.chmod(0o755)
    return where


def test_every_command_on_the_page_from_an_empty_folder_to_a_worker_that_runs_only_it(tmp_path: Path) -> None:
    venv = _venv(tmp_path / "venv")
    port = free_port()
    script = "\n".join(shell_blocks()).replace("127.0.0.1:8000", f"127.0.0.1:{port}")
    # then: wait for the job the page uploaded, and print it
    script += f"""
for i in $(seq 240); do
  job=$(curl -s -H "Authorization: Bearer $TOKEN" http://127.0.0.1:{port}/api/jobs | python -c '
import json, sys
jobs = json.load(sys.stdin)["jobs"]
print(json.dumps(jobs[0]) if jobs and jobs[0]["status"] in ("completed", "failed") else "")')
  if [ -n "$job" ]; then
    echo; echo "JOB $job"
    id=$(echo "$job" | python -c 'import json,sys; print(json.load(sys.stdin)["job_id"])')
    curl -s -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:{port}/api/results/job/$id"
    echo
    exit 0
  fi
  sleep 0.5
done
exit 1
"""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REELQ_", "PIP_", "VIRTUAL_ENV"))}
    env.update(
        PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        REELQ_DATA_DIR=str(tmp_path / "data"),
        REELQ_PORT=str(port),
        REELQ_DISK_RESERVE_BYTES="0",
        REELQ_WORKER_CONCURRENCY="1",
        PIP_NO_INDEX="1",
        PIP_NO_BUILD_ISOLATION="0",  # pip's inverted switch: build with the installed hatchling
        PIP_DISABLE_PIP_VERSION_CHECK="1",
    )
    work = tmp_path / "work"
    work.mkdir()
    full = "set -euo pipefail\ntrap 'kill $(jobs -p) 2>/dev/null; wait' EXIT\n" + script
    proc = subprocess.run(
        ["bash", "-c", full], cwd=work, env=env, capture_output=True, text=True, timeout=900
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    out = proc.stdout
    assert "2 passed" in out  # the package's own tests, through reelq.testing.run_analyzer
    assert "palette.png" in out  # `ls artifacts` after `reelq analyze`
    lines = out.splitlines()
    marker = next((i for i, line in enumerate(lines) if line.startswith("JOB ")), None)
    assert marker is not None, out[-3000:] + proc.stderr[-3000:]
    status = json.loads(lines[marker + 1])
    assert status["status"] == "completed", status
    assert status["analyzer"] == "colors"
    assert len(status["result"]["palette"]) == 4
    assert (work / "reelq-colors" / "artifacts" / "palette.png").stat().st_size > 0
