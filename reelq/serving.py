"""How ``reelq serve`` runs uvicorn: bounded request heads and a deadline for reading them.

uvicorn's defaults let one connection send an endless header (httptools buffers it all) or trickle a byte
every few seconds forever (``timeout_keep_alive`` only runs *between* requests). Here the h11 parser caps
the request line plus headers at ``REELQ_MAX_HEADER_BYTES`` (uvicorn answers 400 and closes), and a timer
closes a connection whose request head is not complete ``REELQ_HEADER_TIMEOUT_SECONDS`` after its first
byte (or after the connection opened). Bodies are not covered by this timer: the upload routes have their
own idle timeout (``REELQ_UPLOAD_IDLE_SECONDS``).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from reelq.config import Settings

log = logging.getLogger("reelq.http")


class HeadDeadlineH11Protocol(H11Protocol):
    """uvicorn's h11 protocol plus a deadline on each request head (class attribute, set per server)."""

    header_timeout: float = 15.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        # IDLE on the client side means a request head is still being read (or none started yet).
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            if self._head_timer is None:
                self._arm_head_timer()
        else:
            self._cancel_head_timer()

    def _arm_head_timer(self) -> None:
        self._cancel_head_timer()
        self._head_timer = self.loop.call_later(self.header_timeout, self._head_timed_out)

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            if self.cycle is not None and not self.cycle.response_complete:
                return  # a response is still being written (pipelining); its end re-arms keep-alive
            log.debug("http.head_timeout", extra={"client": self.client and self.client[0]})
            self.transport.close()


def protocol_for(settings: Settings) -> type[H11Protocol]:
    """A protocol class carrying this server's header deadline (uvicorn instantiates it per connection)."""
    return type(
        "ReelqH11Protocol", (HeadDeadlineH11Protocol,), {"header_timeout": settings.header_timeout_seconds}
    )


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """The keyword arguments ``reelq serve`` passes to ``uvicorn.run`` besides the app."""
    return {
        "host": settings.host,
        "port": settings.port,
        "http": protocol_for(settings),
        "h11_max_incomplete_event_size": settings.max_header_bytes,
        "log_level": "warning",
        "access_log": False,  # reelq's own request log (reelq.api.middleware) replaces it
        "timeout_graceful_shutdown": 15,
    }
