"""The cheap part of login-token support, imported at start-up: which algorithms may be configured,
how a JWT is told from a reelq token, and building the verifier only when a provider is configured
(PyJWT and ``cryptography`` are then imported, not before)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reelq.config import ASYMMETRIC, check_algorithms

__all__ = ["ASYMMETRIC", "check_algorithms", "looks_like_jwt", "verifier_of"]

if TYPE_CHECKING:
    from reelq.auth.jwt import JwtVerifier


def looks_like_jwt(token: str) -> bool:
    """A JWS compact token has exactly two dots; reelq's own tokens (``rq_…``) have none."""
    return token.count(".") == 2


def verifier_of(settings: Any) -> JwtVerifier | None:
    if not settings.auth_issuer and not settings.auth_jwks_url:
        return None
    from reelq.auth.jwt import JwtConfig, JwtVerifier

    config = JwtConfig.of(settings)
    return JwtVerifier(config) if config is not None else None
