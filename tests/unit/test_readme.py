"""README stays true: its configuration table is the one the code generates."""

from __future__ import annotations

from pathlib import Path

from reelq.cli import settings_elsewhere
from reelq.config import settings_table

README = Path(__file__).resolve().parents[2] / "README.md"


def test_settings_table_matches_the_code() -> None:
    text = README.read_text()
    start = text.index("<!-- settings:start -->") + len("<!-- settings:start -->")
    end = text.index("<!-- settings:end -->")
    assert text[start:end].strip() == settings_table(*settings_elsewhere()).strip(), (
        "README's configuration table is stale: paste `reelq config --markdown` between the markers"
    )


def test_quick_start_is_two_commands_and_ci_runs_the_same_test_command() -> None:
    text = README.read_text()
    quick = text[text.index("## Quick start") :]
    block = quick[quick.index("```sh") + 5 : quick.index("```", quick.index("```sh") + 5)]
    commands = [line.split("#")[0].strip() for line in block.strip().splitlines()]
    assert commands == ["./dev serve", "./dev test"]
    ci = (README.parent / ".ci" / "run").read_text()
    assert "exec ./dev test" in ci
