"""Which analyzers exist, and which of them an upload may name.

An upload may name only an analyzer the server chose: a registered entry point (group
``reelq.analyzers``), the default ``REELQ_ANALYZER``, or one listed in ``REELQ_ANALYZERS``. The
``package.module:function`` form is server configuration only: a request value never reaches an import.
The worker checks the same list again before it imports anything (a row written by an older version, or
by hand, cannot slip through).
"""

from __future__ import annotations

import importlib
import inspect
import os
import re
import sys
from collections.abc import Collection, Iterable
from functools import lru_cache
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, cast

from reelq.analysis.base import Analyzer
from reelq.errors import BadRequest

GROUP = "reelq.analyzers"
_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*(:[A-Za-z_][A-Za-z0-9_]*)?$")
_SHOWN = 64  # characters of an unknown name echoed back


@lru_cache(maxsize=1)
def available() -> tuple[str, ...]:
    """Installed analyzer names; read once (scanning package metadata costs ~2 ms, on every upload)."""
    return tuple(sorted(ep.name for ep in entry_points(group=GROUP)))


def check_configured(name: str) -> str:
    """A name from the server's settings: a registered name or ``module:function`` (not imported here)."""
    if _NAME_RE.match(name) and (":" in name or name in available()):
        return name
    raise ValueError(
        f"unknown analyzer {name!r}: use a registered name ({', '.join(available())}) or module:function"
    )


def requestable(default: str, extra: Iterable[str] = ()) -> frozenset[str]:
    """The names an upload may ask for."""
    return frozenset(available()) | {default} | set(extra)


def validate_request(name: str | None, *, default: str, extra: Iterable[str] = ()) -> str:
    """The analyzer an upload asked for (or the default); BadRequest ``unknown_analyzer`` otherwise."""
    if not name:
        return default
    allowed = requestable(default, extra)
    if name in allowed:
        return name
    raise BadRequest(
        f"unknown analyzer {name[:_SHOWN]!r}; available: {', '.join(sorted(allowed))}",
        code="unknown_analyzer",
    )


def load(name: str, allowed: Collection[str]) -> Analyzer:
    """Import and return the analyzer callable; only names in ``allowed`` are ever imported."""
    if name not in allowed or not _NAME_RE.match(name):
        raise LookupError(f"analyzer {name[:_SHOWN]!r} is not allowed on this server")
    if ":" in name:
        module_name, attr = name.split(":", 1)
        return cast(Analyzer, getattr(importlib.import_module(module_name), attr))
    for ep in entry_points(group=GROUP):
        if ep.name == name:
            return cast(Analyzer, ep.load())
    raise LookupError(f"no analyzer named {name!r} (installed: {', '.join(available())})")


def builtin(name: str) -> bool:
    """Whether ``name`` is one of reelq's own analyzers (tested with reelq; no start-up import check)."""
    target = name if ":" in name else _entry_point_values().get(name, "")
    return target.startswith("reelq.")


@lru_cache(maxsize=1)
def _entry_point_values() -> dict[str, str]:
    return {ep.name: ep.value for ep in entry_points(group=GROUP)}


def import_path() -> list[str]:
    """Where this process imports an analyzer from: ``sys.path``, then the working directory."""
    path = [p for p in sys.path if p]
    cwd = os.getcwd()
    if cwd not in path:
        path.append(cwd)
    return path


def use_import_path(path: list[str]) -> None:
    """Make ``path`` this process's ``sys.path`` (the analysis process, started with ``-I``)."""
    sys.path[:] = list(dict.fromkeys(path))
    importlib.invalidate_caches()


def loadable(name: str, allowed: Collection[str]) -> str | None:
    """Why ``name`` cannot run as an analyzer here (import, then ``analyze(path, ctx)``), or None."""
    try:
        fn: Any = load(name, allowed)
    except LookupError as exc:
        return str(exc)
    except Exception as exc:  # ImportError, AttributeError, or anything the module raised on import
        text = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else ""
        return f"cannot import {name[:_SHOWN]!r}: {type(exc).__name__}" + (f": {text}" if text else "")
    if not callable(fn):
        return f"{name[:_SHOWN]!r} is not callable as analyze(path, ctx)"
    try:
        inspect.signature(fn).bind(Path("video.mp4"), object())
    except TypeError:
        return f"{name[:_SHOWN]!r} is not callable as analyze(path, ctx)"
    except ValueError:  # no signature to read (a builtin): it is called and judged then
        pass
    return None
