"""Verify bearer tokens issued by the app's own login (an OIDC provider) with PyJWT.

Why this shape:
- Only asymmetric algorithms are accepted (``none`` and HS* never): the verifying key is public, so a
  token "signed" with it under HS256 must fail. PyJWT binds each JWK to one algorithm, and the token's
  ``alg`` must match it.
- The key set is fetched from the issuer's discovery document (or a configured JWKS URL), cached for
  ``REELQ_AUTH_JWKS_CACHE_SECONDS``, fetched again at most once per ``REELQ_AUTH_JWKS_REFRESH_SECONDS``
  when a token names an unknown ``kid`` (key rotation), and the last good set keeps serving while the
  endpoint is down: a dead identity provider must not log out users whose keys are known.
- Verification results are cached per token by :class:`reelq.auth.tokens.UserStore`, so a status poll
  does not pay for an RSA/ECDSA check.
"""

from __future__ import annotations

import ipaddress
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import httpx
import jwt
from jwt import PyJWK, PyJWKClient, PyJWKSet
from jwt.exceptions import PyJWKClientConnectionError, PyJWKClientError

from reelq.config import check_algorithms
from reelq.errors import Unauthorized, Unavailable

log = logging.getLogger("reelq.auth")

MAX_TOKEN_CHARS = 16_384
DISCOVERY_RETRY_SECONDS = 10.0


def _check_url(url: str, what: str) -> str:
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


@dataclass(frozen=True)
class JwtConfig:
    issuer: str | None
    jwks_url: str | None
    audience: tuple[str, ...]
    algorithms: tuple[str, ...]
    user_claim: str = "sub"
    leeway: float = 30.0
    jwks_cache_seconds: float = 300.0
    jwks_refresh_seconds: float = 30.0
    timeout: float = 5.0

    @classmethod
    def of(cls, settings: Any) -> JwtConfig | None:
        """From Settings; None when no identity provider is configured."""
        if not settings.auth_issuer and not settings.auth_jwks_url:
            return None
        return cls(
            issuer=settings.auth_issuer or None,  # exactly as in the tokens' iss (Auth0 ends with "/")
            jwks_url=settings.auth_jwks_url,
            audience=tuple(settings.auth_audience),
            algorithms=tuple(check_algorithms(list(settings.auth_algorithms))),
            user_claim=settings.auth_user_claim,
            leeway=settings.auth_leeway_seconds,
            jwks_cache_seconds=settings.auth_jwks_cache_seconds,
            jwks_refresh_seconds=settings.auth_jwks_refresh_seconds,
            timeout=settings.auth_http_timeout_seconds,
        )


@dataclass(frozen=True)
class Identity:
    """Who a verified token names: the user key is (issuer, subject)."""

    issuer: str
    subject: str
    expires_at: float


class _KeySet(PyJWKClient):
    """PyJWKClient that serves the last good key set while the endpoint is unreachable."""

    def __init__(self, uri: str, config: JwtConfig) -> None:
        super().__init__(
            uri,
            cache_keys=False,
            cache_jwk_set=True,
            lifespan=config.jwks_cache_seconds,
            timeout=config.timeout,
            cooldown_duration=config.jwks_refresh_seconds,
            headers={"User-Agent": "reelq"},
        )
        self.fetches = 0
        self._last_good: PyJWKSet | None = None

    def fetch_data(self) -> Any:
        self.fetches += 1
        return super().fetch_data()

    def get_jwk_set(self, refresh: bool = False) -> PyJWKSet:
        try:
            keys = super().get_jwk_set(refresh)
        except PyJWKClientConnectionError:
            if self._last_good is None:
                raise
            log.warning("auth.jwks_unreachable", extra={"url": self.uri})
            if self.jwk_set_cache is not None:  # next attempt after another cache period, not per request
                self.jwk_set_cache.put(self._last_good)
            return self._last_good
        self._last_good = keys
        return keys


