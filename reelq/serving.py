"""How ``reelq serve`` runs uvicorn: the fast httptools parser, bounded request heads, and a deadline for
reading them.

uvicorn's defaults let one connection send an endless header (httptools buffers it all) or trickle a byte
every few seconds forever (``timeout_keep_alive`` only runs *between* requests). Here a request line plus
headers larger than ``REELQ_MAX_HEADER_BYTES`` is answered 431 and the connection closed, and a timer
closes a connection whose request head is not complete ``REELQ_HEADER_TIMEOUT_SECONDS`` after its first
byte (or after the connection opened). Bodies are not covered by this timer: the upload routes have their
own idle timeout (``REELQ_UPLOAD_IDLE_SECONDS``).

The size is counted twice: the bytes received while a head is incomplete (so a head that never ends is
cut off once it passes the limit, before the parser buffers more), and, when the head is complete, the
request line and header fields themselves (so a head that arrives in one large read is refused too).
httptools is uvicorn's C parser; its h11 parser has a size limit of its own but answers about half as
many requests per second (``./dev bench poll``).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httptools
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from reelq.config import Settings

log = logging.getLogger("reelq.http")

_TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
    b"content-type: text/plain; charset=utf-8\r\ncontent-length: 32\r\nconnection: close\r\n\r\n"
    b"request headers are too large.\r\n"
)


class HeadTooLarge(Exception):
    """Raised inside a parser callback to stop parsing a request whose head is over the limit."""


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a size limit and a deadline on each request head (class
    attributes, set per server by :func:`protocol_for`)."""

    header_timeout: float = 15.0
    max_head_bytes: int = 64 * 1024

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_timer: asyncio.TimerHandle | None = None
        self._in_head = True  # reading a request head, or waiting for the next one
        self._raw_head_bytes = 0  # bytes received since this head began (while it is incomplete)
        self._head_bytes = 0  # request line plus header fields of the head being parsed
        self._head_too_large = False
        self._message_ended = False  # a request ended in the read being parsed (its tail is not a head)

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        self._unset_keepalive_if_required()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:  # as uvicorn does
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
            return
        except httptools.HttpParserError:
            if self._head_too_large:
                self._refuse_head()
            else:
                self.logger.warning("Invalid HTTP request received.")
                self.send_400_response("Invalid HTTP request received.")
            return
        if self._in_head and not self._message_ended:
            self._raw_head_bytes += len(data)
            if self._raw_head_bytes > self.max_head_bytes:
                self._refuse_head()
                return
        self._message_ended = False
        if self._in_head and not self.transport.is_closing():
            if self._head_timer is None:
                self._arm_head_timer()
        else:
            self._cancel_head_timer()

    def on_url(self, url: bytes) -> None:
        self._head_bytes += len(url)
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._head_bytes += len(name) + len(value) + 4  # "name: value\r\n"
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        if self._head_bytes > self.max_head_bytes:
            self._head_too_large = True
            raise HeadTooLarge
        self._in_head = False
        self._raw_head_bytes = self._head_bytes = 0
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._in_head = True
        self._message_ended = True
        super().on_message_complete()

    def _refuse_head(self) -> None:
        self._cancel_head_timer()
        log.info("http.head_too_large", extra={"client": self.client and self.client[0]})
        if not self.transport.is_closing():
            self.transport.write(_TOO_LARGE)
            self.transport.close()

    def _arm_head_timer(self) -> None:
        self._cancel_head_timer()
        self._head_timer = self.loop.call_later(self.header_timeout, self._head_timed_out)

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self._in_head and not self.transport.is_closing():
            if self.cycle is not None and not self.cycle.response_complete:
                return  # a response is still being written; the next data re-arms the timer
            log.debug("http.head_timeout", extra={"client": self.client and self.client[0]})
            self.transport.close()


def protocol_for(settings: Settings) -> type[BoundedHttpToolsProtocol]:
    """A protocol class carrying this server's head limits (uvicorn instantiates it per connection)."""
    return type(
        "ReelqHttpProtocol",
        (BoundedHttpToolsProtocol,),
        {"header_timeout": settings.header_timeout_seconds, "max_head_bytes": settings.max_header_bytes},
    )


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """The keyword arguments ``reelq serve`` passes to ``uvicorn.run`` besides the app."""
    return {
        "host": settings.host,
        "port": settings.port,
        "http": protocol_for(settings),
        "log_level": "warning",
        "access_log": False,  # reelq's own request log (reelq.http.middleware) replaces it
        "timeout_graceful_shutdown": 15,
    }
