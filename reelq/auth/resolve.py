"""The one way a request's token becomes a user: API bearer tokens, the console's sign-in form and its
session cookie all call :func:`resolve_token`, so a login token (JWT) works wherever a reelq token does."""

from __future__ import annotations

import anyio.to_thread

from reelq.auth.tokens import MAX_TOKEN_CHARS, User, UserStore

__all__ = ["MAX_TOKEN_CHARS", "resolve_token"]


async def resolve_token(users: UserStore, token: str) -> User | None:
    """The user of a reelq token (``rq_…``) or a login token (JWT); None when it is not valid.

    A login token that fails verification raises :class:`reelq.errors.Unauthorized` with a specific
    ``code`` (``token_expired`` …), and :class:`reelq.errors.Unavailable` while the identity provider's
    keys cannot be had. A cached token costs no thread; anything else is checked off the event loop.
    """
    token = token.strip()
    if not token:
        return None
    hit = users.cached(token)
    if hit is not None:
        return hit
    return await anyio.to_thread.run_sync(users.authenticate, token)
