"""Per-user quotas and rate limits, with counters shared by every API process.

Why the counters live where they do: a limit that each process counts on its own is N times the
limit with N processes. With ``REELQ_QUEUE_URL=redis://…`` every counter is a Redis key (INCR +
EXPIRE); otherwise the upload counters are rows of ``rate_counters`` in the database, and the
per-second request counters stay in process memory (a SQLite deployment is one host; a database
write per request would cost more than the limit protects).

Windows are fixed (per minute, per UTC day, per second): cheap, shared, and they give the exact
``t`` (seconds until reset) of the IETF ``RateLimit`` header field.
"""

from __future__ import annotations

import json
import logging
import math
import random
import threading
import time
from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Protocol
from urllib.parse import urlparse

from sqlalchemy import Engine, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite

from reelq.cache import TTLCache
from reelq.db.engine import reader
from reelq.db.schema import rate_counters, tus_uploads, users
from reelq.errors import InsufficientStorage, NotFound, RateLimited, UploadTooLarge
from reelq.jobs import queries as job_queries

DAY = 86400
REDIS_RETRY_SECONDS = 5.0
log = logging.getLogger("reelq.limits")


@dataclass(frozen=True)
class Limits:
    """0 means no limit."""

    storage_bytes: int = 0
    jobs_per_day: int = 0
    concurrent_jobs: int = 0
    uploads_per_minute: int = 0
    requests_per_second: int = 0

    @classmethod
    def of(cls, settings: Any) -> Limits:
        return cls(
            storage_bytes=settings.limit_storage_bytes,
            jobs_per_day=settings.limit_jobs_per_day,
            concurrent_jobs=settings.limit_concurrent_jobs,
            uploads_per_minute=settings.limit_uploads_per_minute,
            requests_per_second=settings.limit_requests_per_second,
        )


LIMIT_NAMES = tuple(f.name for f in fields(Limits))


class LimitExceeded(RateLimited):
    """429 with ``Retry-After`` and the ``RateLimit``/``RateLimit-Policy`` fields in ``headers``."""

    def __init__(self, detail: str, *, code: str, headers: dict[str, str]) -> None:
        super().__init__(detail, code=code)
        self.headers = headers


class StorageQuotaExceeded(InsufficientStorage):
    """507: the user's stored uploads fill the quota; deleting jobs frees room."""

    code = "storage_quota_exceeded"
    title = "Storage quota exceeded"


def rate_headers(policy: str, quota: int, window: int, remaining: int, reset: float) -> dict[str, str]:
    """``RateLimit-Policy``/``RateLimit`` (draft-ietf-httpapi-ratelimit-headers) and ``Retry-After``."""
    t = max(1, math.ceil(reset))
    return {
        "RateLimit-Policy": f'"{policy}";q={quota};w={window}',
        "RateLimit": f'"{policy}";r={max(0, remaining)};t={t}',
        "Retry-After": str(t),
    }


# -- counters ------------------------------------------------------------------------------------


class Counters(Protocol):
    def hit(self, key: str, window: int) -> tuple[int, float]:
        """Count one event in the current window of ``key``: (count so far, seconds until reset)."""
        ...


