"""The identity provider's signing keys (JWKS): fetched by one thread at a time, never by a waiting crowd.

Why this shape:
- One fetch in flight. A request that needs keys starts the fetch (discovery, then the key set) on its own
  thread, or joins the one running; it waits at most ``REELQ_AUTH_HTTP_TIMEOUT_SECONDS``, and only
  ``MAX_WAITERS`` requests wait at all: the rest are answered 503 at once, so JWT requests cannot fill the
  thread pool that API-token requests need.
- A failed fetch is remembered: the next attempt waits a back-off (2 s, doubling up to 60 s), and requests in
  between get 503 without a request to the provider.
- Known keys never wait: a stale key set is served while a refresh runs in the background, and the last good
  set keeps serving while the endpoint is down (a dead provider must not log out users whose keys are known).
- A ``kid`` that is not known makes one refresh, at most once per ``REELQ_AUTH_JWKS_REFRESH_SECONDS``
  (key rotation without a restart, and no fetch per forged token).
"""

from __future__ import annotations

import ipaddress
import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol
from urllib.parse import urlparse

import httpx
from jwt import PyJWK, PyJWKSet
from jwt.exceptions import PyJWTError

from reelq.errors import Unauthorized, Unavailable


class KeySettings(Protocol):
    """What the key source reads of the login-token settings (``reelq.auth.jwt.JwtConfig``)."""

    @property
    def issuer(self) -> str | None: ...
    @property
    def jwks_url(self) -> str | None: ...
    @property
    def timeout(self) -> float: ...
    @property
    def jwks_cache_seconds(self) -> float: ...
    @property
    def jwks_refresh_seconds(self) -> float: ...


log = logging.getLogger("reelq.auth")

MAX_WAITERS = 4  # requests that may wait on a fetch at once; the others get 503 at once
BACKOFF_FIRST_SECONDS = 2.0
BACKOFF_MAX_SECONDS = 60.0
MAX_DOCUMENT_BYTES = 1 << 20  # a discovery document or key set larger than this is not one


def check_url(url: str, what: str) -> str:
    """https, or http to a loopback address (a local test issuer); keys over plain http are spoofable."""
    parsed = urlparse(url)
    if parsed.scheme == "https" and parsed.hostname:
        return url
    if parsed.scheme == "http" and parsed.hostname:
        host = parsed.hostname
        try:
            if host == "localhost" or ipaddress.ip_address(host).is_loopback:
                return url
        except ValueError:
            pass
    raise ValueError(f"{what} must be an https:// URL (http:// only for localhost)")


def unavailable() -> Unavailable:
    return Unavailable(
        "the identity provider's keys cannot be fetched; try again shortly",
        code="identity_provider_unavailable",
    )


