"""`reelq users`: admin users, token expiry, single-token revocation, delete with jobs and files."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from reelq import cli as reelq_cli
from reelq.app import create_app
from reelq.config import Settings


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class Done:
    def __init__(self, result: object) -> None:
        self.stdout: str = result.stdout  # type: ignore[attr-defined]
        self.stderr: str = result.stderr  # type: ignore[attr-defined]
        self.returncode: int = result.exit_code  # type: ignore[attr-defined]


def cli(_env: object, *args: str, check: bool = True) -> Done:
    """`reelq ARGS` in this process (the same code as the installed command)."""
    done = Done(CliRunner().invoke(reelq_cli.app, list(args)))
    assert not check or done.returncode == 0, done.stdout + done.stderr
    return done


def test_users_commands(tmp_path: Path, clip: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "data"
    monkeypatch.setattr(reelq_cli, "get_settings", lambda: Settings(data_dir=data, log_level="WARNING"))
    env = None
    admin_token = cli(env, "users", "create", "root", "--admin").stdout.strip()
    first = cli(env, "users", "create", "bob").stdout.strip()
    issued = cli(env, "users", "token", "bob", "--expires", "30d")
    second = issued.stdout.strip()
    assert "expires" in issued.stderr
    assert cli(env, "users", "token", "bob", "--expires", "soon", check=False).returncode != 0
    listing = cli(env, "users", "tokens", "bob").stdout.splitlines()
    assert len(listing) == 2 and sum("expires" in line for line in listing) == 1
    assert "admin" in cli(env, "users", "list").stdout

    settings = Settings(data_dir=data, embedded_worker=False, auth_cache_seconds=0.2, disk_reserve_bytes=0)
    with TestClient(create_app(settings)) as c:
        assert c.get("/api/admin/users", headers=bearer(admin_token)).status_code == 200
        assert c.get("/api/admin/users", headers=bearer(first)).status_code == 404
        r = c.post("/api/upload", headers=bearer(second), files={"video": ("c.mp4", clip.read_bytes())})
        assert r.status_code == 202
        job_id = r.json()["job_id"]

        expiring = next(line.split("\t")[0] for line in listing if "expires" in line)
        cli(env, "users", "revoke", "bob", "--token", expiring)
        time.sleep(0.3)  # the auth cache time of the server process
        assert c.get("/api/jobs", headers=bearer(second)).status_code == 401
        assert c.get("/api/jobs", headers=bearer(first)).status_code == 200

        assert "1 job" in cli(env, "users", "delete", "bob", "--yes").stdout
        time.sleep(0.3)
        assert c.get("/api/jobs", headers=bearer(first)).status_code == 401
        assert c.get(f"/api/admin/jobs/{job_id}", headers=bearer(admin_token)).status_code == 404
    assert not list((data / "users").glob("*/jobs/*"))
