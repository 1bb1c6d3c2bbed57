"""Webhooks: a receiver verifies the Standard Webhooks signature with the recipe in docs/notifications.md;
a failing endpoint is retried, then disabled."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient

from reelq.app import create_app
from reelq.config import Settings
from reelq.jobs.models import Job
from reelq.jobs.states import JobStatus
from reelq.notify.webhook.store import verify
from reelq.runtime import Runtime


# -- the receiver's recipe, as docs/notifications.md shows it (deliberately not reelq's own code) -------
def verify_webhook(secret: str, headers: dict[str, str], body: bytes, tolerance: int = 300) -> bool:
    msg_id, timestamp = headers["webhook-id"], headers["webhook-timestamp"]
    if abs(time.time() - int(timestamp)) > tolerance:
        return False
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{msg_id}.{timestamp}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(
        hmac.compare_digest(expected, sig.split(",", 1)[1])
        for sig in headers["webhook-signature"].split()
        if sig.startswith("v1,")
    )


class Receiver:
    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.got: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.got.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/reelq"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def api(nsettings: Settings) -> Iterator[TestClient]:
    app = create_app(nsettings.model_copy(update={"embedded_worker": False, "webhook_max_failures": 3}))
    with TestClient(app) as c:
        yield c


def setup(api: TestClient, url: str) -> tuple[Runtime, str, dict[str, str], dict[str, Any]]:
    rt: Runtime = api.app.state.runtime  # type: ignore[attr-defined]
    user, token = rt.users.create("hooker")
    headers = {"Authorization": f"Bearer {token}"}
    r = api.post("/api/webhooks", json={"url": url}, headers=headers)
    assert r.status_code == 201, r.text
    return rt, user.id, headers, r.json()


def test_a_receiver_verifies_the_signature_with_the_documented_recipe(
    api: TestClient, receiver: Receiver, finish: Callable[..., Job]
) -> None:
    # ``finish`` drives jobs through another Runtime on the same database: fine, the outbox is the table.
    rt, user_id, headers, hook = setup(api, receiver.url)
    assert hook["secret"].startswith("whsec_")
    assert api.get("/api/webhooks", headers=headers).json()["webhooks"][0]["secret"] is None  # shown once
    job = finish(user_id, JobStatus.COMPLETED)
    assert rt.notifier is not None
    rt.notifier.send_pending()
    [(got_headers, body)] = receiver.got
    assert verify_webhook(hook["secret"], got_headers, body)
    # the verifier that ships with reelq (for Python receivers) agrees with the recipe
    assert verify(hook["secret"], got_headers, body)
    assert not verify(hook["secret"], got_headers, body + b" ")
    assert not verify(hook["secret"], got_headers, body, now=time.time() + 3600)  # a replay
    event = json.loads(body)
    assert event["type"] == "job.completed"
    assert event["data"]["job_id"] == job.id and event["data"]["status_url"] == f"/api/results/job/{job.id}"
    assert not verify_webhook(hook["secret"], got_headers, body.replace(b"completed", b"failed!!!"))
    other = "whsec_" + base64.b64encode(b"x" * 24).decode()
    assert not verify_webhook(other, got_headers, body)
    history = api.get(f"/api/jobs/{job.id}/notifications", headers=headers).json()["notifications"]
    assert [(h["channel"], h["state"], h["id"]) for h in history] == [
        ("webhook", "delivered", got_headers["webhook-id"])
    ]


def test_a_failing_endpoint_is_retried_then_disabled(
    api: TestClient, receiver: Receiver, finish: Callable[..., Job]
) -> None:
    receiver.status = 500
    rt, user_id, headers, _ = setup(api, receiver.url)
    assert rt.notifier is not None
    job = finish(user_id, JobStatus.FAILED)
    rt.notifier.send_pending()  # retry delay is 0 in these settings: it retries until disabled (3 here)
    assert len(receiver.got) == 3
    assert len({h["webhook-id"] for h, _ in receiver.got}) == 1  # the same message each time
    [state] = api.get("/api/webhooks", headers=headers).json()["webhooks"]
    assert (
        state["active"] is False and state["consecutive_failures"] == 3 and state["last_error"] == "HTTP 500"
    )
    [row] = rt.notifier.outbox.history(job.id)
    assert row["state"] == "failed" and row["error"]["code"] == "endpoint_disabled"
    finish(user_id, JobStatus.COMPLETED)  # a disabled endpoint gets nothing more
    rt.notifier.send_pending()
    assert len(receiver.got) == 3


def test_a_success_resets_the_failure_count(
    api: TestClient, receiver: Receiver, finish: Callable[..., Job]
) -> None:
    rt, user_id, headers, _ = setup(api, receiver.url)
    assert rt.notifier is not None
    receiver.status = 503
    finish(user_id)
    rt.notifier.webhook_sender.deliver_due(max_rows=2)
    receiver.status = 204
    rt.notifier.send_pending()
    [state] = api.get("/api/webhooks", headers=headers).json()["webhooks"]
    assert state["active"] is True and state["consecutive_failures"] == 0
    assert len(receiver.got) == 3  # two failures, then the success


def test_webhook_urls_must_be_https_except_localhost(api: TestClient) -> None:
    rt: Runtime = api.app.state.runtime  # type: ignore[attr-defined]
    _, token = rt.users.create("urls")
    h = {"Authorization": f"Bearer {token}"}
    assert api.post("/api/webhooks", json={"url": "http://example.com/x"}, headers=h).json()["code"] == (
        "invalid_webhook_url"
    )
    assert api.post("/api/webhooks", json={"url": "https://example.com/x"}, headers=h).status_code == 201
    assert api.post("/api/webhooks", json={"url": "ftp://example.com/x"}, headers=h).status_code == 400


def test_webhooks_cannot_reach_private_addresses_by_default(
    api: TestClient, receiver: Receiver, finish: Callable[..., Job]
) -> None:
    """A user must not turn the server into a client of services inside its own network."""
    rt, user_id, headers, _ = setup(api, receiver.url)  # registered while private addresses are allowed
    assert rt.notifier is not None
    assert rt.notifier.webhook_sender.store is rt.notifier.webhooks
    rt.notifier.webhooks.allow_private = False  # the default
    for url in (
        "http://127.0.0.1:6379/",
        "https://10.0.0.7/h",
        "https://[::1]/x",
        "https://169.254.169.254/",
    ):
        r = api.post("/api/webhooks", json={"url": url}, headers=headers)
        assert r.status_code == 400 and r.json()["code"] == "webhook_url_not_public", url
    # a name that resolves to a private address is refused when delivering (DNS may change after registering)
    job = finish(user_id, JobStatus.COMPLETED)
    rt.notifier.send_pending()
    assert receiver.got == []
    [row] = rt.notifier.outbox.history(job.id)
    assert row["state"] != "delivered" and "not a public address" in (row["error"]["message"] or "")
