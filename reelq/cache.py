"""Small thread-safe caches for hot reads: a bounded LRU, and a TTL cache on it (token → user)."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class BoundedLRU(Generic[K, V]):
    """Least recently stored first out, beyond ``max_items`` entries or ``max_weight`` (``weight``)."""

    def __init__(
        self, max_items: int = 10_000, max_weight: int = 0, weight: Callable[[V], int] | None = None
    ) -> None:
        self.max_items = max_items
        self.max_weight = max_weight  # 0: no weight limit
        self._weigh = weight or (lambda _: 0)
        self._data: OrderedDict[K, V] = OrderedDict()
        self._weight = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._data)

    def get(self, key: K) -> V | None:
        return self._data.get(key)  # one dict read: atomic, no lock needed

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._pop(key)
            self._data[key] = value
            self._weight += self._weigh(value)
            while self._data and (
                len(self._data) > self.max_items or (self.max_weight and self._weight > self.max_weight)
            ):
                self._weight -= self._weigh(self._data.popitem(last=False)[1])

    def discard(self, key: K) -> None:
        with self._lock:
            self._pop(key)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self._weight = 0

    def _pop(self, key: K) -> None:
        old = self._data.pop(key, None)
        if old is not None:
            self._weight -= self._weigh(old)


class TTLCache(Generic[K, V]):
    """Values that expire ``ttl`` seconds after they were stored (``ttl`` 0: nothing is kept)."""

    def __init__(self, ttl: float, max_items: int = 10_000) -> None:
        self.ttl = ttl
        self._lru: BoundedLRU[K, tuple[float, V]] = BoundedLRU(max_items)

    def get(self, key: K) -> V | None:
        if self.ttl <= 0:
            return None
        hit = self._lru.get(key)
        if hit is None:
            return None
        if hit[0] < time.monotonic():
            self._lru.discard(key)
            return None
        return hit[1]

    def put(self, key: K, value: V) -> None:
        if self.ttl > 0:
            self._lru.put(key, (time.monotonic() + self.ttl, value))

    def discard(self, key: K) -> None:
        self._lru.discard(key)

    def clear(self) -> None:
        self._lru.clear()
