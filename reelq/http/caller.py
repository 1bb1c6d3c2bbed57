"""Who is calling: one resolver for both faces, giving one :class:`Caller`, and the one admin rule.

The API face reads ``Authorization: Bearer <token>``; the console face reads the session cookie, whose
value is the same kind of token. Either way the token is checked by ``reelq.auth`` (API tokens and login
JWTs), once per request: the answer is kept in the request's scope, so the body guard, the rate limit and
the route all see the same caller.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import Literal

from starlette.types import Scope

from reelq.auth.resolve import resolve_token
from reelq.auth.tokens import User
from reelq.config import Settings
from reelq.errors import ReelqError
from reelq.runtime import Runtime

COOKIE = "reelq_session"
Face = Literal["bearer", "session"]


@dataclass(frozen=True)
class Caller:
    user: User
    token: str
    via: Face
    admin: bool


def is_admin(user: User, settings: Settings) -> bool:
    """The one admin rule: made an admin (``reelq users create --admin``, the admin API) or named in
    ``REELQ_CONSOLE_ADMINS``."""
    return user.admin or user.name in settings.console_admins


def bearer_token(headers: Iterable[tuple[bytes, bytes]]) -> str | None:
    for name, value in headers:
        if name == b"authorization":
            if value[:7].lower() != b"bearer ":
                return None
            return value[7:].strip().decode("latin-1") or None
    return None


def session_token(headers: Iterable[tuple[bytes, bytes]]) -> str | None:
    for name, value in headers:
        if name == b"cookie":
            cookie: SimpleCookie = SimpleCookie()
            try:
                cookie.load(value.decode("latin-1"))
            except Exception:  # a malformed cookie header is no session
                return None
            morsel = cookie.get(COOKIE)
            return morsel.value.strip() or None if morsel is not None else None
    return None


def token_of(scope: Scope, via: Face) -> str | None:
    return bearer_token(scope["headers"]) if via == "bearer" else session_token(scope["headers"])


async def user_of(rt: Runtime, token: str) -> User | None:
    """The user of a token (``reelq.auth.resolve``, the one way a token becomes a user), or None."""
    return await resolve_token(rt.users, token)


def refusal(scope: Scope) -> ReelqError | None:
    """Why the last :func:`resolve` of this request found no caller, when it was more than "no token"
    (an expired login token, the identity provider out of reach …)."""
    error = scope.get("state", {}).get("caller_refusal")
    return error if isinstance(error, ReelqError) else None


async def resolve(scope: Scope, rt: Runtime, via: Face) -> Caller | None:
    """The caller of this request on face ``via``, or None; checked once per request."""
    state = scope.setdefault("state", {})
    known = state.get("caller")
    if isinstance(known, Caller) and known.via == via:
        return known
    if refusal(scope) is not None:  # already refused in this request: not checked twice
        return None
    token = token_of(scope, via)
    if token is None:
        return None
    try:
        user = await user_of(rt, token)
    except ReelqError as exc:  # a login token that failed verification, or the keys out of reach
        state["caller_refusal"] = exc
        return None
    if user is None:
        return None
    caller = Caller(user, token, via, is_admin(user, rt.settings))
    state["caller"] = caller
    state["user"] = user  # the request log names the user
    return caller
