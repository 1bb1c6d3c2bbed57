"""Motion energy per frame and the still segments it implies."""

from __future__ import annotations

import cv2
import numpy as np

CHANGE_LEVEL = 12  # a pixel whose luma moves by more than this (0..255) visibly changed
STILL_FRACTION = 0.0025  # a frame where fewer pixels than this changed is still
STILL_MIN_SECONDS = 1.0


class MotionMeter:
    """Mean absolute difference of consecutive luma frames at half the analysis size."""

    def __init__(self) -> None:
        self._prev: np.ndarray | None = None
        self._still_start: float | None = None
        self._last_time: float | None = None
        self.still_segments: list[tuple[float, float]] = []

    def feed(self, time: float, y: np.ndarray, new_scene: bool) -> float | None:
        """The motion value of this frame, or None for the first frame of the video or of a scene."""
        # halving by area averaging takes out most sensor and coding noise before differencing
        half = (max(1, y.shape[1] // 2), max(1, y.shape[0] // 2))
        small = cv2.resize(y, half, interpolation=cv2.INTER_AREA).astype(np.int16)
        prev, self._prev = self._prev, small
        if prev is None or new_scene:
            self._close_still(time)
            self._last_time = time
            return None
        delta = np.abs(small - prev)
        value = float(delta.mean())
        # the mean is the timeline's energy; stillness asks whether *anything* moved, however small
        if np.count_nonzero(delta > CHANGE_LEVEL) < STILL_FRACTION * delta.size:
            if self._still_start is None:
                # the still stretch begins at the previous frame, which this one equals
                self._still_start = self._last_time
        else:
            self._close_still(time)  # the still picture was on screen until this frame replaced it
        self._last_time = time
        return value

    def finish(self, end: float | None) -> list[tuple[float, float]]:
        self._close_still(end)
        return self.still_segments

    def _close_still(self, end: float | None) -> None:
        start, self._still_start = self._still_start, None
        if start is not None and end is not None and end - start >= STILL_MIN_SECONDS:
            self.still_segments.append((start, end))
