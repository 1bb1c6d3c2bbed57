"""The claim loop every channel shares (the channel itself is ``protocol.py``).

The loop that claims rows under a lease, hands them to the channel and makes sure an unexpected error
never leaves a batch stuck in ``sending`` lives here once, so a new channel gets that safety without
writing it again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import Engine

from reelq.notify.outbox import Notification, Outbox
from reelq.notify.retry import backoff

log = logging.getLogger("reelq.notify")


def drain(
    outbox: Outbox,
    channel: str,
    *,
    batch: int,
    lease_seconds: float,
    max_attempts: int,
    send: Callable[[list[Notification]], None],
    give_back: Callable[[list[Notification], Exception], None],
    max_rows: int | None = None,
    max_batches: int | None = None,
) -> int:
    """Claim due rows ``batch`` at a time and ``send`` them until nothing is due (or ``max_rows`` were
    handled, or ``max_batches`` claims were made).

    ``send`` records each row's outcome itself. Should it raise, ``give_back`` records the batch's
    rows as failed attempts; rows already recorded are untouched, since ``Outbox.finish`` only
    writes while the row is still ``sending`` under this claim's lease.
    """
    handled = batches = 0
    while (max_rows is None or handled < max_rows) and (max_batches is None or batches < max_batches):
        rows = outbox.claim(channel, batch, lease_seconds, max_attempts)
        if not rows:
            break
        try:
            send(rows)
        except Exception as exc:
            give_back(rows, exc)
        handled += len(rows)
        batches += 1
    return handled


def give_back(
    engine: Engine,
    outbox: Outbox,
    rows: list[Notification],
    exc: Exception,
    *,
    retry_base_seconds: float,
    max_attempts: int,
) -> None:
    """Record ``rows`` still leased as a failed attempt (``internal_error``): back to ``pending`` after
    a backoff, or ``failed`` once their attempts are spent. The traceback goes to the log only."""
    log.error("notify.crashed", extra={"count": len(rows), "channel": rows[0].channel}, exc_info=exc)
    message = "the send failed with an internal error (see the server log)"
    try:
        with engine.begin() as conn:
            for row in rows:
                delay = backoff(row.attempts, retry_base_seconds)
                outbox.retry_later(conn, row, "internal_error", message, delay, max_attempts, quiet=True)
    except Exception:  # the database itself failed: the leases expire and the rows are claimed again
        log.exception("notify.record_failed")
