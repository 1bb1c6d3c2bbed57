"""Bodies: who is calling is checked before any body byte, and every body has a size limit and a deadline.

FastAPI reads and parses a route's body before it resolves the route's dependencies, so a token checked
by a dependency comes too late: a stranger's 300 MB body would be read (and parsed) first. ``BodyGuard``
is the pure ASGI layer in front of every route that makes the order right for both faces:

1. a request that carries a body (``Content-Length`` above 0, or ``Transfer-Encoding``) to a route that
   needs a caller is answered 401 unless its bearer token (``/api``) or session cookie (``/console``) is
   valid, before a byte of the body is read, and the connection is closed;
2. a body declared larger than its route's limit is answered 413 at once; a chunked body is counted as it
   arrives and answered 413 when it passes the limit (uploads: ``REELQ_MAX_UPLOAD_BYTES``; the sign-in
   form: ``SIGN_IN_BODY_BYTES``; every other route: ``REELQ_MAX_JSON_BODY_BYTES``);
3. a body that stops arriving for ``REELQ_UPLOAD_IDLE_SECONDS`` is answered 408 (the upload routes keep
   their own, finer idle handling: a tus PATCH keeps the bytes it got).

When the guard answers in the middle of a body, the route sees the client go away, and whatever the route
then sends is dropped. An answer sent before the whole body was read closes the connection, so the server
never reads the rest.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reelq.http.caller import Face, refusal, resolve
from reelq.http.errors import problem, status_for
from reelq.runtime import Runtime

SIGN_IN_PATH = "/console/sign-in"
SIGN_IN_BODY_BYTES = 32 * 1024  # a urlencoded token (a login JWT is at most 16 KiB) and a CSRF field
UPLOAD_PATHS = ("/api/upload", "/api/uploads", "/console/uploads")
FORM_OVERHEAD = 1024 * 1024  # room for a multipart upload's other fields and framing
TUS_PATHS = ("/api/uploads", "/console/uploads")


@dataclass(frozen=True)
class BodyRule:
    face: Face | None  # who must be calling before the body is read (None: anyone)
    limit: int
    upload: bool


def rule_for(path: str, method: str, rt: Runtime) -> BodyRule:
    """The body rule of a request: the one place that says which route takes which body."""
    settings = rt.settings
    upload = path.startswith(UPLOAD_PATHS)
    limit = settings.max_upload_bytes + FORM_OVERHEAD if upload else settings.max_json_body_bytes
    if method == "OPTIONS":
        return BodyRule(None, settings.max_json_body_bytes, False)
    if path.startswith("/api/"):
        return BodyRule("bearer", limit, upload)
    if path == SIGN_IN_PATH:
        return BodyRule(None, SIGN_IN_BODY_BYTES, False)
    if path.startswith("/console/"):
        return BodyRule("session", limit, upload)
    return BodyRule(None, settings.max_json_body_bytes, False)


def declared_body(scope: Scope) -> tuple[bool, int | None]:
    """(whether the request has a body, its declared length if it declares one)."""
    length: int | None = None
    chunked = False
    for name, value in scope["headers"]:
        if name == b"content-length":
            length = int(value) if value.isdigit() else -1
        elif name == b"transfer-encoding":
            chunked = True
    if length is not None and length >= 0 and not chunked:
        return length > 0, length
    return chunked or length is not None, None


class BodyGuard:
    def __init__(self, app: ASGIApp, owner: Any) -> None:
        self.app = app
        self.owner = owner  # the FastAPI app: its state holds the runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        has_body, length = declared_body(scope)
        if not has_body:
            await self.app(scope, receive, send)
            return
        rt: Runtime = self.owner.state.runtime
        rule = rule_for(scope["path"], scope["method"], rt)
        path = scope["path"]
        if rule.face is not None and await resolve(scope, rt, rule.face) is None:
            error = refusal(scope)
            if error is not None:  # an expired login token, the identity provider out of reach …
                await _answer(send, path, status_for(error), error.code, error.detail)
                return
            what = "a valid 'Authorization: Bearer <token>'" if rule.face == "bearer" else "a session"
            await _answer(send, path, 401, "unauthorized", f"this request needs {what} before its body")
            return
        if length is not None and length > rule.limit:
            await _answer(send, path, 413, *_too_large(rule))
            return
        idle = None if rule.upload else rt.settings.upload_idle_seconds
        await BodyReader(self.app, rule, idle)(scope, receive, send)


def _too_large(rule: BodyRule) -> tuple[str, str]:
    if rule.upload:
        return "upload_too_large", f"the body is larger than the limit of {rule.limit} bytes"
    return "body_too_large", f"a request body here may be at most {rule.limit} bytes"


async def _answer(send: Send, path: str, status: int, code: str, detail: str) -> None:
    """A problem answer that ends the connection (the unread body is never read)."""
    headers = {"Connection": "close"}
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    if path.startswith(TUS_PATHS):
        headers["Tus-Resumable"] = "1.0.0"
    response = problem(status, code, detail, headers=headers)
    await response({"type": "http"}, _no_body, send)


async def _no_body() -> Message:
    return {"type": "http.disconnect"}


class BodyReader:
    """One request's body, counted and timed as the route reads it."""

    def __init__(self, app: ASGIApp, rule: BodyRule, idle: float | None) -> None:
        self.app = app
        self.rule = rule
        self.idle = idle
        self.received = 0
        self.answered = False  # the guard answered: the route's own answer is dropped
        self.started = False
        self.complete = False  # the route read the whole body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def guarded_send(message: Message) -> None:
            if self.answered:
                return
            if message["type"] == "http.response.start":
                self.started = True
                if not self.complete:  # answered without the rest of the body: never read it
                    message = {**message, "headers": [*message.get("headers", []), (b"connection", b"close")]}
            await send(message)

        async def guarded_receive() -> Message:
            if self.answered:
                return {"type": "http.disconnect"}
            try:
                message = await (asyncio.wait_for(receive(), self.idle) if self.idle else receive())
            except TimeoutError:
                await self._refuse(send, scope["path"], 408, "body_timeout", self._idle_detail())
                return {"type": "http.disconnect"}
            if message["type"] == "http.request":
                self.complete = not message.get("more_body", False)
                self.received += len(message.get("body", b""))
                if self.received > self.rule.limit:
                    await self._refuse(send, scope["path"], 413, *_too_large(self.rule))
                    return {"type": "http.disconnect"}
            return message

        await self.app(scope, guarded_receive, guarded_send)

    def _idle_detail(self) -> str:
        return f"no byte of the body arrived for {self.idle:g} s"

    async def _refuse(self, send: Send, path: str, status: int, code: str, detail: str) -> None:
        if not self.started:
            await _answer(send, path, status, code, detail)
        self.answered = True
