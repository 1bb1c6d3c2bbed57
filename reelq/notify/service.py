"""Wire the notification parts together and give the rest of reelq three entry points:
``outbox.on_terminal`` (the job store's terminal hook), ``trigger`` (after the commit, in the worker)
and ``tick`` (periodic: resend what is due or was left behind by a dead worker, fetch receipts)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import Engine

from reelq.config import Settings
from reelq.jobs.models import Job
from reelq.logs import event
from reelq.notify.outbox import Outbox
from reelq.notify.protocol import Channel
from reelq.notify.push.channel import PushConfig, PushSender
from reelq.notify.push.devices import DeviceStore
from reelq.notify.push.expo import ExpoClient
from reelq.notify.push.receipts import ReceiptChecker
from reelq.notify.push.throttle import SlidingWindow
from reelq.notify.webhook.channel import WebhookConfig, WebhookSender, webhook_client
from reelq.notify.webhook.store import WebhookStore

log = logging.getLogger("reelq.notify")

SEND_TASK = "send_notifications"


@dataclass
class Notifier:
    devices: DeviceStore
    webhooks: WebhookStore
    outbox: Outbox
    push: PushSender
    receipts: ReceiptChecker
    webhook_sender: WebhookSender
    http: httpx.Client
    _enqueue: Callable[[], Any] | None = None

    @classmethod
    def build(cls, settings: Settings, engine: Engine, http: httpx.Client | None = None) -> Notifier:
        http = http or httpx.Client(follow_redirects=False)
        devices = DeviceStore(engine)
        hooks = WebhookStore(
            engine, allow_http=settings.webhook_allow_http, allow_private=settings.webhook_allow_private
        )
        outbox = Outbox(engine)
        token = settings.expo_access_token.get_secret_value() if settings.expo_access_token else None
        expo = ExpoClient(
            http,
            settings.expo_api_url,
            access_token=token,
            timeout=settings.expo_timeout_seconds,
            max_retries=settings.expo_max_retries,
            retry_base=settings.expo_retry_base_seconds,
        )
        push = PushSender(
            engine,
            outbox,
            devices,
            expo,
            SlidingWindow(settings.expo_max_per_second),
            PushConfig(
                lease_seconds=settings.push_lease_seconds,
                max_attempts=settings.notify_max_attempts,
                retry_base_seconds=settings.notify_retry_base_seconds,
                receipt_delay_seconds=settings.expo_receipt_delay_seconds,
                url_template=settings.push_url_template,
                collapse=settings.expo_collapse_duplicates,
            ),
        )
        receipts = ReceiptChecker(
            engine, outbox, devices, expo, recheck_seconds=min(300.0, settings.expo_receipt_delay_seconds + 1)
        )
        sender = WebhookSender(
            engine,
            outbox,
            hooks,
            webhook_client(),
            WebhookConfig(
                timeout_seconds=settings.webhook_timeout_seconds,
                max_failures=settings.webhook_max_failures,
                max_attempts=settings.notify_max_attempts,
                retry_base_seconds=settings.notify_retry_base_seconds,
                lease_seconds=max(60.0, settings.webhook_timeout_seconds * 3),
            ),
        )
        for channel in (push, sender):
            outbox.add(channel)
        return cls(devices, hooks, outbox, push, receipts, sender, http)

    def register_task(self, huey: Any) -> None:
        """The Huey task that sends after a commit; any consumer of this queue can run it."""
        self._enqueue = huey.task(name=SEND_TASK, retries=0)(self.send_pending)

    @property
    def channels(self) -> list[Channel]:
        return self.outbox.channels

    def send_pending(self) -> None:
        """Every channel sends what is due; one channel's failure (its database query, say) does not
        keep the others from running, and is raised once they have."""
        failure: Exception | None = None
        for channel in self.channels:
            try:
                channel.deliver_due()
            except Exception as exc:
                event(
                    log,
                    "notify.channel_failed",
                    logging.ERROR,
                    channel=channel.name,
                    error=type(exc).__name__,
                )
                failure = failure or exc
        if failure is not None:
            raise failure

    def trigger(self, job: Job | None = None) -> None:
        """After the terminal commit: ask a consumer to send. A lost trigger is covered by ``tick``.

        Called in the thread that finished ``job``: when that finish wrote no notification (no device, no
        webhook), there is nothing new to send and nothing is asked (rows due for a retry go at ``tick``).
        """
        if job is not None and self.outbox.rows_added_here() == 0:
            return
        try:
            if self._enqueue is not None:
                self._enqueue()
            else:
                self.send_pending()
        except Exception as exc:
            job_id = job.id if job else None
            event(log, "notify.trigger_failed", logging.WARNING, job_id=job_id, error=str(exc))

    def tick(self) -> None:
        """Periodic: resend rows that are due (or whose sender died), then fetch due receipts."""
        self.send_pending()
        self.receipts.check_due()

    def close(self) -> None:
        self.http.close()
        self.webhook_sender.http.close()
