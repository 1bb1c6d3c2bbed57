"""Sharpness of sampled frames and exposure of every frame."""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from reelq_client.findings import sharpness_level

SHARPNESS_LONG_SIDE = 640  # sampled frames are measured at this size (never upscaled)
SHARPNESS_INTERVAL = 0.2  # seconds between sharpness samples
SHARPEST_COUNT = 3
SHARPEST_MIN_GAP = 1.0  # seconds between two reported sharpest frames

# Luma arrives as limited-range video levels (16..235) for almost every phone clip.
BLACK, WHITE = 16.0, 235.0
DARK_LEVEL = BLACK + 0.06 * (WHITE - BLACK)  # "crushed" pixels
CLIP_LEVEL = WHITE - 0.02 * (WHITE - BLACK)  # "clipped" pixels
TOO_DARK_MEAN = 0.18
TOO_DARK_FRACTION = 0.5
CLIPPED_FRACTION = 0.05


def brightness(y: np.ndarray) -> float:
    """Mean luma mapped to 0 (black) .. 1 (white)."""
    return min(1.0, max(0.0, (float(y.mean()) - BLACK) / (WHITE - BLACK)))


def sharpness(gray: np.ndarray) -> float:
    """Contrast-normalised detail: std of the Laplacian over std of the picture.

    Dividing by the picture's own contrast keeps a dark but sharp clip from scoring as blurry.
    """
    contrast = float(cv2.meanStdDev(gray)[1][0, 0])  # several times faster than ndarray.std()
    if contrast < 2.0:  # a flat picture (black frame, sky) has no detail to judge
        return 0.0
    lap = cv2.Laplacian(gray, cv2.CV_16S, ksize=3)
    return float(cv2.meanStdDev(lap)[1][0, 0]) / contrast


@dataclass
class Exposure:
    frames: int = 0
    brightness_sum: float = 0.0
    dark_sum: float = 0.0
    clipped_sum: float = 0.0

    def feed(self, y: np.ndarray) -> float:
        """Accumulates this frame; returns its brightness."""
        value = brightness(y)
        n = y.size
        self.frames += 1
        self.brightness_sum += value
        self.dark_sum += int(np.count_nonzero(y <= DARK_LEVEL)) / n
        self.clipped_sum += int(np.count_nonzero(y >= CLIP_LEVEL)) / n
        return value

    def summary(self) -> dict[str, float | bool | None]:
        if not self.frames:
            return {
                "mean_brightness": None,
                "dark_fraction": None,
                "clipped_fraction": None,
                "too_dark": False,
                "clipped_highlights": False,
            }
        mean = self.brightness_sum / self.frames
        dark = self.dark_sum / self.frames
        clipped = self.clipped_sum / self.frames
        return {
            "mean_brightness": round(mean, 3),
            "dark_fraction": round(dark, 3),
            "clipped_fraction": round(clipped, 3),
            "too_dark": mean < TOO_DARK_MEAN or dark > TOO_DARK_FRACTION,
            "clipped_highlights": clipped > CLIPPED_FRACTION,
        }


@dataclass
class SharpnessLog:
    samples: list[tuple[float, float]] = field(default_factory=list)  # (time, score)

    def add(self, time: float, score: float) -> None:
        self.samples.append((time, score))

    def summary(self) -> dict[str, object] | None:
        if not self.samples:
            return None
        scores = np.array([s for _, s in self.samples], dtype=np.float64)
        sharpest: list[dict[str, float]] = []
        for time, score in sorted(self.samples, key=lambda ts: (-ts[1], ts[0])):
            if len(sharpest) == SHARPEST_COUNT:
                break
            if all(abs(time - s["time"]) >= SHARPEST_MIN_GAP for s in sharpest):
                sharpest.append({"time": round(time, 3), "score": round(score, 3)})
        median = float(np.median(scores))
        return {
            "median": round(median, 3),
            "min": round(float(scores.min()), 3),
            "max": round(float(scores.max()), 3),
            "samples": len(self.samples),
            "sharpest": sharpest,
            "level": sharpness_level(median),
            "blurry": sharpness_level(median) == "blurry",
        }


def sample_size(width: int, height: int, long_side: int) -> tuple[int, int]:
    """(width, height) scaled so the long side is at most ``long_side``, both even."""
    scale = min(1.0, long_side / max(width, height))
    return max(2, round(width * scale / 2) * 2), max(2, round(height * scale / 2) * 2)
