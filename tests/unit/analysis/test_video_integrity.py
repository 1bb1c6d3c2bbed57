"""Integrity verdicts and the permanent errors for files that cannot be analysed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reelq.analysis.base import LocalContext
from reelq.analysis.video import analyze
from reelq.errors import PermanentJobError
from reelq.testing.corpus import CorpusClip

Analyse = Callable[[str], Any]


@pytest.mark.parametrize("key", ["truncated_end", "header_only", "empty", "text"])
def test_unreadable_files_fail_permanently_with_a_readable_reason(
    corpus: dict[str, CorpusClip], tmp_path: Path, key: str
) -> None:
    with pytest.raises(PermanentJobError) as caught:
        analyze(corpus[key].path, LocalContext(artifacts=tmp_path))
    assert caught.value.code == "unreadable_media"
    assert caught.value.retryable is False
    message = caught.value.message
    assert message.endswith(".") and "Error" not in message and len(message.split()) >= 5
    assert list(tmp_path.iterdir()) == []  # nothing half-written


def test_audio_only_file_has_no_video_stream(corpus: dict[str, CorpusClip], tmp_path: Path) -> None:
    with pytest.raises(PermanentJobError) as caught:
        analyze(corpus["audio_only"].path, LocalContext(artifacts=tmp_path))
    assert caught.value.code == "no_video_stream"


def test_a_missing_file_is_unreadable(tmp_path: Path) -> None:
    with pytest.raises(PermanentJobError) as caught:
        analyze(tmp_path / "gone.mp4", LocalContext(artifacts=tmp_path))
    assert caught.value.code == "unreadable_media"


def test_intact_clip_is_ok(analysed: Analyse) -> None:
    integrity = analysed("basic").result["integrity"]
    assert integrity["status"] == "ok"
    assert integrity["frames_decoded"] == 180
    assert integrity["video_decode_errors"] == integrity["audio_decode_errors"] == 0
    assert integrity["missing_seconds"] == 0.0
    assert integrity["decoded_duration"] == pytest.approx(6.0, abs=0.04)


def test_truncated_upload_with_index_at_front_is_partial(analysed: Analyse) -> None:
    result = analysed("truncated_front").result
    integrity = result["integrity"]
    assert integrity["status"] == "partial"
    assert integrity["truncated"] is True
    assert integrity["declared_duration"] == pytest.approx(6.0, abs=0.05)
    # 60 % of the bytes: roughly 3.6 s decodable, so 1.5 to 4 s missing
    assert 1.5 < integrity["missing_seconds"] < 4.0
    assert integrity["decoded_duration"] + integrity["missing_seconds"] == pytest.approx(6.0, abs=0.05)
    # the part that is there is still analysed: the first cut is found
    assert result["cuts"][0] == pytest.approx(2.0, abs=1 / 30)


def test_garbage_in_the_middle_is_corrupt_and_located(analysed: Analyse) -> None:
    integrity = analysed("garbled").result["integrity"]
    assert integrity["status"] == "corrupt"
    assert integrity["video_decode_errors"] + integrity["audio_decode_errors"] > 0
    assert integrity["error_times"], "where the damage is must be reported"
    # the 4 KB of garbage sit at half of the file: the middle of the 6 s clip
    assert all(1.5 < t < 4.5 for t in integrity["error_times"])
    # decoding went on after the damage
    assert integrity["frames_decoded"] > 150
