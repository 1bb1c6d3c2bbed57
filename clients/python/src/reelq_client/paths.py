"""Where the client keeps its files: platformdirs when installed, else the XDG base directories."""

from __future__ import annotations

import importlib
import os
from pathlib import Path


def _xdg(variable: str, fallback: str) -> Path:
    value = os.environ.get(variable)
    return Path(value) if value and os.path.isabs(value) else Path.home() / fallback


def _platformdirs(kind: str) -> Path | None:
    try:
        module = importlib.import_module("platformdirs")  # optional: not a dependency of reelq
    except ImportError:
        return None
    return Path(getattr(module, f"user_{kind}_dir")("reelq"))


def config_dir() -> Path:
    """The user's config dir for reelq (``reelq login`` writes ``client.json`` here, mode 0600)."""
    return _platformdirs("config") or _xdg("XDG_CONFIG_HOME", ".config") / "reelq"


def cache_dir() -> Path:
    """The user's cache dir for reelq (the resume store of unfinished uploads lives here)."""
    return _platformdirs("cache") or _xdg("XDG_CACHE_HOME", ".cache") / "reelq"
