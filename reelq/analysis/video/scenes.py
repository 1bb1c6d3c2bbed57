"""Scene cuts from consecutive small frames, decided online (no look-ahead) so thumbnails can follow."""

from __future__ import annotations

import itertools
from collections import deque
from dataclasses import dataclass

import cv2
import numpy as np

CUT_SIZE = (64, 36)  # (width, height) the frames are reduced to before comparing; kills texture and noise
MIN_SCORE = 12.0  # a cut changes the picture by at least this much (sum of mean |ΔY|+|ΔU|+|ΔV|, 0..765)
RATIO = 3.0  # ... and by this many times more than the recent frame-to-frame change
WINDOW = 24  # frames of recent history the ratio is taken against
MIN_SCENE_SECONDS = 0.3  # a flash or a fast whip does not start a scene every frame


@dataclass(frozen=True)
class Cut:
    time: float  # pts of the first frame of the new scene
    score: float


class CutDetector:
    """Feed it every frame's small Y/U/V planes in presentation order; it says when a new scene starts.

    The score is the mean absolute change of luma *and* chroma on a 64-px picture, so an orange to green
    cut with similar brightness is still seen, while a moving subject or noise barely registers.
    """

    def __init__(self) -> None:
        self._prev: np.ndarray | None = None
        self._recent: deque[float] = deque(maxlen=WINDOW)
        self._last_cut_time: float | None = None
        self.cuts: list[Cut] = []

    def feed(self, time: float, y: np.ndarray, u: np.ndarray, v: np.ndarray) -> bool:
        """Returns True when the frame at ``time`` starts a new scene."""
        height = CUT_SIZE[1]
        planes = [
            cv2.resize(y, CUT_SIZE, interpolation=cv2.INTER_AREA),
            cv2.resize(u, (CUT_SIZE[0], height), interpolation=cv2.INTER_AREA),
            cv2.resize(v, (CUT_SIZE[0], height), interpolation=cv2.INTER_AREA),
        ]
        current = np.stack(planes).astype(np.int16)
        prev, self._prev = self._prev, current
        if prev is None:
            self._last_cut_time = time
            return False
        score = float(np.abs(current - prev).mean()) * 3.0
        baseline = (sum(self._recent) / len(self._recent)) if self._recent else 0.0
        long_enough = self._last_cut_time is None or time - self._last_cut_time >= MIN_SCENE_SECONDS
        if score >= MIN_SCORE and score >= RATIO * (baseline + 1.0) and long_enough:
            self.cuts.append(Cut(time=time, score=score))
            self._last_cut_time = time
            self._recent.clear()  # the new scene has its own level of activity
            return True
        self._recent.append(score)
        return False


def scene_spans(cuts: list[float], start: float, end: float) -> list[tuple[float, float]]:
    """Scenes as (start, end) spans between the first frame, each cut and the end of the video."""
    bounds = [start, *cuts, end]
    return [(a, b) for a, b in itertools.pairwise(bounds) if b > a]
