"""Sharpness, shake, exposure and loudness separate the clips built to differ in them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

Analyse = Callable[[str], Any]


def test_blurry_clip_is_less_sharp_and_flagged(analysed: Analyse) -> None:
    sharp = analysed("sharp").result["quality"]["sharpness"]
    blurry = analysed("blurry").result["quality"]["sharpness"]
    assert blurry["median"] < 0.6 * sharp["median"]
    assert blurry["blurry"] is True
    assert sharp["blurry"] is False


def test_sharpest_frames_are_reported_with_timestamps(analysed: Analyse) -> None:
    sharpness = analysed("basic").result["quality"]["sharpness"]
    sharpest = sharpness["sharpest"]
    assert len(sharpest) == 3
    times = [s["time"] for s in sharpest]
    assert all(0.0 <= t < 6.0 for t in times)
    assert min(abs(a - b) for i, a in enumerate(times) for b in times[i + 1 :]) >= 1.0
    assert sharpest[0]["score"] == sharpness["max"]


def test_dark_clip_is_flagged_too_dark(analysed: Analyse) -> None:
    exposure = analysed("dark").result["quality"]["exposure"]
    assert exposure["too_dark"] is True
    assert exposure["clipped_highlights"] is False
    assert exposure["mean_brightness"] < 0.15


def test_overexposed_clip_is_flagged_clipped(analysed: Analyse) -> None:
    exposure = analysed("overexposed").result["quality"]["exposure"]
    assert exposure["clipped_highlights"] is True
    assert exposure["too_dark"] is False
    assert exposure["clipped_fraction"] > 0.5


def test_normal_clip_has_no_exposure_flags(analysed: Analyse) -> None:
    exposure = analysed("sharp").result["quality"]["exposure"]
    assert (exposure["too_dark"], exposure["clipped_highlights"]) == (False, False)
    assert 0.3 < exposure["mean_brightness"] < 0.7


def test_shaky_pan_is_shaky_and_steady_pan_is_steady(analysed: Analyse) -> None:
    shaky = analysed("shaky").result["quality"]["shake"]
    steady = analysed("steady_pan").result["quality"]["shake"]
    assert shaky["level"] == "shaky"
    assert steady["level"] == "steady"
    # 4 px σ per axis on a 320 px frame: about 5.7 px RMS, 1.8 % of the width
    assert shaky["jitter_percent"] == pytest.approx(1.77, rel=0.35)
    assert steady["jitter_percent"] < 0.1


def test_moving_subject_on_a_tripod_is_not_shake(analysed: Analyse) -> None:
    shake = analysed("tripod_subject").result["quality"]["shake"]
    assert shake["level"] == "steady"
    assert shake["jitter_percent"] < 0.1


def test_integrated_loudness(analysed: Analyse) -> None:
    loudness = analysed("basic").result["quality"]["loudness"]
    # a 0.3-amplitude 440 Hz tone is about -13.5 LUFS; the second of silence is gated out
    assert loudness["integrated_lufs"] == pytest.approx(-14.0, abs=1.5)
    # the sample peak is the tone's -10.5 dBFS plus the AAC overshoot where the tone stops abruptly
    assert -11.0 < loudness["peak_dbfs"] < -6.0
