"""The cheap part of login-token support, imported at start-up: which algorithms may be configured,
how a JWT is told from a reelq token, and building the verifier only when a provider is configured
(PyJWT and ``cryptography`` are then imported, not before)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reelq.auth.jwt import JwtVerifier

ASYMMETRIC = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)


def check_algorithms(names: list[str]) -> list[str]:
    """The accepted algorithms, refusing ``none`` and the HMAC family: the verifying key is public, so a
    token "signed" with it under HS256 must never verify."""
    if not names:
        raise ValueError("at least one algorithm is needed")
    for name in names:
        if name not in ASYMMETRIC:
            raise ValueError(f"{name!r} is not accepted; use some of {', '.join(sorted(ASYMMETRIC))}")
    return names


def looks_like_jwt(token: str) -> bool:
    """A JWS compact token has exactly two dots; reelq's own tokens (``rq_…``) have none."""
    return token.count(".") == 2


def verifier_of(settings: Any) -> JwtVerifier | None:
    if not settings.auth_issuer and not settings.auth_jwks_url:
        return None
    from reelq.auth.jwt import JwtConfig, JwtVerifier

    config = JwtConfig.of(settings)
    return JwtVerifier(config) if config is not None else None
