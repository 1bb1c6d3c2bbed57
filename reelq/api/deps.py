"""Request dependencies: the runtime and the authenticated user (checked before any body byte)."""

from __future__ import annotations

from fastapi import Request

from reelq.auth.resolve import resolve_token
from reelq.auth.tokens import User
from reelq.errors import Unauthorized
from reelq.runtime import Runtime


def runtime_of(request: Request) -> Runtime:
    rt: Runtime = request.app.state.runtime
    return rt


async def runtime(request: Request) -> Runtime:
    return runtime_of(request)


async def current_user(request: Request) -> User:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("send 'Authorization: Bearer <token>' (create one with `reelq users create NAME`)")
    user = await resolve_token(runtime_of(request).users, token)
    if user is None:
        raise Unauthorized("the token is not valid or has been revoked")
    request.state.user = user
    return user
