"""The edge's per-process state, built once when the app is made (``EdgeState.build``) and kept at
``app.state.edge``: the status answers, the open streams, the uploads in flight and the URL signer.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from reelq.auth.signing import UrlSigner, signer_for
from reelq.cache import BoundedLRU
from reelq.config import Settings
from reelq.errors import RateLimited

Version = tuple[str, float, int, float, str | None]


class Answer(Protocol):
    """A rendered status answer, as the cache needs to see it."""

    @property
    def body(self) -> bytes: ...

    @property
    def terminal(self) -> bool: ...


A = TypeVar("A", bound=Answer)


class StatusAnswers(Generic[A]):
    """The status cache: each user's answer for a job, with the version of the row it was rendered from.

    ``fresh``: an answer confirmed less than ``fresh_seconds`` ago (``REELQ_STATUS_CACHE_SECONDS``), sent
    without reading the database. ``same``: the answer of a queued or running job whose row was just read
    and has not changed, sent without rendering it again (a finished job's answer holds its result with
    signed URLs that expire: it is rendered on each read). Bounded in entries and in bytes; thread-safe (the
    routes that change a job discard answers from threads).
    """

    def __init__(self, fresh_seconds: float, max_items: int = 10_000, max_bytes: int = 64 * 2**20) -> None:
        self.fresh_seconds = fresh_seconds
        # (confirmed at, version, answer)
        self._lru: BoundedLRU[tuple[str, str], tuple[float, Version, A]] = BoundedLRU(
            max_items, max_bytes, weight=lambda hit: len(hit[2].body)
        )

    def fresh(self, key: tuple[str, str]) -> A | None:
        hit = self._lru.get(key)
        if hit is None or self.fresh_seconds <= 0 or time.monotonic() - hit[0] > self.fresh_seconds:
            return None
        return hit[2]

    def same(self, key: tuple[str, str], version: Version) -> A | None:
        hit = self._lru.get(key)
        if hit is None or hit[1] != version or hit[2].terminal:
            return None
        self._lru.put(key, (time.monotonic(), version, hit[2]))  # confirmed by the read just made
        return hit[2]

    def put(self, key: tuple[str, str], version: Version, rendered: A) -> None:
        self._lru.put(key, (time.monotonic(), version, rendered))

    def discard(self, key: tuple[str, str]) -> None:
        self._lru.discard(key)


class StreamSlots:
    """Open event streams and long polls per user (in this process); 429 ``too_many_streams`` beyond."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.open: dict[str, int] = {}

    def take(self, user_id: str) -> Callable[[], None]:
        """Hold a slot; returns the function that gives it back (safe to call more than once)."""
        if self.open.get(user_id, 0) >= self.limit:
            raise RateLimited(
                f"at most {self.limit} event streams and long polls at once per user; close one first",
                code="too_many_streams",
            )
        self.open[user_id] = self.open.get(user_id, 0) + 1
        done = False

        def release() -> None:
            nonlocal done
            if done:
                return
            done = True
            self.open[user_id] -= 1
            if not self.open[user_id]:
                del self.open[user_id]

        return release


class UploadSlots:
    """Uploads this process is receiving, per user: how many (``REELQ_MAX_CONCURRENT_UPLOADS``, 429
    ``too_many_uploads`` beyond) and how many bytes they have received so far, which count against the
    user's storage quota while they arrive."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._open: dict[str, int] = {}
        self._bytes: dict[str, int] = {}
        self._lock = threading.Lock()

    def take(self, user_id: str) -> Callable[[], None]:
        with self._lock:
            if self._open.get(user_id, 0) >= self.limit:
                raise RateLimited(
                    f"at most {self.limit} uploads at once per user; retry when one is done",
                    code="too_many_uploads",
                )
            self._open[user_id] = self._open.get(user_id, 0) + 1
        done = False

        def release() -> None:
            nonlocal done
            with self._lock:
                if done:
                    return
                done = True
                self._open[user_id] -= 1
                if not self._open[user_id]:
                    del self._open[user_id]

        return release

    def receiving(self, user_id: str, size: int) -> None:
        """``size`` more (or, negative, fewer) bytes of ``user_id``'s uploads are on their way to disk."""
        with self._lock:
            total = self._bytes.get(user_id, 0) + size
            if total > 0:
                self._bytes[user_id] = total
            else:
                self._bytes.pop(user_id, None)

    def in_flight(self, user_id: str) -> int:
        return self._bytes.get(user_id, 0)


@dataclass(frozen=True)
class EdgeState:
    answers: StatusAnswers[Any]
    streams: StreamSlots
    uploads: UploadSlots
    signer: UrlSigner

    @classmethod
    def build(cls, settings: Settings) -> EdgeState:
        secret = settings.signing_secret.get_secret_value() if settings.signing_secret is not None else None
        return cls(
            answers=StatusAnswers(settings.status_cache_seconds),
            streams=StreamSlots(settings.max_streams_per_user),
            uploads=UploadSlots(settings.max_concurrent_uploads),
            signer=signer_for(settings.data_dir, secret, settings.artifact_url_seconds),
        )

    def forget_job(self, user_id: str, job_id: str) -> None:
        """A job changed through a route: its cached answer goes."""
        self.answers.discard((user_id, job_id))


def edge_of(state: Any) -> EdgeState:
    """The edge state of an app (``request.app.state``, or ``scope["app"].state`` on the hot path)."""
    edge: EdgeState = state.edge
    return edge
