"""Can the configured analyzers run? Asked of a process started exactly like an analysis process.

``reelq serve``, ``reelq worker`` and ``reelq doctor`` call :func:`analyzer_problems` before anything
else: a misspelt ``REELQ_ANALYZER`` or a module that is not importable stops the server at start with
one line, instead of failing every job later. The check runs in ``python -I -m reelq.worker.check`` with
the analysis environment and import path (``reelq.analysis.registry.import_path``), so "importable" means
importable where the analysis will run, and the server process itself never imports an analyzer.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Collection, Mapping, Sequence
from typing import TYPE_CHECKING

from reelq.analysis.registry import (
    GROUP,
    available,
    builtin,
    import_path,
    loadable,
    requestable,
    use_import_path,
)

if TYPE_CHECKING:
    from reelq.config import Settings

CHECK_SECONDS = 30.0


def analyzer_problems(
    named: Mapping[str, str], allowed: Collection[str], *, timeout: float = CHECK_SECONDS
) -> list[str]:
    """One line per analyzer that cannot run: ``SETTING: reason``. ``named`` maps analyzer → setting."""
    if not named:
        return []
    from reelq.worker.env import child_env

    request = {"path": import_path(), "names": sorted(named), "allowed": sorted(allowed)}
    try:
        proc = subprocess.run(
            [sys.executable, "-I", "-m", "reelq.worker.check"],
            input=json.dumps(request),
            capture_output=True,
            text=True,
            env=child_env(),
            cwd="/",
            timeout=timeout,
        )
        answer: dict[str, str | None] = json.loads(proc.stdout.strip().splitlines()[-1])
    except subprocess.TimeoutExpired:
        return [f"{named[n]}: importing the analyzers took longer than {timeout:g} s" for n in sorted(named)]
    except (ValueError, IndexError):
        return ["analyzers: the check process did not answer (it crashed while importing an analyzer)"]
    return [f"{named[n]}: {answer[n]}" for n in sorted(named) if answer.get(n)]


WORKER_SETTING = "REELQ_WORKER_ANALYZERS"


def served_analyzers(settings: Settings, only: Sequence[str] | None = None) -> frozenset[str]:
    """The analyzers a worker runs: ``only`` (``--analyzers``), else ``REELQ_WORKER_ANALYZERS``, else all
    that uploads may name."""
    chosen = list(only or settings.worker_analyzers)
    return frozenset(chosen) if chosen else requestable(settings.analyzer, settings.analyzers)


def named_analyzers(settings: Settings, only: Sequence[str] | None = None) -> dict[str, str]:
    """Each analyzer a worker would run, with the setting that asks for it (for messages)."""
    chosen = list(only or settings.worker_analyzers)
    if chosen:
        return {name: WORKER_SETTING for name in chosen}
    named = {settings.analyzer: "REELQ_ANALYZER"}
    for name in settings.analyzers:
        named.setdefault(name, "REELQ_ANALYZERS")
    for name in available():
        named.setdefault(name, f"entry point {name!r} ({GROUP})")
    return named


def startup_problems(settings: Settings, only: Sequence[str] | None = None) -> list[str]:
    """Why a worker with these settings must not start (empty: it may): one line per analyzer."""
    allowed = requestable(settings.analyzer, settings.analyzers)
    named = named_analyzers(settings, only)
    problems = [
        f"{setting}: {name[:64]!r} is not an analyzer uploads may name here "
        "(add it to REELQ_ANALYZERS, or install a package that registers it)"
        for name, setting in named.items()
        if name not in allowed
    ]
    checkable = {name: setting for name, setting in named.items() if name in allowed and not builtin(name)}
    return problems + analyzer_problems(checkable, allowed)


def main() -> int:
    request = json.loads(sys.stdin.read())
    use_import_path([str(p) for p in request["path"]])
    allowed = frozenset(str(n) for n in request["allowed"])
    answer = {str(name): loadable(str(name), allowed) for name in request["names"]}
    sys.stdout.write("\n" + json.dumps(answer) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
