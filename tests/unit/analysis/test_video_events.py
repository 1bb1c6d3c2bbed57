"""Scene cuts, still segments and silent segments at the times they were made."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from reelq.analysis.video.scenes import scene_spans
from reelq.analysis.video.timelines import Layout, Timeline

Analyse = Callable[[str], Any]
FRAME = 1 / 30


def test_cuts_are_found_within_one_frame(analysed: Analyse) -> None:
    result = analysed("basic").result
    truth = analysed("basic").clip.truth["cuts"]
    assert len(result["cuts"]) == len(truth)
    for found, expected in zip(result["cuts"], truth, strict=True):
        assert abs(found - expected) <= FRAME


def test_scenes_span_the_clip_between_cuts(analysed: Analyse) -> None:
    scenes = analysed("basic").result["scenes"]
    assert [(s["start"], s["end"]) for s in scenes] == [
        (0.0, pytest.approx(2.0, abs=FRAME)),
        (pytest.approx(2.0, abs=FRAME), pytest.approx(4.0, abs=FRAME)),
        (pytest.approx(4.0, abs=FRAME), pytest.approx(6.0, abs=FRAME)),
    ]
    assert [s["index"] for s in scenes] == [0, 1, 2]


def test_cut_time_comes_from_timestamps_on_variable_frame_rate(analysed: Analyse) -> None:
    # frame index / average fps would put this cut near 2.7 s
    assert analysed("vfr").result["cuts"] == [pytest.approx(2.0, abs=0.1 / 2)]


@pytest.mark.parametrize("key", ["steady_pan", "shaky", "tripod_subject", "no_audio", "portrait_hevc"])
def test_no_false_cuts_from_camera_or_subject_motion(analysed: Analyse, key: str) -> None:
    result = analysed(key).result
    assert result["cuts"] == []
    assert len(result["scenes"]) == 1


def test_still_segment_within_a_tenth_of_a_second(analysed: Analyse) -> None:
    still = analysed("basic").result["still_segments"]
    assert len(still) == 1
    assert still[0]["start"] == pytest.approx(3.0, abs=0.1)
    assert still[0]["end"] == pytest.approx(4.0, abs=0.1)


@pytest.mark.parametrize("key", ["steady_pan", "shaky", "tripod_subject", "sharp"])
def test_moving_clips_have_no_still_segments(analysed: Analyse, key: str) -> None:
    assert analysed(key).result["still_segments"] == []


def test_silent_segment_within_a_tenth_of_a_second(analysed: Analyse) -> None:
    silent = analysed("basic").result["silent_segments"]
    assert len(silent) == 1
    assert silent[0]["start"] == pytest.approx(1.0, abs=0.1)
    assert silent[0]["end"] == pytest.approx(2.0, abs=0.1)


def test_timelines_cover_the_clip_at_half_second_steps(analysed: Analyse) -> None:
    timelines = analysed("basic").result["timelines"]
    assert timelines["step"] == 0.5
    assert len(timelines["motion"]) == len(timelines["brightness"]) == len(timelines["loudness"]) == 12
    loudness = timelines["loudness"]
    # bins 2 and 3 (1.0-2.0 s) are digital silence, the tone is about -13 dBFS elsewhere
    assert max(loudness[2:4]) < -60
    assert min(loudness[:2] + loudness[4:]) > -20
    motion = timelines["motion"]
    # the subject stands still from 3.0 to 4.0 s (bins 6 and 7)
    assert max(motion[6:8]) < 0.5 * min(motion[:4])
    assert all(0.0 <= b <= 1.0 for b in timelines["brightness"])


def test_timeline_bins_and_spans() -> None:
    line = Timeline(step=0.5)
    for t, v in [(-0.05, 1.0), (0.1, 3.0), (0.6, 5.0), (1.6, 7.0)]:
        line.add(t, v)
    assert line.values(Layout(0, 1, 5)) == [2.0, 5.0, None, 7.0, None]
    assert line.values(Layout(0, 2, 3)) == [3.0, 7.0, None]  # wider bins average the observations
    assert Layout.over(0.0, 6.0).count == 12 and Layout.over(0.0, 6.01).count == 13
    assert scene_spans([2.0, 4.0], 0.0, 6.0) == [(0.0, 2.0), (2.0, 4.0), (4.0, 6.0)]
