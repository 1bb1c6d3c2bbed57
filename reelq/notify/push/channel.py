"""The Expo push channel: claim ≤100 outbox rows, one Expo request, record every ticket."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, Select

from reelq.jobs.models import Job
from reelq.logs import event
from reelq.notify.channels import drain, give_back
from reelq.notify.outbox import Notification, Outbox, State
from reelq.notify.push.devices import Device, DeviceStore
from reelq.notify.push.expo import MAX_RECIPIENTS, ExpoClient, ExpoRequestError, ExpoUnavailable, Ticket
from reelq.notify.push.payload import MAX_PUSH_BYTES, push_message, push_size
from reelq.notify.push.throttle import SlidingWindow
from reelq.notify.retry import backoff
from reelq.timeutil import now as _now

log = logging.getLogger("reelq.notify")

PUSH = "push"

DEVICE_NOT_REGISTERED = "DeviceNotRegistered"
# Per-message errors that are worth another try later; every other one is recorded and left alone.
RETRY_TICKET_ERRORS = {"MessageRateExceeded"}


@dataclass
class PushConfig:
    lease_seconds: float = 120.0
    max_attempts: int = 8
    retry_base_seconds: float = 10.0
    receipt_delay_seconds: float = 900.0
    url_template: str = "reelq://results/{job_id}"
    collapse: bool = False


class PushSender:
    name = PUSH

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

    def targets_query(self) -> Select[tuple[str]]:
        return self.devices.active_ids_query()

    def payload(self, conn: Connection, job: Job, event: str) -> dict[str, Any]:
        return push_message(job, self.config.url_template, collapse=self.config.collapse)

    def deliver_due(self, max_rows: int | None = None, max_batches: int | None = None) -> int:
        c = self.config
        return drain(
            self.outbox,
            PUSH,
            batch=MAX_RECIPIENTS,
            lease_seconds=c.lease_seconds,
            max_attempts=c.max_attempts,
            send=self.send_rows,
            give_back=self._give_back,
            max_rows=max_rows,
            max_batches=max_batches,
        )

    def send_due(self, max_batches: int | None = None) -> int:
        """Send until nothing is due (or ``max_batches`` requests); returns how many rows were handled."""
        return self.deliver_due(max_batches=max_batches)

    def _give_back(self, rows: list[Notification], exc: Exception) -> None:
        c = self.config
        give_back(
            self.engine,
            self.outbox,
            rows,
            exc,
            retry_base_seconds=c.retry_base_seconds,
            max_attempts=c.max_attempts,
        )

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
                self._give_back([row for row, _ in group], exc)

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
