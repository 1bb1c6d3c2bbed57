"""Find analyzers by name: entry point group ``reelq.analyzers``, or ``package.module:function``."""

from __future__ import annotations

import importlib
import re
from functools import lru_cache
from importlib.metadata import entry_points
from typing import cast

from reelq.analysis.base import Analyzer
from reelq.errors import BadRequest

GROUP = "reelq.analyzers"
_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*(:[A-Za-z_][A-Za-z0-9_]*)?$")


@lru_cache(maxsize=1)
def available() -> tuple[str, ...]:
    """Installed analyzer names; read once (scanning package metadata costs ~2 ms, on every upload)."""
    return tuple(sorted(ep.name for ep in entry_points(group=GROUP)))


def validate_name(name: str) -> str:
    """Check that ``name`` resolves, without importing heavy code; raise BadRequest otherwise."""
    if ":" in name and _NAME_RE.match(name):
        return name
    if name in available():
        return name
    raise BadRequest(
        f"unknown analyzer {name!r}; available: {', '.join(available())}", code="unknown_analyzer"
    )


def load(name: str) -> Analyzer:
    """Import and return the analyzer callable."""
    if not _NAME_RE.match(name):
        raise LookupError(f"bad analyzer name {name!r}")
    if ":" in name:
        module_name, attr = name.split(":", 1)
        return cast(Analyzer, getattr(importlib.import_module(module_name), attr))
    for ep in entry_points(group=GROUP):
        if ep.name == name:
            return cast(Analyzer, ep.load())
    raise LookupError(f"no analyzer named {name!r} (installed: {', '.join(available())})")