class JwtVerifier:
    """Verifies tokens of one identity provider. Thread-safe; network I/O only on a key-set miss."""

    def __init__(self, config: JwtConfig) -> None:
        self.config = config
        if config.issuer:
            _check_url(config.issuer, "REELQ_AUTH_ISSUER")
        if config.jwks_url:
            _check_url(config.jwks_url, "REELQ_AUTH_JWKS_URL")
        self._keys: _KeySet | None = _KeySet(config.jwks_url, config) if config.jwks_url else None
        self._lock = threading.Lock()
        self._discovery_failed_at = 0.0

    @property
    def keys(self) -> _KeySet:
        """The key set client, discovering the JWKS URL from the issuer on first use."""
        if self._keys is not None:
            return self._keys
        with self._lock:
            if self._keys is None:
                if time.monotonic() - self._discovery_failed_at < DISCOVERY_RETRY_SECONDS:
                    raise _unavailable()
                try:
                    self._keys = _KeySet(self._discover(), self.config)
                except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
                    self._discovery_failed_at = time.monotonic()
                    log.warning("auth.discovery_failed", extra={"error": str(exc)[:200]})
                    raise _unavailable() from exc
            return self._keys

    def _discover(self) -> str:
        issuer = self.config.issuer
        assert issuer is not None
        url = issuer.rstrip("/") + "/.well-known/openid-configuration"
        resp = httpx.get(url, timeout=self.config.timeout, follow_redirects=False)
        resp.raise_for_status()
        doc = resp.json()
        if str(doc["issuer"]).rstrip("/") != issuer.rstrip("/"):
            raise ValueError("the discovery document names another issuer")
        return _check_url(str(doc["jwks_uri"]), "jwks_uri")

    def verify(self, token: str) -> Identity:
        """The identity of a valid token; :class:`Unauthorized` (401) with a specific ``code`` otherwise."""
        if len(token) > MAX_TOKEN_CHARS:
            raise Unauthorized("the token is too long", code="invalid_token")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.DecodeError as exc:
            raise Unauthorized("the token is not a well-formed JWT", code="invalid_token") from exc
        alg = header.get("alg")
        if alg not in self.config.algorithms:
            raise Unauthorized(f"tokens signed with {str(alg)[:20]!r} are not accepted", code="invalid_token")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise Unauthorized("the token names no signing key (kid)", code="invalid_token")
        key = self._key(kid)
        claims = self._decode(token, key)
        subject = claims.get(self.config.user_claim)
        if not isinstance(subject, str) or not subject or len(subject) > 255:
            raise Unauthorized(
                f"the token has no usable {self.config.user_claim!r} claim", code="invalid_token"
            )
        issuer = self.config.issuer or str(claims.get("iss") or self.config.jwks_url)
        return Identity(issuer[:500], subject, float(claims["exp"]))

    def _key(self, kid: str) -> PyJWK:
        keys = self.keys
        try:
            return keys.get_signing_key(kid)
        except PyJWKClientConnectionError as exc:
            raise _unavailable() from exc
        except PyJWKClientError as exc:  # also covers a key set without usable keys
            raise Unauthorized("the token's signing key is not known", code="unknown_key") from exc

    def _decode(self, token: str, key: PyJWK) -> dict[str, Any]:
        c = self.config
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=list(c.algorithms),
                audience=list(c.audience) or None,
                issuer=c.issuer,
                leeway=c.leeway,
                options={"require": ["exp"], "verify_aud": bool(c.audience)},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("the token has expired", code="token_expired") from exc
        except jwt.ImmatureSignatureError as exc:
            raise Unauthorized("the token is not valid yet", code="token_not_yet_valid") from exc
        except jwt.InvalidAudienceError as exc:
            raise Unauthorized("the token is meant for another audience", code="wrong_audience") from exc
        except jwt.InvalidIssuerError as exc:
            raise Unauthorized("the token comes from another issuer", code="wrong_issuer") from exc
        except jwt.InvalidTokenError as exc:  # bad signature, malformed claims, missing exp …
            raise Unauthorized("the token is not valid", code="invalid_token") from exc
        return claims


def _unavailable() -> Unavailable:
    return Unavailable(
        "the identity provider's keys cannot be fetched; try again shortly",
        code="identity_provider_unavailable",
    )
