"""Per-step timelines: values observed at arbitrary timestamps averaged into fixed bins."""

from __future__ import annotations

import math

STEP_SECONDS = 0.5


class Timeline:
    """Average of the values observed in each ``[k*step, (k+1)*step)`` bin (negative times go to bin 0)."""

    def __init__(self, step: float = STEP_SECONDS) -> None:
        self.step = step
        self._sums: list[float] = []
        self._counts: list[int] = []

    def add(self, time: float, value: float) -> None:
        index = max(0, int(time / self.step))
        if index >= len(self._sums):
            grow = index + 1 - len(self._sums)
            self._sums.extend([0.0] * grow)
            self._counts.extend([0] * grow)
        self._sums[index] += value
        self._counts[index] += 1

    def __len__(self) -> int:
        return len(self._sums)

    def values(self, length: int | None = None, digits: int = 3) -> list[float | None]:
        """The bin means, padded with ``None`` to ``length``; a bin with no observation is ``None``."""
        out: list[float | None] = [
            round(s / c, digits) if c else None for s, c in zip(self._sums, self._counts, strict=True)
        ]
        if length is not None:
            out = out[:length] + [None] * max(0, length - len(out))
        return out


def bins_for(duration: float, step: float = STEP_SECONDS) -> int:
    """How many bins cover ``duration`` seconds."""
    return max(1, math.ceil(round(duration / step, 6)))
