"""Send due push notifications: claim ≤100 outbox rows, one Expo request, record every ticket."""

from __future__ import annotations

import logging
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from reelq.logs import event
from reelq.notify.devices import Device, DeviceStore
from reelq.notify.expo import MAX_RECIPIENTS, ExpoClient, ExpoRequestError, ExpoUnavailable, Ticket
from reelq.notify.outbox import PUSH, Notification, Outbox, State
from reelq.notify.payload import MAX_PUSH_BYTES, push_size
from reelq.notify.throttle import SlidingWindow
from reelq.timeutil import now as _now

log = logging.getLogger("reelq.notify")

DEVICE_NOT_REGISTERED = "DeviceNotRegistered"
# Per-message errors that are worth another try later; every other one is recorded and left alone.
RETRY_TICKET_ERRORS = {"MessageRateExceeded"}


@dataclass
class PushConfig:
    lease_seconds: float = 120.0
    max_attempts: int = 8
    retry_base_seconds: float = 10.0
    receipt_delay_seconds: float = 900.0


def backoff(attempts: int, base: float, cap: float = 3600.0) -> float:
    return float(min(cap, base * 2 ** max(0, attempts - 1) * random.uniform(0.5, 1.5)))


class PushSender:
    def __init__(
        self,
        engine: Engine,
        outbox: Outbox,
        devices: DeviceStore,
        expo: ExpoClient,
        throttle: SlidingWindow,
        config: PushConfig,
        clock: Callable[[], float] = _now,
    ) -> None:
        self.engine = engine
        self.outbox = outbox
        self.devices = devices
        self.expo = expo
        self.throttle = throttle
        self.config = config
        self.clock = clock

    def send_due(self, max_batches: int | None = None) -> int:
        """Send until nothing is due (or ``max_batches``); returns how many rows were handled."""
        handled = batches = 0
        while max_batches is None or batches < max_batches:
            c = self.config
            rows = self.outbox.claim(PUSH, MAX_RECIPIENTS, c.lease_seconds, c.max_attempts)
            if not rows:
                break
            try:
                self.send_rows(rows)
            except Exception as exc:  # never leave the batch stuck in ``sending`` behind one bad row
                self._failed_unexpectedly(rows, exc)
            handled += len(rows)
            batches += 1
        return handled

    def send_rows(self, rows: list[Notification]) -> None:
        found = self.devices.by_ids(r.target_id for r in rows)
        ready: list[tuple[Notification, Device]] = []
        broken: list[Notification] = []
        with self.engine.begin() as conn:
            for row in rows:
                device = found.get(row.target_id)
                try:
                    size = push_size({**row.payload, "to": device.push_token}) if device else 0
                except Exception as exc:  # a row written by an older version, or damaged: this row only
                    event(log, "push.bad_row", logging.ERROR, notification=row.id, error=type(exc).__name__)
                    broken.append(row)
                    continue
                if device is None or not device.active:
                    reason = "device_removed" if device is None else "device_disabled"
                    self.outbox.finish(conn, row, State.SKIPPED, error_code=reason)
                elif size > MAX_PUSH_BYTES:
                    msg = f"the payload is over {MAX_PUSH_BYTES} bytes"
                    self.outbox.finish(conn, row, State.FAILED, error_code="MessageTooBig", error_message=msg)
                else:
                    ready.append((row, device))
            for row in broken:
                msg = "the notification could not be built (see the server log)"
                self.outbox.finish(conn, row, State.FAILED, error_code="internal_error", error_message=msg)
        groups: dict[str | None, list[tuple[Notification, Device]]] = defaultdict(list)
        for row, device in ready:
            groups[device.project].append((row, device))
        for group in groups.values():
            try:
                self._send_group(group, split_allowed=True)
            except Exception as exc:  # the other groups still go out
                self._failed_unexpectedly([row for row, _ in group], exc)

    def _failed_unexpectedly(self, rows: list[Notification], exc: Exception) -> None:
        """Rows still ``sending`` under our lease go back to ``pending`` (or ``failed`` when their
        attempts are spent); rows already recorded are untouched, since ``finish`` checks the lease."""
        log.error("push.crashed", extra={"count": len(rows)}, exc_info=exc)
        message = "the send failed with an internal error (see the server log)"
        try:
            with self.engine.begin() as conn:
                for row in rows:
                    delay = backoff(row.attempts, self.config.retry_base_seconds)
                    max_attempts = self.config.max_attempts
                    self.outbox.retry_later(conn, row, "internal_error", message, delay, max_attempts)
        except Exception:  # the database itself failed: the leases expire and the rows are claimed again
            log.exception("push.record_failed")

    def _send_group(self, group: list[tuple[Notification, Device]], *, split_allowed: bool) -> None:
        messages = [{**row.payload, "to": device.push_token} for row, device in group]
        try:
            with self.throttle.reserve(len(messages)):
                tickets = self.expo.send(messages)
        except ExpoUnavailable as exc:
            self._retry_all(group, "expo_unavailable", str(exc))
            return
        except ExpoRequestError as exc:
            if exc.code == "PUSH_TOO_MANY_EXPERIENCE_IDS" and split_allowed:
                self._split_by_project(group, exc.details)
                return
            if exc.code == "UNAUTHORIZED" or exc.status in (401, 403):
                # A configuration problem (access token): keep the rows, an operator must act.
                event(log, "push.unauthorized", logging.ERROR, code=exc.code, message=exc.message)
                self._retry_all(group, exc.code, exc.message)
                return
            event(log, "push.rejected", logging.ERROR, code=exc.code, message=exc.message, count=len(group))
            with self.engine.begin() as conn:
                for row, _ in group:
                    self.outbox.finish(
                        conn, row, State.FAILED, error_code=exc.code, error_message=exc.message
                    )
            return
        self._record(group, tickets)

    def _record(self, group: list[tuple[Notification, Device]], tickets: list[Ticket]) -> None:
        t = self.clock()
        with self.engine.begin() as conn:
            for (row, device), ticket in zip(group, tickets, strict=True):  # tickets map by position
                fields: dict[str, Any] = {"job_id": row.job_id, "user_id": row.user_id, "device": device.id}
                if ticket.ok:
                    self.outbox.finish(
                        conn,
                        row,
                        State.SENT,
                        ticket_id=ticket.id,
                        sent_at=t,
                        receipt_due_at=t + self.config.receipt_delay_seconds,
                        error_code=None,
                        error_message=None,
                    )
                    event(log, "push.sent", ticket=ticket.id, **fields)
                    continue
                code = ticket.error or "unknown_error"
                message = ticket.message or code
                if code in RETRY_TICKET_ERRORS:
                    delay = backoff(row.attempts, self.config.retry_base_seconds)
                    self.outbox.retry_later(conn, row, code, message, delay, self.config.max_attempts)
                    continue
                self.outbox.finish(conn, row, State.FAILED, error_code=code, error_message=message[:500])
                if code == DEVICE_NOT_REGISTERED and self.devices.disable(conn, device.id, code):
                    event(log, "push.device_disabled", logging.WARNING, reason=code, **fields)
                event(log, "push.ticket_error", logging.WARNING, error=code, **fields)

    def _retry_all(self, group: list[tuple[Notification, Device]], code: str, message: str) -> None:
        event(log, "push.deferred", logging.WARNING, error=code, count=len(group), reason=message[:200])
        with self.engine.begin() as conn:
            for row, _ in group:
                delay = backoff(row.attempts, self.config.retry_base_seconds)
                self.outbox.retry_later(conn, row, code, message, delay, self.config.max_attempts)

    def _split_by_project(self, group: list[tuple[Notification, Device]], details: Any) -> None:
        """Expo refused a request mixing projects; its ``details`` maps each project to its tokens."""
        project_of: dict[str, str] = {}
        if isinstance(details, dict):
            for project, tokens in details.items():
                for token in tokens if isinstance(tokens, list) else []:
                    project_of[str(token)] = str(project)
        parts: dict[str, list[tuple[Notification, Device]]] = defaultdict(list)
        with self.engine.begin() as conn:
            for row, device in group:
                project = project_of.get(device.push_token, "")
                if project:
                    self.devices.set_project(conn, device.id, project)
                parts[project].append((row, device))
        event(log, "push.split_by_project", projects=len(parts), count=len(group))
        for part in parts.values():
            self._send_group(part, split_allowed=False)
