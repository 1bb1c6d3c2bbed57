"""`reelq.testing.run_analyzer` runs an analyzer as the worker does; import paths and start-up checks."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from reelq.analysis.registry import import_path, loadable
from reelq.testing import run_analyzer


def _module(tmp_path: Path, name: str, body: str) -> str:
    (tmp_path / f"{name}.py").write_text(body)
    return name


def test_a_module_in_the_working_directory_is_found_by_the_analysis_process(
    tmp_path: Path, clip: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _module(
        tmp_path,
        "here_mod",
        "def analyze(path, ctx):\n"
        "    ctx.progress(0.5)\n"
        "    (ctx.artifacts / 'note.txt').write_text('hi')\n"
        "    return {'size': path.stat().st_size}\n",
    )
    monkeypatch.chdir(tmp_path)
    assert import_path()[-1] == str(tmp_path)  # last: it never shadows an installed module
    run = run_analyzer(clip, "here_mod:analyze")
    assert run.error is None, run.detail
    assert run.result == {"size": clip.stat().st_size}
    assert run.progress == [0.5]
    assert run.artifact_names == ["note.txt"]


def test_an_analyzer_that_breaks_on_import_is_unavailable_not_the_videos_fault(
    tmp_path: Path, clip: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _module(tmp_path, "broken_mod", "import not_installed_anywhere\n")
    monkeypatch.chdir(tmp_path)
    run = run_analyzer(clip, "broken_mod:analyze")
    assert run.result is None and run.error is not None
    assert run.error.code == "analyzer_unavailable" and run.error.retryable
    assert "misconfigured" in run.error.message
    assert run.detail is not None and "not_installed_anywhere" in run.detail["text"]


def test_the_time_limit_and_an_analyzers_own_error(
    tmp_path: Path, clip: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _module(
        tmp_path,
        "limits_mod",
        "import time\nfrom reelq.errors import PermanentJobError\n"
        "def sleepy(path, ctx):\n    time.sleep(30)\n"
        "def picky(path, ctx):\n    raise PermanentJobError('too_short', 'The clip is too short.')\n",
    )
    monkeypatch.chdir(tmp_path)
    slow = run_analyzer(clip, "limits_mod:sleepy", time_limit=1.0)
    assert slow.error is not None and slow.error.code == "time_limit_exceeded"
    picky = run_analyzer(clip, "limits_mod:picky")
    assert picky.error is not None and (picky.error.code, picky.error.message) == (
        "too_short",
        "The clip is too short.",
    )


def test_loadable_names_what_is_wrong(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _module(
        tmp_path,
        "shapes_mod",
        "def one(path):\n    return {}\nnumber = 3\ndef good(path, ctx):\n    return {}\n",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    allowed = {"shapes_mod:one", "shapes_mod:number", "shapes_mod:good", "nope_mod:x", "shapes_mod:missing"}
    assert loadable("shapes_mod:good", allowed) is None
    assert "not callable as analyze(path, ctx)" in str(loadable("shapes_mod:one", allowed))
    assert "not callable" in str(loadable("shapes_mod:number", allowed))
    assert "No module named 'nope_mod'" in str(loadable("nope_mod:x", allowed))
    assert "AttributeError" in str(loadable("shapes_mod:missing", allowed))
    assert "not allowed" in str(loadable("shapes_mod:good", set()))
    assert os.getcwd() != ""  # (the check never changes the working directory)
