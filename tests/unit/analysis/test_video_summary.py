"""The summary line and the findings at the top of a video result, built once by the analyzer."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from reelq_client.findings import (
    BLURRY_BELOW,
    SOFT_BELOW,
    build_findings,
    duration_text,
    findings_of,
    sharpness_level,
    summary,
)

Analyse = Callable[[str], Any]


def test_basic_clip_summary_and_findings(analysed: Analyse) -> None:
    result = analysed("basic").result
    # 6 s, 320×240, cuts at 2 and 4 s, a tripod shot, sharp, integrated loudness −14.4 LUFS
    assert result["summary"] == "6.0 s · 320×240 · 3 scenes · steady · sharp · \u221214 LUFS"
    assert summary(result) == result["summary"]
    assert result["findings"] == build_findings(result)
    codes = [f["code"] for f in result["findings"]]
    assert codes == [
        "compression.ok",
        "sharpness.sharp",
        "shake.steady",
        "exposure.ok",
        "audio.normal",
        "audio.silent_stretches",
    ]
    by_code = {f["code"]: f for f in result["findings"]}
    assert by_code["audio.silent_stretches"]["text"] == "Silent stretches: 1.0 s in all (1.0–2.0 s)."
    assert by_code["sharpness.sharp"]["level"] == "ok"


def test_summary_says_what_is_wrong_or_missing(analysed: Analyse) -> None:
    result = copy.deepcopy(analysed("basic").result)
    result["quality"]["loudness"] = None
    result["quality"]["shake"]["level"] = "shaky"
    result["quality"]["sharpness"].update(median=0.7, level="blurry", blurry=True)
    result["quality"]["exposure"]["too_dark"] = True
    result["quality"]["compression"]["level"] = "heavy"
    result["integrity"].update(status="partial", missing_seconds=2.5)
    result["scenes"] = result["scenes"][:1]
    assert summary(result) == (
        "6.0 s · 320×240 · 1 scene · shaky · blurry · heavily compressed · dark · no sound · incomplete"
    )
    codes = {f["code"]: f["level"] for f in build_findings(result)}
    assert codes == {
        "integrity.partial": "warn",
        "compression.heavy": "warn",
        "sharpness.blurry": "warn",
        "shake.shaky": "warn",
        "exposure.dark": "warn",
        "audio.none": "info",
    }
    result["quality"]["loudness"] = {"integrated_lufs": None, "loudness_range_lu": None, "peak_dbfs": None}
    result["quality"]["shake"] = None
    result["quality"]["compression"]["level"] = "compressed"
    assert "silent" in summary(result) and "shaky" not in summary(result)
    assert "noticeably compressed" in summary(result)


def test_sharpness_bands() -> None:
    assert (BLURRY_BELOW, SOFT_BELOW) == (1.0, 1.5)
    assert [sharpness_level(m) for m in (0.0, 0.99, 1.0, 1.49, 1.5, 3.0)] == [
        "blurry",
        "blurry",
        "soft",
        "soft",
        "sharp",
        "sharp",
    ]


def test_an_older_result_without_findings_gets_them_from_its_fields(analysed: Analyse) -> None:
    old = copy.deepcopy(analysed("basic").result)
    del old["findings"]
    del old["quality"]["compression"]
    del old["quality"]["sharpness"]["level"]
    old["analyzer"]["version"] = "1.1"
    codes = [f["code"] for f in findings_of(old)]
    assert codes[:2] == ["sharpness.sharp", "shake.steady"] and "compression.ok" not in codes
    # a result's own findings are shown as they are; malformed ones are skipped; other analyzers get none
    own = {"findings": [{"code": "x.y", "level": "warn", "text": "Hi."}, {"code": 1}, "no"]}
    assert findings_of(own) == [{"code": "x.y", "level": "warn", "text": "Hi."}]
    assert findings_of({"quality": old["quality"]}) == [] and findings_of(None) == []


def test_duration_text() -> None:
    assert [duration_text(s) for s in (0.04, 6.0, 59.9, 59.96, 125.4, 3725.0)] == [
        "0.0 s",
        "6.0 s",
        "59.9 s",
        "1 min 0 s",
        "2 min 5 s",
        "1 h 2 min",
    ]


def test_the_documented_sharpness_bands_are_the_ones_applied() -> None:
    docs = (Path(__file__).parents[3] / "docs" / "analysis.md").read_text()
    bands = docs[docs.index("**Sharpness bands**") :]
    rows = re.findall(
        r"^\| `(\w+)` \| ([^|]+) \|$", bands[: bands.index("\n\n", bands.index("| `level`"))], re.M
    )
    assert rows[0] == ("level", "median")
    assert rows[1:] == [
        ("blurry", f"below {BLURRY_BELOW:.1f}"),
        ("soft", f"{BLURRY_BELOW:.1f} to below {SOFT_BELOW:.1f}"),
        ("sharp", f"{SOFT_BELOW:.1f} and up"),
    ]
    # and the words every page shows come from the same numbers
    text = build_findings({"quality": {"sharpness": {"median": 1.2}}})[0]["text"]
    assert text == "Soft: median detail 1.20 (blurry below 1.0, soft below 1.5, sharp from 1.5)."