def _window(window: int) -> tuple[int, float]:
    at = time.time()
    index = int(at // window)
    return index, (index + 1) * window - at


class MemoryCounters:
    def __init__(self) -> None:
        self._data: dict[str, tuple[int, int]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str, window: int) -> tuple[int, float]:
        index, reset = _window(window)
        with self._lock:
            if len(self._data) > 100_000:
                self._data.clear()
            seen = self._data.get(key)
            count = seen[1] + 1 if seen is not None and seen[0] == index else 1
            self._data[key] = (index, count)
        return count, reset


class DbCounters:
    """One row per (key, window) in ``rate_counters``; an upsert returns the new count atomically."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._insert: Any = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert

    def hit(self, key: str, window: int) -> tuple[int, float]:
        index, reset = _window(window)
        end = (index + 1) * window
        stmt = self._insert(rate_counters).values(key=f"{key}:{index}"[:200], window_end=end, count=1)
        stmt = stmt.on_conflict_do_update(
            index_elements=[rate_counters.c.key], set_={"count": rate_counters.c.count + 1}
        ).returning(rate_counters.c.count)
        with self.engine.begin() as conn:
            count = int(conn.execute(stmt).scalar_one())
            if random.random() < 0.01:  # sweep windows that ended
                conn.execute(delete(rate_counters).where(rate_counters.c.window_end < time.time() - 60))
        return count, reset


class RedisCounters:
    """INCR + EXPIRE in one round trip; the key carries the window index, so it resets by itself."""

    def __init__(self, url: str, prefix: str) -> None:
        import redis
        import redis.asyncio

        self._errors = (redis.RedisError, OSError)
        self._down_until = 0.0  # Redis failed: limits are not counted (fail open) until then
        self.prefix = prefix
        self._url = url
        self.client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        self._async: Any = None
        self._async_module = redis.asyncio

    def _key(self, key: str, window: int) -> tuple[str, float]:
        index, reset = _window(window)
        return f"{self.prefix}:rl:{key}:{index}", reset

    def hit(self, key: str, window: int) -> tuple[int, float]:
        name, reset = self._key(key, window)
        if time.monotonic() < self._down_until:
            return 0, reset
        try:
            pipe = self.client.pipeline(transaction=False)
            pipe.incr(name)
            pipe.expire(name, window + 1)
            count, _ = pipe.execute()
        except self._errors as exc:
            return self._failed(exc, reset)
        return int(count), reset

    def _failed(self, exc: BaseException, reset: float) -> tuple[int, float]:
        """A Redis outage must not take the API down with it: count nothing for a few seconds."""
        self._down_until = time.monotonic() + REDIS_RETRY_SECONDS
        log.warning("limits.redis_unavailable", extra={"error": type(exc).__name__})
        return 0, reset

    async def hit_async(self, key: str, window: int) -> tuple[int, float]:
        """The same, without blocking the event loop (used per request)."""
        if self._async is None:
            self._async = self._async_module.Redis.from_url(
                self._url, socket_connect_timeout=2, socket_timeout=2
            )
        name, reset = self._key(key, window)
        if time.monotonic() < self._down_until:
            return 0, reset
        try:
            pipe = self._async.pipeline(transaction=False)
            pipe.incr(name)
            pipe.expire(name, window + 1)
            count, _ = await pipe.execute()
        except self._errors as exc:
            return self._failed(exc, reset)
        return int(count), reset


def counters_of(settings: Any, engine: Engine) -> tuple[Counters, Counters]:
    """(upload counters, request counters) for these settings (see the module docstring)."""
    from reelq.queue.huey_app import _split_queue_name

    url = settings.queue_url or ""
    if urlparse(url).scheme in ("redis", "rediss"):
        base, name = _split_queue_name(url, "reelq")
        shared = RedisCounters(base, f"reelq:{name}")
        return shared, shared
    return DbCounters(engine), MemoryCounters()


# -- the limiter ---------------------------------------------------------------------------------


class Limiter:
    def __init__(self, engine: Engine, defaults: Limits, counters: Counters, requests: Counters, ttl: float):
        self.engine = engine
        self.defaults = defaults
        self.counters = counters
        self.requests = requests
        self._per_user: TTLCache[str, Limits] = TTLCache(ttl)

    @classmethod
    def build(cls, settings: Any, engine: Engine) -> Limiter:
        counters, requests = counters_of(settings, engine)
        return cls(engine, Limits.of(settings), counters, requests, settings.auth_cache_seconds)

    # -- per-user limits -------------------------------------------------------------------------
    def limits_for(self, user_id: str) -> Limits:
        """The settings' limits with the user's overrides (cached for ``REELQ_AUTH_CACHE_SECONDS``)."""
        hit = self._per_user.get(user_id)
        if hit is not None:
            return hit
        with reader(self.engine).connect() as conn:
            raw = conn.execute(select(users.c.limits_json).where(users.c.id == user_id)).scalar()
        limits = self.merge(raw)
        self._per_user.put(user_id, limits)
        return limits

    def cached_limits(self, user_id: str) -> Limits | None:
        """The user's limits if read moments ago (no database round trip), else None."""
        return self._per_user.get(user_id)

    def merge(self, raw: str | None) -> Limits:
        overrides = {
            k: int(v) for k, v in json.loads(raw or "{}").items() if k in LIMIT_NAMES and v is not None
        }
        return replace(self.defaults, **overrides)

    def forget(self, user_id: str) -> None:
        self._per_user.discard(user_id)

    # -- checks ----------------------------------------------------------------------------------
    def check_upload(self, user_id: str, declared_bytes: int) -> None:
        """Before an upload reads its body: storage quota, active and daily jobs, uploads per minute."""
        lim = self.limits_for(user_id)
        if lim.storage_bytes:
            if declared_bytes > lim.storage_bytes:
                raise UploadTooLarge(
                    f"this upload ({declared_bytes} bytes) is larger than your storage quota "
                    f"of {lim.storage_bytes} bytes",
                    code="upload_exceeds_quota",
                )
            stored = self.stored_bytes(user_id)
            if stored + declared_bytes > lim.storage_bytes:
                raise StorageQuotaExceeded(
                    f"you store {stored} of {lim.storage_bytes} bytes, this upload needs {declared_bytes}; "
                    "delete finished jobs to free room"
                )
        if lim.concurrent_jobs and self.active_jobs(user_id) >= lim.concurrent_jobs:
            raise LimitExceeded(
                f"at most {lim.concurrent_jobs} queued or running jobs at once; retry when one is done",
                code="too_many_active_jobs",
                headers={"Retry-After": "10"},
            )
        self._count(user_id, "uploads", lim.uploads_per_minute, 60, "upload_rate_limited", "uploads a minute")
        self._count(user_id, "jobs-day", lim.jobs_per_day, DAY, "daily_job_limit", "jobs a day")

    def _count(self, user_id: str, policy: str, quota: int, window: int, code: str, what: str) -> None:
        if not quota:
            return
        count, reset = self.counters.hit(f"{policy}:{user_id}", window)
        if count > quota:
            raise LimitExceeded(
                f"at most {quota} {what}; retry in {math.ceil(reset)} s",
                code=code,
                headers=rate_headers(policy, quota, window, 0, reset),
            )

    # -- usage -----------------------------------------------------------------------------------
    def stored_bytes(self, user_id: str) -> int:
        """Bytes of the user's jobs' uploads plus the declared length of unfinished tus uploads."""
        with reader(self.engine).connect() as conn:
            in_jobs = job_queries.upload_bytes(conn, user_id)
            pending = conn.execute(
                select(func.coalesce(func.sum(tus_uploads.c.length), 0)).where(
                    tus_uploads.c.user_id == user_id, tus_uploads.c.state == "receiving"
                )
            ).scalar_one()
        return int(in_jobs) + int(pending)

    def active_jobs(self, user_id: str) -> int:
        with reader(self.engine).connect() as conn:
            return job_queries.active_count(conn, user_id)

    def usage(self, user_id: str) -> dict[str, Any]:
        with reader(self.engine).connect() as conn:
            if conn.execute(select(users.c.id).where(users.c.id == user_id)).first() is None:
                raise NotFound("no such user", code="user_not_found")
            day_start = time.time() // DAY * DAY
            today = job_queries.created_count(conn, user_id, day_start)
            total = job_queries.created_count(conn, user_id)
        return {
            "stored_bytes": self.stored_bytes(user_id),
            "active_jobs": self.active_jobs(user_id),
            "jobs_today": int(today),
            "jobs_total": int(total),
            "limits": asdict(self.limits_for(user_id)),
        }
