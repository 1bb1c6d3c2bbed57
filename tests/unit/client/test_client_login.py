"""Where the CLI finds the server: options, then REELQ_URL/REELQ_TOKEN, then `reelq login`'s file."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from reelq_client import login
from reelq_client.login import Login
from reelq_client.paths import cache_dir, config_dir


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("REELQ_URL", raising=False)
    monkeypatch.delenv("REELQ_TOKEN", raising=False)
    return tmp_path


def test_xdg_dirs(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert config_dir() == home / "cfg" / "reelq" and cache_dir() == home / "cache" / "reelq"
    monkeypatch.setenv("XDG_CONFIG_HOME", "relative/is/ignored")
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert config_dir() == home / ".config" / "reelq" and cache_dir() == home / ".cache" / "reelq"


def test_saved_login_is_private_even_over_a_readable_file(home: Path) -> None:
    path = login.login_file()
    path.parent.mkdir(parents=True)
    path.write_text("{}")
    path.chmod(0o644)
    assert login.save(Login("http://srv", "rq_secret")) == path
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert login.load() == Login("http://srv", "rq_secret")
    assert login.forget() and not path.exists() and not login.forget()


def test_precedence(monkeypatch: pytest.MonkeyPatch) -> None:
    assert login.resolve(None, None) is None
    login.save(Login("http://stored", "rq_stored"))
    assert login.resolve(None, None) == Login("http://stored", "rq_stored")
    monkeypatch.setenv("REELQ_URL", "http://env")
    assert login.resolve(None, None) == Login("http://env", "rq_stored")
    monkeypatch.setenv("REELQ_TOKEN", "rq_env")
    assert login.resolve(None, None) == Login("http://env", "rq_env")
    assert login.resolve("http://opt", "rq_opt") == Login("http://opt", "rq_opt")


def test_a_damaged_file_is_no_login() -> None:
    path = login.login_file()
    path.parent.mkdir(parents=True)
    path.write_text('{"url": 1}')
    assert login.load() is None
