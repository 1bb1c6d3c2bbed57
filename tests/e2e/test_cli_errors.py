"""A missing or unreachable database, queue or data dir: one line naming it and one with the fix, no
traceback (unless --debug), for every command that needs them."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from integration.backends import PG_ADMIN_URL, require

from support import base_env, cli, free_port

pytestmark = pytest.mark.e2e


def missing_database_url() -> tuple[str, str]:
    """A URL on the test PostgreSQL server naming a database that is never created."""
    name = f"reelq_missing_{uuid.uuid4().hex[:10]}"
    parts = urlsplit(PG_ADMIN_URL)
    return urlunsplit(parts._replace(path=f"/{name}")), name


@pytest.mark.parametrize(
    "command",
    [["serve", "--port", "0"], ["worker"], ["users", "create", "alice"], ["jobs", "list"]],
    ids=lambda c: " ".join(c[:2]),
)
def test_a_missing_postgresql_database_is_one_line_and_the_fix(tmp_path: Path, command: list[str]) -> None:
    require("postgresql")
    url, name = missing_database_url()
    if command[0] == "serve":
        command = ["serve", "--port", str(free_port())]
    env = base_env(tmp_path / "data", REELQ_DATABASE_URL=url)
    r = cli(env, *command, check=False)
    out = (r.stdout + r.stderr).strip()
    assert r.returncode != 0
    assert len(out.splitlines()) <= 3, out
    assert f'database "{name}" does not exist' in out and "createdb -h " in out and name in out
    assert "Traceback" not in out

    debug = cli(env, "--debug", *command, check=False)
    assert debug.returncode != 0 and "Traceback" in debug.stderr and name in debug.stderr


def test_an_unreachable_queue_and_database_server_say_so(tmp_path: Path) -> None:
    env = base_env(tmp_path / "data", REELQ_QUEUE_URL=f"redis://127.0.0.1:{free_port()}/0")
    r = cli(env, "worker", check=False)
    assert r.returncode == 1 and len(r.stderr.strip().splitlines()) <= 3, r.stderr
    assert "cannot reach the Redis queue" in r.stderr and "REELQ_QUEUE_URL" in r.stderr

    port = free_port()
    env = base_env(tmp_path / "data", REELQ_DATABASE_URL=f"postgresql://postgres@127.0.0.1:{port}/reelq")
    r = cli(env, "users", "create", "bob", check=False)
    assert r.returncode == 1 and len(r.stderr.strip().splitlines()) <= 3, r.stderr
    assert f"cannot reach PostgreSQL at 127.0.0.1:{port}" in r.stderr


def test_a_data_dir_that_cannot_be_made_says_which(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    r = cli(base_env(blocker / "data"), "users", "create", "carol", check=False)
    assert r.returncode == 1 and len(r.stderr.strip().splitlines()) <= 3, r.stderr
    assert str(blocker) in r.stderr and "REELQ_DATA_DIR" in r.stderr and "Traceback" not in r.stderr


def test_version_config_and_the_lan_banner(tmp_path: Path) -> None:
    import httpx

    from reelq import __version__

    env = base_env(tmp_path / "data", REELQ_CONSOLE_ADMINS="root,ops")
    assert cli(env, "--version").stdout.startswith(f"reelq {__version__} (reelq-client ")
    shown = cli(env, "config").stdout
    assert "REELQ_CONSOLE_ADMINS=['root', 'ops']" in shown  # the console's setting is listed too
    assert "REELQ_CONSOLE_ADMINS" in cli(env, "config", "--markdown").stdout

    from support import Server

    server = Server(env, "serve", "--host", "0.0.0.0", log=tmp_path / "serve.log")
    server.start(wait=False)
    try:
        server.wait_ready(timeout=120)
        banner = (tmp_path / "serve.log").read_text()
        found = re.search(r"on your network: http://([0-9.]+):(\d+)", banner)
        assert found is not None, banner
        assert int(found.group(2)) == server.port and not found.group(1).startswith(("127.", "0."))
        # the address printed is one other machines can use: this machine answers on it
        assert httpx.get(f"http://{found.group(1)}:{server.port}/healthz", timeout=10).status_code == 200
    finally:
        server.stop()
