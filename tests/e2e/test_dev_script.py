"""`./dev` syncs the environment only when the lock or the project files changed (a stamp in .venv)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
STAMP = ROOT / ".venv" / ".dev-synced"


def dev(path: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": path}
    return subprocess.run([str(ROOT / "dev"), *args], env=env, capture_output=True, text=True, timeout=300)


def test_dev_skips_the_sync_while_the_lock_is_unchanged(tmp_path: Path) -> None:
    first = dev(os.environ["PATH"], "--version")
    assert first.returncode == 0, first.stderr
    assert STAMP.is_file()
    fake = tmp_path / "bin"  # a `uv` that notes each call and fails: `./dev` finds it first on PATH
    fake.mkdir()
    (fake / "uv").write_text(f"#!/bin/sh\ntouch {tmp_path}/uv-ran\nexit 1\n")
    (fake / "uv").chmod(0o755)
    path = f"{fake}:{os.environ['PATH']}"

    again = dev(path, "--version")
    assert again.returncode == 0 and again.stdout.startswith("reelq ")
    assert not (tmp_path / "uv-ran").exists()  # nothing changed: no sync

    kept = STAMP.read_text()
    try:
        STAMP.write_text("an older lock")
        stale = dev(path, "--version")
        assert (tmp_path / "uv-ran").exists() and stale.returncode != 0  # changed: it syncs
        assert STAMP.read_text() == "an older lock"  # a failed sync leaves no stamp behind
    finally:
        STAMP.write_text(kept)
