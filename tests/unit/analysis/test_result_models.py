"""The result models (reelq/analysis/results.py) describe exactly what the builtin analyzers return.

Each real result must validate strictly and come back unchanged from the model: a key the model
lacks would be dropped, a key the result lacks would be added, so either kind of drift fails here.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from reelq.analysis import probe
from reelq.analysis.base import LocalContext
from reelq.analysis.results import ProbeResult, VideoResult
from reelq.analysis.video import analyze
from reelq.app import create_app
from reelq.testing import make_clip

from support import fast_settings

Analyse = Callable[[str], Any]


def assert_exact(model: type[BaseModel], result: dict[str, Any]) -> None:
    as_json = json.loads(json.dumps(result, allow_nan=False))
    parsed = model.model_validate(as_json, strict=True)
    assert parsed.model_dump(mode="json") == as_json


@pytest.mark.parametrize(
    "name,options",
    [
        ("clip.mp4", {}),
        ("silent.mkv", {"audio": False}),
        ("portrait.mov", {"width": 240, "height": 320}),
        ("clip.webm", {"seconds": 1.0}),
    ],
)
def test_video_and_probe_results_match_their_models(
    tmp_path: Path, name: str, options: dict[str, Any]
) -> None:
    clip = make_clip(tmp_path / name, **options)
    video = analyze(clip, LocalContext(artifacts=tmp_path))
    probed = probe.analyze(clip, LocalContext(artifacts=tmp_path))
    assert_exact(VideoResult, video)
    assert_exact(ProbeResult, probed)
    # one metadata shape: probe says everything video says, except what needs every frame
    expected = json.loads(json.dumps(video["metadata"]))
    expected["video"].update(frame_rate=None, variable_frame_rate=None)
    assert probed["metadata"] == expected


@pytest.mark.parametrize(
    "key", ["basic", "hdr", "vfr", "shaky", "garbled", "truncated_front", "portrait_hevc"]
)
def test_corpus_results_match_the_model(analysed: Analyse, key: str) -> None:
    assert_exact(VideoResult, analysed(key).result)


def test_a_result_with_an_unknown_key_does_not_match(analysed: Analyse) -> None:
    result = json.loads(json.dumps(analysed("basic").result))
    result["quality"]["exposure"]["new_field"] = 1
    with pytest.raises(AssertionError):
        assert_exact(VideoResult, result)
    del result["quality"]["exposure"]["new_field"]
    del result["summary"]
    with pytest.raises(ValueError):
        assert_exact(VideoResult, result)


def test_openapi_types_the_result_of_the_builtin_analyzers(tmp_path: Path) -> None:
    doc = create_app(fast_settings(tmp_path / "d", embedded_worker=False)).openapi()
    schemas = doc["components"]["schemas"]
    result = schemas["JobOut"]["properties"]["result"]["anyOf"]
    refs = [r.get("$ref") for r in result]
    assert "#/components/schemas/VideoResult" in refs and "#/components/schemas/ProbeResult" in refs
    assert {"type": "null"} in result and any(r.get("type") == "object" for r in result)  # custom analyzers
    assert set(schemas["VideoResult"]["required"]) >= {"summary", "metadata", "timelines", "quality"}
    assert schemas["ProbeResult"]["properties"]["metadata"] == {"$ref": "#/components/schemas/MediaMetadata"}
