"""How long a notification waits before its next attempt (shared by every channel)."""

from __future__ import annotations

import random


def backoff(attempts: int, base: float, cap: float = 3600.0) -> float:
    """Doubling from ``base`` per attempt, capped, with ±50 % jitter so that rows failed together
    (an endpoint or Expo was down) do not all come back at the same second."""
    return float(min(cap, base * 2 ** max(0, attempts - 1) * random.uniform(0.5, 1.5)))
