"""The webhook channel: deliver due outbox rows to each endpoint, signed, at the address that
``addresses.py`` checked and pinned; count failures and disable an endpoint that keeps failing."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import Connection, Engine, Select

from reelq import __version__
from reelq.jobs.models import Job
from reelq.logs import event
from reelq.notify.channels import drain, give_back
from reelq.notify.outbox import Notification, Outbox, State
from reelq.notify.retry import backoff
from reelq.notify.webhook.addresses import Blocked
from reelq.notify.webhook.job_user import job_user
from reelq.notify.webhook.payload import webhook_body
from reelq.notify.webhook.signing import sign
from reelq.notify.webhook.store import WebhookStore
from reelq.timeutil import now as _now

log = logging.getLogger("reelq.notify")

WEBHOOK = "webhook"

BATCH = 10


@dataclass
class WebhookConfig:
    timeout_seconds: float = 10.0
    max_failures: int = 10
    max_attempts: int = 8
    retry_base_seconds: float = 10.0
    lease_seconds: float = 60.0


class WebhookSender:
    name = WEBHOOK

    def __init__(
        self,
        engine: Engine,
        outbox: Outbox,
        store: WebhookStore,
        http: httpx.Client,
        config: WebhookConfig,
        clock: Callable[[], float] = _now,
        status_url: Callable[[str], str] = lambda job_id: f"/api/results/job/{job_id}",
    ) -> None:
        self.engine = engine
        self.outbox = outbox
        self.store = store
        self.http = http
        self.config = config
        self.clock = clock
        self.status_url = status_url

    def targets_query(self) -> Select[tuple[str]]:
        return self.store.active_ids_query()

    def payload(self, conn: Connection, job: Job, event: str) -> dict[str, Any]:
        body = webhook_body(job, event, self.status_url(job.id))
        body["data"]["user"] = job_user(conn, job.user_id)  # server-wide hooks route by it
        return body

    def deliver_due(self, max_rows: int | None = None) -> int:
        c = self.config
        return drain(
            self.outbox,
            WEBHOOK,
            batch=BATCH,
            lease_seconds=c.lease_seconds,
            max_attempts=c.max_attempts,
            send=self.deliver_rows,
            give_back=self._give_back,
            max_rows=max_rows,
        )

    def deliver_rows(self, rows: list[Notification]) -> None:
        for row in rows:
            try:
                self.deliver(row)
            except Exception as exc:  # one bad row must never hold back the rows behind it
                self._give_back([row], exc)

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

    def deliver(self, row: Notification) -> None:
        hook = self.store.get(row.target_id)
        fields: dict[str, Any] = {"job_id": row.job_id, "user_id": row.user_id, "webhook": row.target_id}
        if hook is None or hook.disabled_at is not None:
            with self.engine.begin() as conn:
                self.outbox.finish(conn, row, State.SKIPPED, error_code="endpoint_disabled")
            return
        if not self.store.may_receive(hook):
            with self.engine.begin() as conn:
                self.outbox.finish(conn, row, State.SKIPPED, error_code="owner_not_admin")
            return
        body = json.dumps(row.payload, separators=(",", ":")).encode()
        ts = int(self.clock())
        headers = {
            "content-type": "application/json",
            "user-agent": f"reelq-webhooks/{__version__}",
            "webhook-id": row.id,
            "webhook-timestamp": str(ts),
            "webhook-signature": sign(hook.secret, row.id, ts, body),
        }
        error: str | None = None
        try:
            target = self.store.target(hook.url)
            resp = self.http.post(
                target.url,
                content=body,
                headers={**headers, "host": target.host_header},
                timeout=self.config.timeout_seconds,
                extensions={"sni_hostname": target.sni_hostname} if target.sni_hostname else None,
            )
            if not 200 <= resp.status_code < 300:
                error = f"HTTP {resp.status_code}"
        except Blocked as exc:
            error = str(exc)
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:300]
        with self.engine.begin() as conn:
            if error is None:
                self.outbox.finish(conn, row, State.DELIVERED, sent_at=self.clock(), error_code=None)
                self.store.record(conn, hook.id, None, self.config.max_failures)
                event(log, "webhook.delivered", event_type=row.event, **fields)
                return
            disabled = self.store.record(conn, hook.id, error, self.config.max_failures)
            if disabled:
                self.outbox.finish(
                    conn, row, State.FAILED, error_code="endpoint_disabled", error_message=error
                )
                self.outbox.fail_pending_for_target(conn, WEBHOOK, hook.id, "endpoint_disabled")
                event(log, "webhook.disabled", logging.WARNING, error=error, **fields)
                return
            delay = backoff(row.attempts, self.config.retry_base_seconds)
            self.outbox.retry_later(conn, row, "delivery_failed", error, delay, self.config.max_attempts)
            event(log, "webhook.failed", logging.WARNING, error=error, attempt=row.attempts, **fields)


def webhook_client() -> httpx.Client:
    """The client webhooks are sent with: no redirects (a 3xx could point anywhere) and no kept-alive
    connections, since a connection is opened to a pinned address for one checked name and must not
    be reused for another name that happens to resolve to the same address."""
    return httpx.Client(follow_redirects=False, limits=httpx.Limits(max_keepalive_connections=0))