class KeySource:
    """Signing keys by ``kid``. Thread-safe; the lock is never held across network I/O."""

    def __init__(
        self,
        config: KeySettings,
        http: httpx.Client | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self.http = http or httpx.Client(headers={"User-Agent": "reelq"})
        self.clock = clock
        self.fetches = 0  # attempts, for tests and the log
        self._jwks_url = config.jwks_url  # found by discovery when only the issuer is configured
        self._keys: dict[str, PyJWK] | None = None
        self._fetched_at = 0.0
        self._attempted_at = -float("inf")
        self._failures = 0
        self._retry_at = 0.0
        self._inflight: threading.Event | None = None
        self._lock = threading.Lock()
        self._waiters = threading.BoundedSemaphore(MAX_WAITERS)

    def key(self, kid: str) -> PyJWK:
        """The key named ``kid``; 401 ``unknown_key`` when the provider does not publish it, 503 when its
        keys cannot be had within the timeout."""
        deadline = self.clock() + self.config.timeout
        for last_try in (False, True):
            with self._lock:
                at = self.clock()
                keys = self._keys
                if keys is not None and kid in keys:
                    if at - self._fetched_at >= self.config.jwks_cache_seconds:
                        self._start()  # refresh in the background; the known key serves meanwhile
                    return keys[kid]
                if last_try:
                    break
                running = self._inflight
                if running is None:
                    if at < self._retry_at or (
                        keys is not None and at - self._attempted_at < self.config.jwks_refresh_seconds
                    ):
                        break  # backing off after a failure, or refreshed for an unknown kid moments ago
                    running = self._start()
            self._wait(running, deadline)
        if self._keys is None:
            raise unavailable()
        raise Unauthorized("the token's signing key is not known", code="unknown_key")

    def _wait(self, running: threading.Event, deadline: float) -> None:
        if not self._waiters.acquire(blocking=False):
            raise unavailable()
        try:
            if not running.wait(max(0.0, deadline - self.clock())):
                raise unavailable()
        finally:
            self._waiters.release()

    def _start(self) -> threading.Event:
        """Start the one fetch (the caller holds the lock); a no-op while one runs or during back-off."""
        if self._inflight is not None:
            return self._inflight
        done = threading.Event()
        if self.clock() < self._retry_at:
            done.set()
            return done
        self._inflight = done
        self._attempted_at = self.clock()
        self.fetches += 1
        threading.Thread(target=self._fetch, args=(done,), name="reelq-jwks", daemon=True).start()
        return done

    def _fetch(self, done: threading.Event) -> None:
        try:
            keys = self._download()
        except (httpx.HTTPError, OSError, ValueError, KeyError, TypeError, PyJWTError) as exc:
            with self._lock:
                self._failures += 1
                wait = min(BACKOFF_MAX_SECONDS, BACKOFF_FIRST_SECONDS * 2 ** (self._failures - 1))
                self._retry_at = self.clock() + wait
            log.warning(
                "auth.jwks_unreachable",
                extra={"url": self._jwks_url or self.config.issuer, "error": str(exc)[:200], "retry_s": wait},
            )
        else:
            with self._lock:
                self._keys, self._fetched_at, self._failures, self._retry_at = keys, self.clock(), 0, 0.0
        finally:
            with self._lock:
                self._inflight = None
            done.set()

    def _download(self) -> dict[str, PyJWK]:
        deadline = self.clock() + self.config.timeout
        if self._jwks_url is None:
            issuer = self.config.issuer
            assert issuer is not None
            doc = self._get_json(issuer.rstrip("/") + "/.well-known/openid-configuration", deadline)
            if str(doc["issuer"]).rstrip("/") != issuer.rstrip("/"):
                raise ValueError("the discovery document names another issuer")
            self._jwks_url = check_url(str(doc["jwks_uri"]), "jwks_uri")
        found = PyJWKSet.from_dict(self._get_json(self._jwks_url, deadline))
        keys = {k.key_id: k for k in found.keys if k.key_id and k.public_key_use in ("sig", None)}
        if not keys:
            raise ValueError("the key set holds no signing keys")
        return keys

    def _get_json(self, url: str, deadline: float) -> Any:
        """A JSON document, within the deadline (a trickling server is cut off too) and the size limit."""
        left = max(0.01, deadline - self.clock())
        body = bytearray()
        with self.http.stream("GET", url, timeout=left, follow_redirects=True) as resp:
            resp.raise_for_status()
            check_url(str(resp.url), url)  # a redirect must not leave https
            for chunk in resp.iter_bytes():
                body += chunk
                if len(body) > MAX_DOCUMENT_BYTES:
                    raise ValueError(f"{url} answered more than {MAX_DOCUMENT_BYTES} bytes")
                if self.clock() > deadline:
                    raise TimeoutError(f"{url} did not answer within {self.config.timeout} s")
        doc = json.loads(body)
        if not isinstance(doc, dict):
            raise ValueError(f"{url} did not answer a JSON object")
        return doc

    def close(self) -> None:
        self.http.close()
