"""What the analyzer must not get wrong, on generated media: compression, 5.1 silence, impossible dates."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from analysis_media import moving_picture, tone, write

from reelq.analysis import probe
from reelq.analysis.base import LocalContext
from reelq.analysis.video import analyze
from reelq.analysis.video.compression import blockiness, level
from reelq.analysis.video.media import plausible_date, recording_time


def run(path: Path, tmp_path: Path) -> dict[str, Any]:
    artifacts = tmp_path / f"art-{path.stem}"
    artifacts.mkdir(exist_ok=True)
    return analyze(path, LocalContext(artifacts=artifacts))


@pytest.mark.parametrize("codec", ["libx264", "libx265"])
def test_a_low_bit_rate_encode_is_compressed_and_a_high_one_is_not(codec: str, tmp_path: Path) -> None:
    picture = moving_picture()
    frames = [picture(i) for i in range(60)]
    suffix = ".mp4"
    low = write(tmp_path / f"low{suffix}", frames, codec=codec, bit_rate=40_000)
    high = write(tmp_path / f"high{suffix}", frames, codec=codec, bit_rate=3_000_000)
    low_c = run(low, tmp_path)
    high_c = run(high, tmp_path)
    lc, hc = low_c["quality"]["compression"], high_c["quality"]["compression"]
    assert lc["level"] != "ok", lc
    assert hc["level"] == "ok", hc
    assert lc["bits_per_pixel"] < 0.03 < 0.2 < hc["bits_per_pixel"]
    assert "compressed" in low_c["summary"] and "compressed" not in high_c["summary"]
    assert any(f["code"].startswith("compression.") and f["level"] == "warn" for f in low_c["findings"])
    assert high_c["findings"][0]["code"] == "compression.ok"


def test_blockiness_sees_an_8x8_grid_and_nothing_in_a_smooth_picture() -> None:
    rng = np.random.default_rng(1)
    detail = rng.integers(0, 256, size=(64, 64)).astype(np.uint8)
    assert blockiness(detail) == pytest.approx(1.0, abs=0.15)
    blocks = np.kron(rng.integers(0, 256, size=(8, 8)), np.ones((8, 8))).astype(np.uint8)
    blocks = np.clip(blocks.astype(np.int16) + rng.integers(-3, 4, size=(64, 64)), 0, 255).astype(np.uint8)
    assert blockiness(blocks) is not None and blockiness(blocks) > 5  # type: ignore[operator]
    assert blockiness(np.full((64, 64), 128, np.uint8)) is None  # flat: nothing to judge
    # the thresholds, one at a time; a still picture needs fewer bits
    assert level(0.1, 1.0, "h264", still=0.0) == "ok"
    assert level(0.03, 1.0, "h264", still=0.0) == "compressed"
    assert level(0.04, 1.0, "hevc", still=0.0) == "ok"
    assert level(0.01, None, "h264", still=0.0) == "heavy"
    assert level(0.02, 1.0, "h264", still=0.9) == "ok"
    assert level(0.5, 1.7, "mpeg4", still=0.0) == "heavy"


def test_surround_sound_on_the_front_channels_is_not_silence(tmp_path: Path) -> None:
    """5.1 with a quiet tone on FL and FR only: averaged over six channels it would read as silence."""
    picture = moving_picture()
    seconds = 3.0
    front = tone(seconds, amplitude=0.01)  # about -43 dBFS on each front channel
    empty = np.zeros_like(front)
    audio = np.stack([front, front, empty, empty, empty, empty])  # FL FR FC LFE BL BR
    clip = write(
        tmp_path / "surround.mp4",
        [picture(i) for i in range(90)],
        bit_rate=1_000_000,
        audio=audio,
        layout="5.1",
    )
    result = run(clip, tmp_path)
    assert result["metadata"]["audio"]["channels"] == 6
    assert result["silent_segments"] == []
    # the level timeline is the loudest channel's too: the tone, not an average with five empty channels
    levels = [v for v in result["timelines"]["loudness"] if v is not None]
    assert min(levels[1:-1]) > -46.0


def test_a_pause_in_surround_sound_is_still_found(tmp_path: Path) -> None:
    picture = moving_picture()
    front = tone(3.0, amplitude=0.2)
    front[samples(1.0) : samples(2.0)] = 0.0
    lfe = tone(3.0, amplitude=0.3, freq=60.0)  # the subwoofer alone does not make a stretch sound
    empty = np.zeros_like(front)
    audio = np.stack([front, front, front, lfe, empty, empty])
    clip = write(tmp_path / "pause.mp4", [picture(i) for i in range(90)], audio=audio, layout="5.1")
    silent = run(clip, tmp_path)["silent_segments"]
    assert len(silent) == 1
    assert silent[0]["start"] == pytest.approx(1.0, abs=0.1)
    assert silent[0]["end"] == pytest.approx(2.0, abs=0.1)


def samples(seconds: float) -> int:
    return round(seconds * 48000)


@pytest.mark.parametrize(
    "tags",
    [
        {"creation_time": "1970-01-01T00:00:00.000000Z"},
        {"creation_time": "2099-06-01T10:00:00.000000Z"},
        {"creation_time": "1904-01-01T00:00:00.000000Z"},
        {"com.apple.quicktime.creationdate": "1970-01-01T01:00:00+0100", "creation_time": "not a date"},
    ],
    ids=["epoch", "future", "quicktime-zero", "epoch-apple"],
)
def test_impossible_recording_dates_are_left_out(tags: dict[str, str], tmp_path: Path) -> None:
    picture = moving_picture()
    clip = write(tmp_path / "dated.mp4", [picture(i) for i in range(15)], tags=tags)
    assert run(clip, tmp_path)["metadata"]["creation_time"] is None
    assert probe.analyze(clip, LocalContext(artifacts=tmp_path))["metadata"]["creation_time"] is None


def test_a_true_date_is_kept_and_wins_over_an_impossible_one(tmp_path: Path) -> None:
    picture = moving_picture()
    tags = {
        "com.apple.quicktime.creationdate": "1970-01-01T00:00:00Z",
        "creation_time": "2024-05-01T12:34:56.000000Z",
    }
    clip = write(tmp_path / "dated.mp4", [picture(i) for i in range(15)], tags=tags)
    assert run(clip, tmp_path)["metadata"]["creation_time"] == "2024-05-01T12:34:56.000000Z"


def test_plausible_dates() -> None:
    now = datetime(2026, 6, 1, tzinfo=UTC)
    good = ["2024-05-01T12:34:56+0200", "1990-01-01T00:00:00Z", "2026-06-01T20:00:00Z", "2019", "2026-06"]
    bad = ["1970-01-01T00:00:00.000000Z", "1989-12-31T23:59:59Z", "2026-06-03T00:00:00Z", "2027", "soon", ""]
    assert [plausible_date(d, now) for d in good] == [True] * len(good)
    assert [plausible_date(d, now) for d in bad] == [False] * len(bad)
    assert recording_time({"date": "2020", "creation_time": "1970-01-01T00:00:00Z"}, now) == "2020"
