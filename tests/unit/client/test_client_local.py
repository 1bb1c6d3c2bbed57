"""`analyze_local`: registered analyzers by name; a module:function only when imports are allowed."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from reelq.client.local import analyze_local
from reelq.errors import PermanentJobError


def test_the_builtin_analyzer_writes_thumbnails_to_out(clip: Path, tmp_path: Path) -> None:
    seen: list[float] = []
    result = analyze_local(clip, out=tmp_path / "out", on_progress=seen.append)
    assert result["analyzer"]["name"] == "video"
    assert result["thumbnails"]["poster"]["url"] == "/api/jobs/local/artifacts/poster.jpg"
    assert (tmp_path / "out" / "poster.jpg").stat().st_size > 0
    assert seen and seen[-1] == 1.0 and all(0.0 <= f <= 1.0 for f in seen)


def test_without_out_the_artifacts_are_not_kept(
    clip: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    assert analyze_local(clip, analyzer="probe")["metadata"]["video"]["display_width"] == 320
    assert list(tmp_path.iterdir()) == []


def test_a_module_function_is_imported_only_when_allowed(
    clip: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "mine.py").write_text(
        "import pathlib\n"
        f"pathlib.Path({str(tmp_path / 'imported')!r}).touch()\n"
        "def analyze(path, ctx):\n    ctx.progress(1.0)\n    return {'mine': True}\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(LookupError, match="--allow-import"):
        analyze_local(clip, analyzer="mine:analyze")
    assert not (tmp_path / "imported").exists() and "mine" not in sys.modules
    assert analyze_local(clip, analyzer="mine:analyze", allow_import=True) == {"mine": True}
    assert (tmp_path / "imported").exists()
    sys.modules.pop("mine", None)


def test_unknown_names_and_missing_files(clip: Path, tmp_path: Path) -> None:
    with pytest.raises(LookupError, match="installed: probe, video"):
        analyze_local(clip, analyzer="nope")
    with pytest.raises(FileNotFoundError):
        analyze_local(tmp_path / "missing.mp4")


def test_a_file_that_is_not_a_video_fails_like_a_job(tmp_path: Path) -> None:
    text = tmp_path / "a.mp4"
    text.write_text("hello")
    with pytest.raises(PermanentJobError) as exc:
        analyze_local(text)
    assert exc.value.code == "unreadable_media"
