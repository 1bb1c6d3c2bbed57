"""Request dependencies: the runtime and the authenticated user (the body guard checked the same
caller before any body byte; see ``reelq.http.guard``)."""

from __future__ import annotations

from fastapi import Request

from reelq.auth.tokens import User
from reelq.errors import Unauthorized
from reelq.http.caller import Caller, bearer_token, refusal, resolve
from reelq.runtime import Runtime


def runtime_of(request: Request) -> Runtime:
    rt: Runtime = request.app.state.runtime
    return rt


async def runtime(request: Request) -> Runtime:
    return runtime_of(request)


async def current_caller(request: Request) -> Caller:
    """The caller of a bearer-token request, or 401."""
    if bearer_token(request.scope["headers"]) is None:
        raise Unauthorized("send 'Authorization: Bearer <token>' (create one with `reelq users create NAME`)")
    caller = await resolve(request.scope, runtime_of(request), "bearer")
    if caller is None:
        error = refusal(request.scope)
        if error is not None:
            raise error
        raise Unauthorized("the token is not valid or has been revoked")
    return caller


async def current_user(request: Request) -> User:
    return (await current_caller(request)).user
