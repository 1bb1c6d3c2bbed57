"""Fetch push receipts for sent notifications, in batches of ≤1000, and act on them.

``ok`` → delivered. ``DeviceNotRegistered`` → the device is disabled. Any other error is recorded.
An id with no receipt yet is asked again later; after 24 h Expo has forgotten it: ``receipt_missing``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import Engine

from reelq.logs import event
from reelq.notify.outbox import Outbox, State
from reelq.notify.push.channel import DEVICE_NOT_REGISTERED
from reelq.notify.push.devices import DeviceStore
from reelq.notify.push.expo import MAX_RECEIPT_IDS, ExpoClient, ExpoError
from reelq.timeutil import now as _now

log = logging.getLogger("reelq.notify")

RECEIPTS_KEPT_SECONDS = 24 * 3600.0


class ReceiptChecker:
    def __init__(
        self,
        engine: Engine,
        outbox: Outbox,
        devices: DeviceStore,
        expo: ExpoClient,
        *,
        batch_size: int = MAX_RECEIPT_IDS,
        recheck_seconds: float = 300.0,
        clock: Callable[[], float] = _now,
    ) -> None:
        self.engine = engine
        self.outbox = outbox
        self.devices = devices
        self.expo = expo
        self.batch_size = min(batch_size, MAX_RECEIPT_IDS)
        self.recheck_seconds = recheck_seconds
        self.clock = clock

    def check_due(self, max_batches: int | None = None) -> int:
        """Ask Expo about every receipt that is due; returns how many receipts were settled."""
        settled = batches = 0
        while max_batches is None or batches < max_batches:
            rows = self.outbox.due_receipts(self.batch_size)
            if not rows:
                break
            batches += 1
            try:
                receipts = self.expo.get_receipts([r.ticket_id for r in rows if r.ticket_id])
            except ExpoError as exc:
                event(log, "push.receipts_unavailable", logging.WARNING, error=str(exc)[:200])
                break
            t = self.clock()
            with self.engine.begin() as conn:
                for row in rows:
                    receipt = receipts.get(row.ticket_id or "")
                    if receipt is None:
                        if t - (row.sent_at or t) >= RECEIPTS_KEPT_SECONDS:
                            self.outbox.set_receipt(conn, row.id, State.FAILED, error_code="receipt_missing")
                            event(log, "push.receipt_missing", logging.WARNING, job_id=row.job_id)
                        else:
                            self.outbox.set_receipt(
                                conn, row.id, None, receipt_due_at=t + self.recheck_seconds
                            )
                        continue
                    settled += 1
                    if receipt.ok:
                        self.outbox.set_receipt(conn, row.id, State.DELIVERED)
                        continue
                    code = receipt.error or "unknown_error"
                    self.outbox.set_receipt(
                        conn,
                        row.id,
                        State.FAILED,
                        error_code=code,
                        error_message=(receipt.message or "")[:500],
                    )
                    fields = {"job_id": row.job_id, "user_id": row.user_id, "device": row.target_id}
                    event(log, "push.receipt_error", logging.WARNING, error=code, **fields)
                    if code == DEVICE_NOT_REGISTERED and self.devices.disable(conn, row.target_id, code):
                        event(log, "push.device_disabled", logging.WARNING, reason=code, **fields)
        return settled
