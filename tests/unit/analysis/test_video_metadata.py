"""Metadata the analyzer must read from the container and the first frame."""

from __future__ import annotations

import json
from collections.abc import Callable
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pytest

from reelq.analysis.base import LocalContext
from reelq.analysis.video import analyze
from reelq.analysis.video.media import normalize_rotation
from reelq.testing.videos import make_clip

Analyse = Callable[[str], Any]  # the session fixture in conftest.py


def test_basic_clip_metadata(analysed: Analyse) -> None:
    result = analysed("basic").result
    meta = result["metadata"]
    assert result["analyzer"] == {"name": "video", "version": "1.2"}
    assert meta["duration"] == pytest.approx(6.0, abs=0.05)
    video = meta["video"]
    assert (video["codec"], video["bit_depth"], video["hdr"]) == ("h264", 8, None)
    assert (video["coded_width"], video["coded_height"]) == (320, 240)
    assert (video["display_width"], video["display_height"], video["rotation"]) == (320, 240, 0)
    assert video["frame_rate"] == pytest.approx(30.0, abs=0.01)
    assert video["variable_frame_rate"] is False
    assert meta["audio"] == {
        "codec": "aac",
        "channels": 1,
        "layout": "mono",
        "sample_rate": 48000,
        "bit_rate": meta["audio"]["bit_rate"],
    }
    assert meta["device"] == {"make": "Apple", "model": "iPhone 15 Pro", "software": None}
    assert meta["creation_time"] == "2024-05-01T12:34:56.000000Z"


@pytest.mark.parametrize(
    ("key", "rotation", "display"),
    [
        ("portrait_h264", -90, (240, 320)),
        ("portrait_hevc", -90, (240, 320)),
        ("upside_down_h264", 180, (320, 240)),
        ("upside_down_hevc", 180, (320, 240)),
    ],
)
def test_rotation_and_display_size(
    analysed: Analyse, key: str, rotation: int, display: tuple[int, int]
) -> None:
    video = analysed(key).result["metadata"]["video"]
    assert video["rotation"] == rotation
    assert (video["display_width"], video["display_height"]) == display
    assert (video["coded_width"], video["coded_height"]) == (320, 240)
    assert video["codec"] == ("hevc" if key.endswith("hevc") else "h264")


def test_hdr_transfer_and_bit_depth(analysed: Analyse) -> None:
    video = analysed("hdr").result["metadata"]["video"]
    assert (video["hdr"], video["color_transfer"], video["bit_depth"]) == ("hlg", "arib-std-b67", 10)
    assert video["color_primaries"] == "bt2020"
    assert analysed("basic").result["metadata"]["video"]["hdr"] is None


def test_variable_frame_rate_is_flagged(analysed: Analyse) -> None:
    vfr = analysed("vfr").result["metadata"]["video"]
    assert vfr["variable_frame_rate"] is True
    # 60 frames over 2.9 s: the average comes from the timestamps, not the declared rate
    assert vfr["frame_rate"] == pytest.approx(59 / 2.9, abs=0.01)
    assert analysed("no_audio").result["metadata"]["video"]["variable_frame_rate"] is False


def test_no_audio_track(analysed: Analyse) -> None:
    result = analysed("no_audio").result
    assert result["metadata"]["audio"] is None
    assert result["metadata"]["video"]["frame_rate"] == pytest.approx(60.0, abs=0.01)
    assert result["timelines"]["loudness"] is None
    assert result["silent_segments"] == []
    assert result["quality"]["loudness"] is None
    assert result["integrity"]["frames_decoded"] == 120


@pytest.mark.parametrize("key", ["basic", "portrait_hevc", "vfr", "no_audio", "garbled", "truncated_front"])
def test_result_is_plain_json(analysed: Analyse, key: str) -> None:
    result = analysed(key).result
    assert json.loads(json.dumps(result, allow_nan=False)) == result


@pytest.mark.parametrize(
    ("degrees", "expected"), [(0, 0), (-90, -90), (270, -90), (90, 90), (-180, 180), (180, 180), (-270, 90)]
)
def test_normalize_rotation(degrees: int, expected: int) -> None:
    assert normalize_rotation(degrees) == expected


def test_entry_point_is_registered() -> None:
    names = {ep.name: ep.value for ep in entry_points(group="reelq.analyzers")}
    assert names["video"] == "reelq.analysis.video:analyze"


@pytest.mark.parametrize(("suffix", "codec"), [(".webm", "vp9"), (".mkv", "h264"), (".ts", "h264")])
def test_other_containers(tmp_path: Path, suffix: str, codec: str) -> None:
    clip = make_clip(tmp_path / f"clip{suffix}", seconds=2.0)
    result = analyze(clip, LocalContext(artifacts=tmp_path))
    assert result["metadata"]["video"]["codec"] == codec
    assert result["integrity"]["status"] == "ok"
    assert result["integrity"]["frames_decoded"] == 60
    assert result["quality"]["loudness"]["integrated_lufs"] == pytest.approx(-14.1, abs=1.0)
