"""The console session: the API token in an HttpOnly cookie, and the CSRF token derived from it.

The browser never sees the token from script (HttpOnly, SameSite=Strict, Secure over https) and it never
appears in a URL. Every state-changing request must also carry ``csrf_token(token)`` — in a form field or
the ``X-CSRF-Token`` header — an HMAC of the session token that a page of another site cannot compute,
because it cannot read the cookie. Nothing is stored server-side: signing out clears the cookie, and a
revoked token ends every session made with it.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from reelq.auth.resolve import resolve_token
from reelq.auth.tokens import User
from reelq.errors import Unauthorized
from reelq.runtime import Runtime

COOKIE = "reelq_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
MAX_AGE = 7 * 86400


class SignInRequired(Exception):
    """No valid session: pages redirect to the sign-in page, script requests get 401."""


class CsrfRejected(Exception):
    """A state-changing request without the session's CSRF token (403)."""


class AdminOnly(Exception):
    """A signed-in user who is not an administrator opened an admin page (404: it does not exist for them)."""


@dataclass(frozen=True)
class Session:
    user: User
    token: str
    admin: bool

    @property
    def csrf(self) -> str:
        return csrf_token(self.token)


def csrf_token(token: str) -> str:
    return hmac.new(token.encode(), b"reelq-console-csrf-v1", hashlib.sha256).hexdigest()


def set_cookie(response: Response, request: Request, token: str) -> None:
    response.set_cookie(
        COOKIE,
        token,
        max_age=MAX_AGE,
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def clear_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(
        COOKIE, path="/", httponly=True, samesite="strict", secure=request.url.scheme == "https"
    )


async def load_session(request: Request, admins: frozenset[str]) -> Session:
    """The session of the request's cookie, or :class:`SignInRequired`."""
    token = request.cookies.get(COOKIE, "")
    if not token:
        raise SignInRequired
    rt: Runtime = request.app.state.runtime
    try:
        user = await resolve_token(rt.users, token)
    except Unauthorized:  # an expired login token: sign in again
        raise SignInRequired from None
    if user is None:
        raise SignInRequired
    # An admin flag on the user (when the user store has one) or a name in REELQ_CONSOLE_ADMINS.
    admin = bool(getattr(user, "is_admin", False) or getattr(user, "admin", False)) or user.name in admins
    return Session(user, token, admin)


def check_csrf(session: Session, sent: str | None) -> None:
    if not sent or not hmac.compare_digest(sent, session.csrf):
        raise CsrfRejected
