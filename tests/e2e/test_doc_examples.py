"""Every ```sh block of README.md and docs/*.md runs, as written, against a real `reelq serve`.

Each block runs in bash (``set -euo pipefail``) in a fresh directory holding the files the examples
name (swing.mp4, swing.mov, putt.mov, clip.mp4). The only changes made to a block are the ones in
``SUBSTITUTE``: the example server address becomes the test server's, and a placeholder job id becomes a
real one. ``curl`` fails on an HTTP error (``--fail-with-body``), so an example the API refuses fails here.
A block that cannot run on this machine is in ``SKIP`` with the reason; a stale entry there fails too.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from reelq.testing.sample_clip import make_sample_clip

from support import Server, base_env, cli

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```(?:sh|bash|shell)\n(.*?)^```", re.M | re.S)

# (file, first line of the block) -> why it does not run here
SKIP = {
    ("README.md", "./dev serve      # starts reelq"): (
        "starts a server that runs until stopped, and the whole test suite; both are what this suite runs"
    ),
    ("README.md", "createdb -h db -U postgres -O reelq reelq"): (
        "needs the hosts db and redis and runs servers until stopped; the createdb advice is checked by"
        " test_cli_errors.py, several nodes by test_cluster.py"
    ),
    ("docs/deployment.md", "docker compose up -d --build"): "needs Docker, which this machine does not have",
    ("docs/deployment.md", ".venv/bin/python bench/scale.py"): "a benchmark of many minutes (./dev bench)",
    ("docs/auth.md", "REELQ_AUTH_ISSUER=https://<project-ref>"): (
        "settings for a hosted identity provider, with placeholders; the OIDC verification is tested with"
        " a local issuer (tests/unit/auth)"
    ),
    ("docs/auth.md", "REELQ_AUTH_ISSUER=https://securetoken"): "settings for Firebase (placeholders)",
    ("docs/auth.md", "REELQ_AUTH_ISSUER=https://<tenant>"): "settings for Auth0 (placeholders)",
    ("docs/auth.md", "REELQ_AUTH_ISSUER=https://<your-frontend-api>"): "settings for Clerk (placeholders)",
}

# pages whose blocks build on one another (one directory, one virtual environment) and run, in order, in a
# test of their own -> that test
WHOLE_PAGE = {
    "docs/analyzers.md": "tests/e2e/test_analyzer_guide.py runs the page's blocks in order in a fresh venv",
}

# what a block says -> what runs (the example server and placeholder ids)
SUBSTITUTE = {
    "http://127.0.0.1:8000": "$SERVER",
    "https://reelq.example.com": "$SERVER",
    "0193…": "$JOB",
    "JOB_ID": "$JOB",
}


def blocks() -> Iterator[tuple[str, str, str]]:
    for doc in DOCS:
        for match in FENCE.finditer(doc.read_text()):
            body = match.group(1)
            yield str(doc.relative_to(ROOT)), body.splitlines()[0], body


def skip_reason(name: str, first: str) -> str | None:
    if name in WHOLE_PAGE:
        return WHOLE_PAGE[name]
    return next((why for (doc, start), why in SKIP.items() if doc == name and first.startswith(start)), None)


def test_every_skip_names_a_block_that_exists() -> None:
    found = [(name, first) for name, first, _ in blocks()]
    for doc, start in SKIP:
        assert any(n == doc and f.startswith(start) for n, f in found), f"stale SKIP entry: {doc}: {start}"
    for doc in WHOLE_PAGE:
        assert any(n == doc for n, _ in found), f"stale WHOLE_PAGE entry: {doc}"


@pytest.fixture(scope="module")
def stage(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A server, an admin, a user with one completed job, and the shims the blocks run with."""
    base = tmp_path_factory.mktemp("docs")
    env = base_env(base / "data", REELQ_LOG_LEVEL="WARNING")
    server = Server(env, "serve", log=base / "serve.log")
    server.start(wait=False)
    try:
        server.wait_ready(timeout=120)
        clips = base / "clips"
        clips.mkdir()
        make_sample_clip(clips / "swing.mp4")
        for name in ("swing.mov", "putt.mov", "clip.mp4"):
            make_sample_clip(clips / name, seconds=3.0)
        admin = cli(env, "users", "create", "doc-admin", "--admin").stdout.strip()
        token = cli(env, "users", "create", "doc-user").stdout.strip()
        headers = {"Authorization": f"Bearer {token}"}
        with (clips / "clip.mp4").open("rb") as fh:
            job = httpx.post(f"{server.url}/api/upload", headers=headers, files={"video": fh}).json()
        done = httpx.get(
            f"{server.url}/api/results/job/{job['job_id']}?wait=60&until=done", headers=headers, timeout=90
        ).json()
        assert done["status"] == "completed", done
        made = httpx.post(
            f"{server.url}/api/admin/users",
            headers={"Authorization": f"Bearer {admin}"},
            json={"name": "doc-app-user"},
        ).json()
        shims = base / "bin"
        shims.mkdir()
        curl = "/usr/bin/curl"
        (shims / "curl").write_text(f'#!/bin/sh\nexec {curl} --fail-with-body --silent --show-error "$@"\n')
        (shims / "reelq").symlink_to(Path(os.environ.get("VIRTUAL_ENV", ROOT / ".venv")) / "bin" / "reelq")
        for shim in shims.iterdir():
            shim.chmod(0o755)
        yield {
            **env,
            "PATH": f"{shims}:{os.environ['PATH']}",
            "SERVER": server.url,
            "JOB": done["job_id"],
            "TOKEN_FOR_LOGIN": token,
            "REELQ_URL": server.url,
            "REELQ_TOKEN": token,
            "ADMIN": admin,
            "USER_ID": made["id"],
            "CLIPS": str(clips),
            "BASE": str(base),
        }
    finally:
        server.stop()


@pytest.mark.parametrize(("name", "first", "body"), list(blocks()), ids=lambda v: str(v)[:40])
def test_doc_block_runs(name: str, first: str, body: str, stage: dict[str, str], tmp_path: Path) -> None:
    why = skip_reason(name, first)
    if why is not None:
        pytest.skip(why)
    for example, real in SUBSTITUTE.items():
        body = body.replace(example, real)
    for clip in Path(stage["CLIPS"]).iterdir():
        (tmp_path / clip.name).write_bytes(clip.read_bytes())
    # `./dev X` in a block is `reelq X` with the checkout's environment (./dev itself: test_dev_script.py)
    (tmp_path / "dev").write_text('#!/bin/sh\nexec reelq "$@"\n')
    (tmp_path / "dev").chmod(0o755)
    home = tmp_path / "home"
    env = {**stage, "HOME": str(home), "XDG_CONFIG_HOME": str(home / "config"),
           "XDG_CACHE_HOME": str(home / "cache")}  # fmt: skip
    script = "set -euo pipefail\n" + body
    run = subprocess.run(
        ["bash", "-c", script],
        cwd=tmp_path,
        env=env,
        input=stage["TOKEN_FOR_LOGIN"] + "\n",  # `reelq login` asks for the token
        capture_output=True,
        text=True,
        timeout=180,  # a block that hangs fails instead of holding the suite
    )
    output = f"--- stdout\n{run.stdout[-3000:]}\n--- stderr\n{run.stderr[-3000:]}"
    assert run.returncode == 0, f"{name}: {first}\n{output}"
    if "jq .status" in body:
        assert '"completed"' in run.stdout.splitlines()  # the quick start's job really ended well
