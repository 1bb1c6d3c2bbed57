"""Where the CLI finds the server and the token: ``--url``/``--token``, ``REELQ_URL``/``REELQ_TOKEN``, or
what ``reelq login`` stored in ``<user config dir>/client.json`` (mode 0600: it holds a bearer token).
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from reelq_client.paths import config_dir


@dataclass(frozen=True)
class Login:
    url: str
    token: str


def login_file() -> Path:
    return config_dir() / "client.json"


def load() -> Login | None:
    try:
        data = json.loads(login_file().read_text())
    except (OSError, ValueError):
        return None
    if isinstance(data, dict) and isinstance(data.get("url"), str) and isinstance(data.get("token"), str):
        return Login(data["url"], data["token"])
    return None


def save(login: Login) -> Path:
    """Write the file readable by its owner only (created 0600, and tightened if it existed)."""
    path = login_file()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump({"url": login.url, "token": login.token}, fh)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
    return path


def forget() -> bool:
    with contextlib.suppress(FileNotFoundError):
        login_file().unlink()
        return True
    return False


def resolve(url: str | None, token: str | None) -> Login | None:
    """Options first, then the environment, then the stored login; each of url and token on its own."""
    stored = load()
    url = url or os.environ.get("REELQ_URL") or (stored.url if stored else None)
    token = token or os.environ.get("REELQ_TOKEN") or (stored.token if stored else None)
    return Login(url, token) if url and token else None
