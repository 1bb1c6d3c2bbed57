"""The client-only distribution (clients/python) as a user installs it: a fresh venv, `pip install`, the
installed size, and `reelq upload --wait --json` from that venv against a real `reelq serve`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from support import Server, base_env, ci, cli

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
LIMIT_MB = 30

# the installed size of reelq-client and everything it requires (on disk, compiled .pyc included)
SIZE = """
import importlib.metadata as md, json, os, re
seen, todo, total = set(), ["reelq-client"], 0
while todo:
    name = re.sub(r"[-_.]+", "-", todo.pop()).lower()
    if name in seen:
        continue
    try:
        dist = md.distribution(name)
    except md.PackageNotFoundError:  # a requirement whose marker does not apply here
        continue
    seen.add(name)
    for f in dist.files or []:
        path = dist.locate_file(f)
        total += os.path.getsize(path) if os.path.isfile(path) else 0
    for req in dist.requires or []:
        if "extra ==" not in req:
            todo.append(re.split(r"[ ;<>=!~\\[(]", req, maxsplit=1)[0])
print(json.dumps({"bytes": total, "dists": sorted(seen)}))
"""


def test_pip_install_of_the_client_is_small_and_uploads_to_a_server(tmp_path: Path, clip: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REELQ_", "VIRTUAL_ENV"))}
    installed = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", str(ROOT / "clients" / "python")],
        env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    if installed.returncode != 0 and not ci() and "No matching distribution" in installed.stderr:
        pytest.skip(f"no package index reachable for httpx/rich: {installed.stderr[-300:]}")
    assert installed.returncode == 0, installed.stderr

    size = json.loads(subprocess.run([str(python), "-c", SIZE], check=True, capture_output=True,
                                     text=True, timeout=60).stdout)  # fmt: skip
    print(f"reelq-client installed: {size['bytes'] / 2**20:.1f} MiB, {size['dists']}")
    assert size["bytes"] < LIMIT_MB * 2**20, size
    assert not {"reelq", "av", "fastapi", "sqlalchemy", "numpy"} & set(size["dists"])
    no_server = subprocess.run(
        [str(python), "-c", "import reelq"], capture_output=True, timeout=60, cwd=tmp_path
    )
    assert no_server.returncode != 0  # the server package is not there …

    data = tmp_path / "server"
    server = Server(base_env(data / "data", REELQ_LOG_LEVEL="WARNING"), "serve", log=tmp_path / "serve.log")
    server.start(wait=False)
    try:
        server.wait_ready(timeout=120)
        token = cli(server.env, "users", "create", "pipuser").stdout.strip()
        home = tmp_path / "home"
        user = {
            **env,
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / "c"),
            "XDG_CACHE_HOME": str(home / "k"),
        }
        reelq = str(venv / "bin" / "reelq")
        up = subprocess.run(
            [reelq, "upload", str(clip), "--wait", "--json", "--url", server.url, "--token", token],
            env=user, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert up.returncode == 0, up.stderr
        job = json.loads(up.stdout)
        assert (
            job["status"] == "completed"
            and job["file"]["name"] == clip.name
            and "duration" in job["result"]["metadata"]
        )
        listed = subprocess.run([reelq, "jobs", "list", "--json", "--url", server.url, "--token", token],
                                env=user, capture_output=True, text=True, timeout=120)  # fmt: skip
        assert [j["job_id"] for j in json.loads(listed.stdout)] == [job["job_id"]]
        version = subprocess.run([reelq, "--version"], capture_output=True, text=True, timeout=60)
        assert version.stdout.startswith("reelq-client ")  # … and the client-only command runs
    finally:
        server.stop()
