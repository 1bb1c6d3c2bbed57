"""The quick start's sample clip gives the analysis something to find in every part."""

from __future__ import annotations

from pathlib import Path

import pytest

from reelq.analysis.base import LocalContext
from reelq.analysis.video import analyze
from reelq.testing.sample_clip import make_sample_clip


@pytest.mark.parametrize("seconds", [6.0, 9.0])
def test_the_sample_clip_shows_cuts_a_still_and_a_silent_stretch_and_shake(
    tmp_path: Path, seconds: float
) -> None:
    clip = make_sample_clip(tmp_path / "sample.mp4", seconds=seconds)
    (tmp_path / "artifacts").mkdir()
    result = analyze(clip, LocalContext(tmp_path / "artifacts"))
    assert abs(result["metadata"]["duration"] - seconds) < 0.1
    assert len(result["cuts"]) >= 2 and len(result["scenes"]) >= 3
    assert result["still_segments"] and result["silent_segments"]
    silent = result["silent_segments"][0]
    assert silent["start"] > 2 * seconds / 3  # the gap is where it was put: in the last scene
    assert result["quality"]["shake"]["jitter_percent"] > 0
    assert make_sample_clip(tmp_path / "again.mp4", seconds=seconds).read_bytes() == clip.read_bytes()
