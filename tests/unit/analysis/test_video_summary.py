"""The one-line summary at the top of a video result."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from reelq.analysis.video.summary import duration_text, summary

Analyse = Callable[[str], Any]


def test_basic_clip_summary(analysed: Analyse) -> None:
    result = analysed("basic").result
    # 6 s, 320×240, cuts at 2 and 4 s, a tripod shot, sharp, integrated loudness −14.4 LUFS
    assert result["summary"] == "6.0 s · 320×240 · 3 scenes · steady · sharp · \u221214 LUFS"
    assert summary(result) == result["summary"]


def test_summary_says_what_is_wrong_or_missing(analysed: Analyse) -> None:
    result = copy.deepcopy(analysed("basic").result)
    result["quality"]["loudness"] = None
    result["quality"]["shake"]["level"] = "shaky"
    result["quality"]["sharpness"]["blurry"] = True
    result["quality"]["exposure"]["too_dark"] = True
    result["integrity"]["status"] = "partial"
    result["scenes"] = result["scenes"][:1]
    assert summary(result) == "6.0 s · 320×240 · 1 scene · shaky · blurry · dark · no sound · incomplete"
    result["quality"]["loudness"] = {"integrated_lufs": None, "loudness_range_lu": None, "peak_dbfs": None}
    result["quality"]["shake"] = None
    assert "silent" in summary(result) and "shaky" not in summary(result)


def test_duration_text() -> None:
    assert [duration_text(s) for s in (0.04, 6.0, 59.9, 59.96, 125.4, 3725.0)] == [
        "0.0 s",
        "6.0 s",
        "59.9 s",
        "1 min 0 s",
        "2 min 5 s",
        "1 h 2 min",
    ]
