"""Per-step timelines: values observed at arbitrary timestamps averaged into fixed bins.

Bins are kept sparse while decoding (a broken timestamp cannot make a list millions long) and laid
out at the end over the decoded span only, at most ``MAX_BINS`` of them: a longer clip gets wider bins.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

STEP_SECONDS = 0.5
MAX_BINS = 7200  # an hour at 0.5 s; a longer clip's bins are 1 s, 2 s … wide
# Consecutive frames further apart than this are not one recording: the later frame is left out
# (an integrity finding). A first frame this late (a broadcast capture) moves the first bin to it.
MAX_JUMP_SECONDS = 3600.0


@dataclass(frozen=True)
class Layout:
    """Which fine bins become the result's bins: ``count`` bins of ``factor`` fine bins from ``first``."""

    first: int
    factor: int
    count: int
    step: float = STEP_SECONDS

    @property
    def start(self) -> float:
        return self.first * self.step

    @property
    def width(self) -> float:
        return self.factor * self.step

    @classmethod
    def over(cls, start: float, end: float, step: float = STEP_SECONDS, max_bins: int = MAX_BINS) -> Layout:
        """Bins from 0 (from ``start`` if that is over an hour in) to ``end``, widened until few enough."""
        first = int(start / step) if start >= MAX_JUMP_SECONDS else 0
        fine = max(1, math.ceil(round(end / step - first, 6)))
        factor = 1
        while math.ceil(fine / factor) > max_bins:
            factor *= 2
        return cls(first, factor, math.ceil(fine / factor), step)


class Timeline:
    """Average of the values observed in each ``[k*step, (k+1)*step)`` bin (negative times go to bin 0)."""

    def __init__(self, step: float = STEP_SECONDS) -> None:
        self.step = step
        self._sums: dict[int, float] = {}
        self._counts: dict[int, int] = {}

    def add(self, time: float, value: float) -> None:
        index = max(0, int(time / self.step))
        self._sums[index] = self._sums.get(index, 0.0) + value
        self._counts[index] = self._counts.get(index, 0) + 1

    def __len__(self) -> int:
        return max(self._sums, default=-1) + 1

    def values(self, layout: Layout, digits: int = 3) -> list[float | None]:
        """The mean of each bin of ``layout``; a bin with no observation is ``None``."""
        sums, counts = self._sums, self._counts
        out: list[float | None] = []
        for k in range(layout.count):
            lo = layout.first + k * layout.factor
            if layout.factor == 1:
                c = counts.get(lo, 0)
                out.append(round(sums[lo] / c, digits) if c else None)
                continue
            total, n = 0.0, 0
            for i in range(lo, lo + layout.factor):
                n += counts.get(i, 0)
                total += sums.get(i, 0.0)
            out.append(round(total / n, digits) if n else None)
        return out
