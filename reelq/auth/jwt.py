"""Verify bearer tokens issued by the app's own login (an OIDC provider) with PyJWT.

Why this shape:
- Only asymmetric algorithms are accepted (``none`` and HS* never): the verifying key is public, so a
  token "signed" with it under HS256 must fail. PyJWT binds each JWK to one algorithm, and the token's
  ``alg`` must match it.
- The keys come from :class:`reelq.auth.jwks.KeySource` (one fetch in flight, back-off after a failure, the
  last good set served while the provider is down).
- A user is keyed by (issuer, subject). The issuer is the configured one, never the token's own ``iss``:
  with only a JWKS URL configured, the URL stands for the issuer, so a key set shared by many tenants
  cannot let a token choose its account by naming another ``iss``.
- Verification results are cached per token by :class:`reelq.auth.tokens.UserStore`, so a status poll
  does not pay for an RSA/ECDSA check.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
from jwt import PyJWK

from reelq.auth.jwks import KeySource, check_url
from reelq.config import MAX_TOKEN_CHARS, check_algorithms
from reelq.errors import Unauthorized

log = logging.getLogger("reelq.auth")

# C0/C1 control characters and lone surrogates: no database stores them the same way (PostgreSQL refuses NUL)
_UNSAFE_CHARS = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


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


class JwtVerifier:
    """Verifies tokens of one identity provider. Thread-safe; network I/O only on a key-set miss."""

    def __init__(self, config: JwtConfig, http: httpx.Client | None = None) -> None:
        self.config = config
        if config.issuer:
            check_url(config.issuer, "REELQ_AUTH_ISSUER")
        if config.jwks_url:
            check_url(config.jwks_url, "REELQ_AUTH_JWKS_URL")
        self.keys = KeySource(config, http)
        if not config.issuer and not config.audience:
            log.warning(
                "auth.tokens_not_narrowed",
                extra={
                    "hint": "with only REELQ_AUTH_JWKS_URL set, any token signed by that key set is "
                    "accepted; set REELQ_AUTH_ISSUER or REELQ_AUTH_AUDIENCE"
                },
            )

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
        key = self.keys.key(kid)
        claims = self._decode(token, key)
        subject = claims.get(self.config.user_claim)
        if not isinstance(subject, str) or not subject or len(subject) > 255 or _UNSAFE_CHARS.search(subject):
            raise Unauthorized(
                f"the token has no usable {self.config.user_claim!r} claim", code="invalid_token"
            )
        issuer = self.config.issuer or self.config.jwks_url
        assert issuer is not None  # JwtConfig.of needs one of the two
        return Identity(issuer[:500], subject, float(claims["exp"]))

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
