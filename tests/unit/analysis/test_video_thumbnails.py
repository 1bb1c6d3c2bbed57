"""Thumbnails are written as upright JPEG artifacts and listed with their URLs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import cv2
import numpy as np
import pytest

from reelq.analysis.base import LocalContext
from reelq.analysis.video import analyze, analyzer
from reelq.testing.corpus import CorpusClip

Analyse = Callable[[str], Any]


def _load(path: Any) -> np.ndarray:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    assert image is not None, f"{path} is not a readable JPEG"
    return np.asarray(image)


def test_poster_and_one_thumbnail_per_scene(analysed: Analyse) -> None:
    done = analysed("basic")
    thumbs = done.result["thumbnails"]
    assert thumbs["poster"]["name"] == "poster.jpg"
    assert thumbs["poster"]["url"] == "/api/jobs/job-basic/artifacts/poster.jpg"
    names = [t["name"] for t in thumbs["scenes"]]
    assert names == ["scene-000.jpg", "scene-001.jpg", "scene-002.jpg"]
    for scene, thumb in zip(done.result["scenes"], thumbs["scenes"], strict=True):
        assert scene["thumbnail"] == thumb
        assert scene["start"] <= thumb["time"] < scene["end"]
        image = _load(done.artifacts / thumb["name"])
        assert (image.shape[1], image.shape[0]) == (thumb["width"], thumb["height"])
    assert sorted(p.name for p in done.artifacts.iterdir()) == sorted(["poster.jpg", *names])


def test_scene_thumbnails_show_their_scene(analysed: Analyse) -> None:
    done = analysed("basic")
    # scenes are tinted orange, blue, green: the dominant channel of each thumbnail says which
    dominant = []
    for thumb in done.result["thumbnails"]["scenes"]:
        b, g, r = _load(done.artifacts / thumb["name"]).reshape(-1, 3).mean(axis=0)
        dominant.append(["blue", "green", "red"][int(np.argmax([b, g, r]))])
    assert dominant == ["red", "blue", "green"]


@pytest.mark.parametrize("key", ["portrait_h264", "portrait_hevc", "upside_down_h264", "upside_down_hevc"])
def test_thumbnails_are_upright(analysed: Analyse, key: str) -> None:
    done = analysed(key)
    width, height = done.clip.truth["display"]
    for thumb in [done.result["thumbnails"]["poster"], *done.result["thumbnails"]["scenes"]]:
        image = _load(done.artifacts / thumb["name"])
        assert (image.shape[1] > image.shape[0]) == (width > height)
        red = image[:, :, 2].astype(float) - image[:, :, 1]
        band = max(1, image.shape[0] // 8)
        # the red marker was drawn across the top of the upright picture
        assert red[:band].mean() > 100
        assert red[-band:].mean() < 40
        assert red[:, :band].mean() < red[:band].mean()


def test_progress_is_reported_and_ends_at_one(
    corpus: dict[str, CorpusClip], tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(analyzer, "PROGRESS_EVERY", 0.0)
    ctx = LocalContext(artifacts=tmp_path)
    analyze(corpus["basic"].path, ctx)
    assert len(ctx.reported) > 20
    assert ctx.reported == sorted(ctx.reported)
    assert ctx.reported[-1] == 1.0
    assert ctx.reported[-2] < 1.0
