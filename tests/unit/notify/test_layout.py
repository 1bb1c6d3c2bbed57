"""The notification package's shape: the shared parts name no channel, the channels do not import each
other, and nothing inside ``reelq/notify`` imports in a circle (imports for the type checker included)."""

from __future__ import annotations

import ast
from pathlib import Path

import reelq.notify

ROOT = Path(reelq.notify.__file__).parent
SHARED = {"outbox", "channels", "protocol", "retry", "payload", "__init__"}


def imports() -> dict[str, set[str]]:
    """Module (relative to reelq.notify, e.g. ``push.channel``) → the reelq.notify modules it imports."""
    names = {".".join(p.relative_to(ROOT).with_suffix("").parts) for p in ROOT.rglob("*.py")}
    out: dict[str, set[str]] = {}
    for path in ROOT.rglob("*.py"):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("reelq.notify"):
                target = node.module.removeprefix("reelq.notify").lstrip(".")  # type: ignore[union-attr]
                for alias in node.names:
                    sub = f"{target}.{alias.name}".lstrip(".")
                    found.add(sub if sub in names else target)
        out[module] = found - {""}
    return out


def test_the_shared_parts_name_no_channel() -> None:
    for module, targets in imports().items():
        if module in SHARED:
            assert not {t for t in targets if t.startswith(("push", "webhook"))}, module


def test_the_channels_do_not_import_each_other() -> None:
    for module, targets in imports().items():
        for own, other in (("push", "webhook"), ("webhook", "push")):
            if module.startswith(own + "."):
                assert not {t for t in targets if t.startswith(other)}, module


def test_no_circle_in_notify() -> None:
    edges = imports()
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in edges.get(node, ()):
            assert state.get(nxt) != 1, " → ".join([*path, node, nxt])
            if nxt not in state:
                visit(nxt, [*path, node])
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node, [])


def test_the_outbox_calls_every_channel_the_same_way() -> None:
    source = (ROOT / "outbox.py").read_text()
    assert "webhook" not in source.lower().replace("notification outbox", "")
