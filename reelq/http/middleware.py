"""Pure ASGI middleware at the edge of every response: security headers and the request log.

Pure ASGI (not ``BaseHTTPMiddleware``) so that streamed uploads, server-sent events and file responses pass
through untouched and without an extra task per request.
"""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reelq.logs import event

log = logging.getLogger("reelq.http")

# on every response (the status hot path in api/polling.py adds them itself)
ALWAYS_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
)


class SecurityHeaders:
    """``nosniff``, ``no-referrer`` and no framing on every response; ``no-store`` on problem+json errors.

    HTML pages (``/docs``, ``/redoc``) also get ``Content-Security-Policy: frame-ancestors 'none'`` unless
    the page set its own policy. A header the route already set is left as it is.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                ctype = next((v for n, v in headers if n.lower() == b"content-type"), b"").lower()
                extra = [(n, v) for n, v in ALWAYS_HEADERS if n not in present]
                if ctype.startswith(b"text/html") and b"content-security-policy" not in present:
                    extra.append((b"content-security-policy", b"frame-ancestors 'none'"))
                if ctype.startswith(b"application/problem+json") and b"cache-control" not in present:
                    extra.append((b"cache-control", b"no-store"))
                if extra:
                    message = {**message, "headers": headers + extra}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class RequestLog:
    """One ``http.request`` line per request: method, path (never the query), status, user id, duration.

    4xx and 5xx at INFO, so "my app fails to upload" shows in the default log; 2xx and 3xx at DEBUG.
    The query string is left out on purpose: it may carry signed-URL signatures. No header is logged.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # unless a response starts: an exception escaped every handler
        scope.setdefault("state", {})  # the route sets request.state.user in this dict: the log reads it

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            log_request(scope, status, started)


def log_request(scope: Scope, status: int, started: float) -> None:
    """The ``http.request`` line of one answered request (also written by the status hot path)."""
    level = logging.INFO if status >= 400 else logging.DEBUG
    if not log.isEnabledFor(level):
        return
    user = scope.get("state", {}).get("user")
    event(
        log,
        "http.request",
        level,
        method=scope.get("method"),
        path=scope.get("path"),
        status=status,
        user=getattr(user, "id", None),
        ms=round((time.perf_counter() - started) * 1000, 1),
    )
