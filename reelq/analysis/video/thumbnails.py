"""Poster and per-scene thumbnails: the best sampled frame of each scene, upright, as JPEG artifacts."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import cv2
import numpy as np

from reelq.analysis.base import artifact_url
from reelq.analysis.video.quality import sample_size

POSTER_LONG_SIDE = 1280
SCENE_LONG_SIDE = 480
JPEG_QUALITY = 85
MAX_SCENE_THUMBNAILS = 200  # a 5-minute montage rarely has more; later scenes get no thumbnail


@dataclass
class _Candidate:
    frame: av.VideoFrame
    time: float
    score: float


def candidate_score(sharpness: float, brightness: float) -> float:
    """Prefer sharp frames, but never a nearly black or blown-out one when anything better exists."""
    exposure_ok = 0.12 <= brightness <= 0.88
    return sharpness * (1.0 if exposure_ok else 0.2) + 1e-6


class ThumbnailPicker:
    """Holds at most two decoded frames (this scene's best and the poster's best) at any time."""

    def __init__(self, artifacts: Path, job_id: str, rotation: int) -> None:
        self.artifacts = artifacts
        self.job_id = job_id
        self.rotation = rotation
        self._scene: _Candidate | None = None
        self._poster: _Candidate | None = None
        self.scene_thumbnails: list[dict[str, Any] | None] = []

    def offer(self, frame: av.VideoFrame, time: float, score: float) -> None:
        if self._scene is None or score > self._scene.score:
            self._scene = _Candidate(frame, time, score)
        if self._poster is None or score > self._poster.score:
            self._poster = _Candidate(frame, time, score)

    def close_scene(self) -> None:
        """Writes the finished scene's thumbnail (or records None when it had no sampled frame)."""
        candidate, self._scene = self._scene, None
        index = len(self.scene_thumbnails)
        if candidate is None or index >= MAX_SCENE_THUMBNAILS:
            self.scene_thumbnails.append(None)
            return
        self.scene_thumbnails.append(self._write(candidate, f"scene-{index:03d}.jpg", SCENE_LONG_SIDE))

    def poster(self) -> dict[str, Any] | None:
        candidate, self._poster = self._poster, None
        return None if candidate is None else self._write(candidate, "poster.jpg", POSTER_LONG_SIDE)

    def _write(self, candidate: _Candidate, name: str, long_side: int) -> dict[str, Any]:
        frame = candidate.frame
        width, height = sample_size(frame.width, frame.height, long_side)
        image = frame.to_ndarray(width=width, height=height, format="bgr24", interpolation="AREA")
        upright = np.ascontiguousarray(np.rot90(image, k=self.rotation // 90), dtype=np.uint8)
        ok, encoded = cv2.imencode(".jpg", upright, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
        if not ok:  # pragma: no cover - OpenCV always encodes a valid uint8 BGR image
            raise RuntimeError(f"could not encode {name}")
        (self.artifacts / name).write_bytes(encoded.tobytes())
        return {
            "name": name,
            "url": artifact_url(self.job_id, name),
            "time": round(candidate.time, 3),
            "width": int(upright.shape[1]),
            "height": int(upright.shape[0]),
        }
