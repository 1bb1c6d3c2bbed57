"""Camera shake: global motion between sampled frames (LK + RANSAC), high-passed, as an RMS jitter.

RANSAC fits one similarity transform to the tracked corners and throws out the ones that disagree,
so a subject moving across a steady shot does not count as camera motion (phase correlation does).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

SHAKE_INTERVAL = 0.2  # seconds between the frames compared (jitter shows at any sampling rate)
MAX_CORNERS = 80
MIN_TRACKS = 12
SMOOTH_SECONDS = 1.0  # camera moves slower than this are intended (pans), faster ones are shake
STEADY_BELOW = 0.3  # percent of the long side
SHAKY_ABOVE = 1.0


@dataclass
class _Step:
    time: float
    dx: float
    dy: float
    segment: int


@dataclass
class ShakeMeter:
    long_side: int
    steps: list[_Step] = field(default_factory=list)
    _prev: np.ndarray | None = None
    _segment: int = 0
    _next_time: float | None = None

    def due(self, time: float) -> bool:
        return self._next_time is None or time >= self._next_time

    def break_track(self) -> None:
        """A scene cut or a failed estimate: motion before and after is not one trajectory."""
        self._prev = None
        self._segment += 1

    def feed(self, time: float, y: np.ndarray) -> None:
        self._next_time = time + SHAKE_INTERVAL * 0.95
        prev, self._prev = self._prev, y
        if prev is None:
            return
        step = _global_shift(prev, y)
        if step is None:
            self._segment += 1
            return
        self.steps.append(_Step(time, step[0], step[1], self._segment))

    def summary(self) -> dict[str, object] | None:
        jitter: list[np.ndarray] = []
        for segment in sorted({s.segment for s in self.steps}):
            run = [s for s in self.steps if s.segment == segment]
            if len(run) < 4:
                continue
            path = np.cumsum(np.array([[s.dx, s.dy] for s in run], dtype=np.float64), axis=0)
            jitter.append(path - _smooth(path, max(3, round(SMOOTH_SECONDS / SHAKE_INTERVAL) | 1)))
        if not jitter:
            return None
        deviations = np.concatenate(jitter)
        rms = float(np.sqrt((deviations**2).sum(axis=1).mean()))
        percent = 100.0 * rms / self.long_side
        level = "steady" if percent < STEADY_BELOW else "shaky" if percent > SHAKY_ABOVE else "moderate"
        return {"jitter_percent": round(percent, 3), "level": level, "samples": len(deviations)}


def _global_shift(prev: np.ndarray, cur: np.ndarray) -> tuple[float, float] | None:
    corners = cv2.goodFeaturesToTrack(prev, maxCorners=MAX_CORNERS, qualityLevel=0.01, minDistance=7)
    if corners is None or len(corners) < MIN_TRACKS:
        return None
    moved, status, _err = cv2.calcOpticalFlowPyrLK(
        prev, cur, corners, corners.copy(), winSize=(11, 11), maxLevel=3
    )
    ok = status.reshape(-1) == 1
    if int(ok.sum()) < MIN_TRACKS:
        return None
    matrix, _inliers = cv2.estimateAffinePartial2D(
        corners[ok], moved[ok], method=cv2.RANSAC, ransacReprojThreshold=1.0
    )
    if matrix is None:
        return None
    cx, cy = prev.shape[1] / 2.0, prev.shape[0] / 2.0
    # where the picture centre goes: translation plus the effect of any small rotation/zoom
    dx = float(matrix[0, 0] * cx + matrix[0, 1] * cy + matrix[0, 2] - cx)
    dy = float(matrix[1, 0] * cx + matrix[1, 1] * cy + matrix[1, 2] - cy)
    return dx, dy


def _smooth(path: np.ndarray, window: int) -> np.ndarray:
    """Centred moving average, per column; odd reflection at the ends keeps a steady pan straight."""
    pad = min(window // 2, len(path) - 1)
    window = 2 * pad + 1
    padded = np.pad(path, ((pad, pad), (0, 0)), mode="reflect", reflect_type="odd")
    kernel = np.ones(window) / window
    return np.stack([np.convolve(padded[:, i], kernel, mode="valid") for i in range(path.shape[1])], axis=1)
