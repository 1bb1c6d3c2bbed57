"""Webhooks under hostile input: URLs httpx cannot send to, rows that make a delivery crash, addresses
that embed a private IPv4 address, names that do not resolve, DNS answers that change between the
check and the connection, and TLS to a pinned address."""

from __future__ import annotations

import json
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert, update

from reelq.app import create_app
from reelq.config import Settings
from reelq.db.schema import notifications, webhooks
from reelq.ids import new_id
from reelq.jobs.models import Job
from reelq.notify.service import Notifier
from reelq.notify.webhook.addresses import is_public
from reelq.notify.webhook.store import new_secret
from reelq.runtime import Runtime

Finish = Callable[..., Job]


class Receiver:
    """A plain HTTP receiver on one loopback address (``port`` 0: any free one)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.got: list[tuple[dict[str, str], bytes]] = []
        self.clients: list[tuple[str, int]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keeps connections open when the client asks for it

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.got.append(({k.lower(): v for k, v in self.headers.items()}, body))
                receiver.clients.append(self.client_address[:2])
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()
        self.url = f"http://{host}:{self.port}/hooks/reelq"

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
    app = create_app(nsettings.model_copy(update={"embedded_worker": False}))
    with TestClient(app) as c:
        yield c


def runtime(api: TestClient) -> Runtime:
    rt: Runtime = api.app.state.runtime  # type: ignore[attr-defined]
    return rt


def notifier(api: TestClient) -> Notifier:
    rt = runtime(api)
    assert rt.notifier is not None
    return rt.notifier


def new_user(api: TestClient, name: str) -> tuple[str, dict[str, str]]:
    user, token = runtime(api).users.create(f"{name}{new_id()[-6:]}")
    return user.id, {"Authorization": f"Bearer {token}"}


def history(api: TestClient, job_id: str) -> list[dict[str, Any]]:
    return notifier(api).outbox.history(job_id)


# -- D2: URLs the sender cannot use are refused when registering --------------------------------------
@pytest.mark.parametrize(
    "url",
    [
        "https://xn--/",
        "https://a\r\nb.com/",
        "https://exa mple.com/",
        "https://exa\tmple.com/",
        "https://example.com\x00/",
        "https://user:pass@example.com/",
        "https://example.com:99999/",
        "https:///path-only",
    ],
)
def test_urls_httpx_cannot_send_to_are_refused_at_registration(api: TestClient, url: str) -> None:
    _, h = new_user(api, "reg")
    r = api.post("/api/webhooks", json={"url": url}, headers=h)
    assert r.status_code == 400, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "invalid_webhook_url"
    assert api.get("/api/webhooks", headers=h).json()["webhooks"] == []


def test_an_idna_name_that_encodes_is_accepted(api: TestClient) -> None:
    _, h = new_user(api, "idna")
    r = api.post("/api/webhooks", json={"url": "https://bücher.example/hook"}, headers=h)
    assert r.status_code == 201, r.text


# -- D2: one user's broken row never holds back another user's delivery -----------------------------
def insert_hook(rt: Runtime, user_id: str, url: str, secret: str | None = None) -> str:
    """A row written before validation existed (or by hand): what an old database can hold."""
    hook_id = new_id()
    with rt.engine.begin() as conn:
        conn.execute(
            insert(webhooks).values(
                id=hook_id,
                user_id=user_id,
                url=url,
                secret=secret or new_secret(),
                created_at=time.time(),
                consecutive_failures=0,
            )
        )
    return hook_id


@pytest.mark.parametrize(
    ("url", "secret"),
    [
        ("https://xn--/", None),  # httpx raises idna.core.IDNAError, not an httpx.HTTPError
        ("https://a\r\nb.com/", None),  # httpx.InvalidURL
        ("https://example.com/", "whsec_not*base64"),  # signing raises binascii.Error
    ],
)
def test_a_row_that_breaks_delivery_does_not_stop_another_users_webhook(
    api: TestClient, receiver: Receiver, finish: Finish, url: str, secret: str | None
) -> None:
    rt = runtime(api)
    mallory, _ = new_user(api, "mallory")
    victim, vh = new_user(api, "victim")
    insert_hook(rt, mallory, url, secret)
    assert api.post("/api/webhooks", json={"url": receiver.url}, headers=vh).status_code == 201
    bad_job = finish(mallory)  # first, so its row is claimed first, in the same batch
    good_job = finish(victim)
    notifier(api).webhook_sender.deliver_due(max_rows=10)
    [(_, body)] = receiver.got
    assert json.loads(body)["data"]["job_id"] == good_job.id
    [good] = history(api, good_job.id)
    assert good["state"] == "delivered"
    [bad] = history(api, bad_job.id)
    assert bad["state"] in ("pending", "failed") and bad["attempts"] >= 1  # recorded as failed attempts
    assert bad["error"]["code"] in ("delivery_failed", "internal_error")
    assert "Traceback" not in (bad["error"]["message"] or "")


def test_rows_whose_attempts_are_spent_are_given_up_not_claimed_forever(
    api: TestClient, receiver: Receiver, finish: Finish
) -> None:
    """A sender that dies mid-delivery every time (the lease expires) must not retry without end."""
    rt = runtime(api)
    user, h = new_user(api, "dies")
    assert api.post("/api/webhooks", json={"url": receiver.url}, headers=h).status_code == 201
    job = finish(user)
    max_attempts = notifier(api).webhook_sender.config.max_attempts
    with rt.engine.begin() as conn:  # as after max_attempts claims whose senders died
        conn.execute(
            update(notifications)
            .where(notifications.c.job_id == job.id)
            .values(state="sending", attempts=max_attempts, lease_token="dead", lease_until=0.0)
        )
    notifier(api).webhook_sender.deliver_due()
    assert receiver.got == []
    [row] = history(api, job.id)
    assert row["state"] == "failed" and row["error"]["code"] == "attempts_exhausted"
    assert row["attempts"] == max_attempts


def test_one_damaged_push_row_does_not_stop_another_users_push(
    api: TestClient, finish: Finish, fake: Any
) -> None:
    rt = runtime(api)
    mallory, _ = new_user(api, "mallory")
    victim, _ = new_user(api, "victim")
    mine, theirs = "ExponentPushToken[mallory]", "ExponentPushToken[victim]"
    for user, token in ((mallory, mine), (victim, theirs)):
        fake.register(token)
        notifier(api).devices.register(user, token)
    bad_job = finish(mallory)
    good_job = finish(victim)
    with rt.engine.begin() as conn:  # a payload an older version could have written
        conn.execute(
            update(notifications).where(notifications.c.job_id == bad_job.id).values(payload_json="[]")
        )
    notifier(api).push.send_due()
    assert len(fake.messages_for(theirs)) == 1 and fake.messages_for(mine) == []
    assert history(api, good_job.id)[0]["state"] == "sent"
    [bad] = history(api, bad_job.id)
    assert bad["state"] == "failed" and bad["error"]["code"] == "internal_error"


# -- D8: addresses that lead to a private IPv4 address -------------------------------------------------
@pytest.mark.parametrize(
    "url", ["https://[64:ff9b::7f00:1]/", "https://[2002:7f00:1::]/", "https://[::127.0.0.1]/x"]
)
def test_nat64_6to4_and_compatible_literals_are_refused_at_registration(api: TestClient, url: str) -> None:
    notifier(api).webhooks.allow_private = False
    _, h = new_user(api, "nat")
    r = api.post("/api/webhooks", json={"url": url}, headers=h)
    assert r.status_code == 400 and r.json()["code"] == "webhook_url_not_public", r.text


class ScriptedDNS:
    """A resolver whose answers the test chooses, one per lookup (the last one repeats)."""

    def __init__(self, *answers: list[str] | Exception) -> None:
        self.answers = list(answers)
        self.lookups: list[str] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.lookups.append(host)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


def register_name(api: TestClient, url: str) -> tuple[str, dict[str, str]]:
    user, h = new_user(api, "dns")
    r = api.post("/api/webhooks", json={"url": url}, headers=h)
    assert r.status_code == 201, r.text
    return user, h


def test_a_name_resolving_to_a_nat64_address_is_blocked_at_delivery(api: TestClient, finish: Finish) -> None:
    user, _ = register_name(api, "https://nat64.example/hook")
    store = notifier(api).webhooks
    store.allow_private = False
    store.resolve = ScriptedDNS(["64:ff9b::7f00:1"])
    job = finish(user)
    notifier(api).webhook_sender.deliver_due(max_rows=1)
    [row] = history(api, job.id)
    assert (
        row["state"] == "pending"
        and "64:ff9b::7f00:1, which is not a public address" in (row["error"]["message"])
    )


def test_a_name_that_does_not_resolve_fails_the_attempt(api: TestClient, finish: Finish) -> None:
    user, _ = register_name(api, "https://nowhere.invalid/hook")
    store = notifier(api).webhooks
    store.allow_private = False
    dns = ScriptedDNS(socket.gaierror(socket.EAI_NONAME, "Name or service not known"))
    store.resolve = dns
    job = finish(user)
    notifier(api).webhook_sender.deliver_due(max_rows=1)
    [row] = history(api, job.id)
    assert row["state"] == "pending" and row["attempts"] == 1
    assert row["error"]["message"] == "nowhere.invalid does not resolve (gaierror)"
    assert dns.lookups == ["nowhere.invalid"]
    [hook] = notifier(api).webhooks.for_user(user)
    assert hook.consecutive_failures == 1


@pytest.fixture
def two_receivers() -> Iterator[tuple[Receiver, Receiver]]:
    """One receiver stands for a public server (127.0.0.2), the other for an internal service
    (127.0.0.1), on the same port so that one URL could reach either."""
    for _ in range(20):
        outside = Receiver("127.0.0.2")
        try:
            inside = Receiver("127.0.0.1", outside.port)
        except OSError:
            outside.close()
            continue
        yield outside, inside
        inside.close()
        outside.close()
        return
    pytest.skip("no port free on both 127.0.0.1 and 127.0.0.2")


def test_dns_rebinding_cannot_move_the_connection_after_the_check(
    api: TestClient,
    finish: Finish,
    two_receivers: tuple[Receiver, Receiver],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    outside, inside = two_receivers
    store = notifier(api).webhooks
    store.allow_http = True
    user, _ = register_name(api, f"http://rebind.example:{outside.port}/hook")
    store.allow_private = False
    # Stand-ins: 127.0.0.2 plays a public address; everything else keeps the real policy.
    store.public = lambda a: str(a) == "127.0.0.2" or is_public(a)
    # The attacker's DNS: a public answer for the check, then the internal address for any later lookup.
    dns = ScriptedDNS(["127.0.0.2"], ["127.0.0.1"])
    store.resolve = dns
    real_getaddrinfo = socket.getaddrinfo

    def system_dns(host: Any, *args: Any, **kwargs: Any) -> Any:  # any lookup by the HTTP client itself
        if host == "rebind.example":
            return real_getaddrinfo(dns(host, 0)[0], *args, **kwargs)
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", system_dns)
    first = finish(user)
    notifier(api).webhook_sender.deliver_due()
    assert inside.got == []
    [(headers, body)] = outside.got  # the checked address got it, with the name in Host
    assert headers["host"] == f"rebind.example:{outside.port}"
    assert json.loads(body)["data"]["job_id"] == first.id
    assert dns.lookups == ["rebind.example"]  # resolved once, for the check; the connection reused it
    # The next delivery sees the internal answer at its check and is refused; it never connects.
    second = finish(user)
    notifier(api).webhook_sender.deliver_due(max_rows=1)
    assert inside.got == [] and len(outside.got) == 1
    [row] = history(api, second.id)
    assert "127.0.0.1, which is not a public address" in row["error"]["message"]


# -- pinning keeps TLS about the name -------------------------------------------------------------------
def openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True)


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A throwaway CA and two server certificates it signed: one for hooks.example, one for other.example."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    d = tmp_path_factory.mktemp("certs")
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=test CA",
            "-keyout", str(d / "ca.key"), "-out", str(d / "ca.pem"))  # fmt: skip
    for name in ("hooks.example", "other.example"):
        (d / f"{name}.ext").write_text(f"subjectAltName=DNS:{name}\n")
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={name}",
                "-keyout", str(d / f"{name}.key"), "-out", str(d / f"{name}.csr"))  # fmt: skip
        openssl("x509", "-req", "-in", str(d / f"{name}.csr"), "-CA", str(d / "ca.pem"),
                "-CAkey", str(d / "ca.key"), "-CAcreateserial", "-days", "2",
                "-extfile", str(d / f"{name}.ext"), "-out", str(d / f"{name}.pem"))  # fmt: skip
    return {"ca": d / "ca.pem", "dir": d}


class TLSReceiver(Receiver):
    def __init__(self, cert: Path, key: Path) -> None:
        super().__init__("127.0.0.1")
        self.sni: list[str | None] = []
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(cert, key)
        ctx.sni_callback = lambda sock, name, _ctx: self.sni.append(name)  # type: ignore[assignment,func-returns-value]
        self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)


@pytest.mark.parametrize(("served", "delivered"), [("hooks.example", True), ("other.example", False)])
def test_a_pinned_https_delivery_uses_the_name_for_sni_and_certificate_checks(
    api: TestClient, finish: Finish, certs: dict[str, Path], served: str, delivered: bool
) -> None:
    d = certs["dir"]
    server = TLSReceiver(d / f"{served}.pem", d / f"{served}.key")
    try:
        user, _ = register_name(api, f"https://hooks.example:{server.port}/hook")
        store = notifier(api).webhooks
        store.resolve = ScriptedDNS(["127.0.0.1"])  # allow_private is on: the name still gets pinned
        sender = notifier(api).webhook_sender
        trust = ssl.create_default_context(cafile=str(certs["ca"]))
        sender.http = httpx.Client(verify=trust, limits=httpx.Limits(max_keepalive_connections=0))
        job = finish(user)
        sender.deliver_due(max_rows=1)
        sender.http.close()
        assert server.sni == ["hooks.example"]  # SNI names the host, not the pinned address
        [row] = history(api, job.id)
        if delivered:
            [(headers, _)] = server.got
            assert headers["host"] == f"hooks.example:{server.port}" and row["state"] == "delivered"
        else:  # a certificate for another name is refused although the address is the checked one
            assert server.got == [] and row["state"] == "pending"
            assert "CERTIFICATE_VERIFY_FAILED" in row["error"]["message"]
    finally:
        server.close()


def test_webhook_connections_are_not_reused(api: TestClient, receiver: Receiver, finish: Finish) -> None:
    """A connection opened to a pinned address for one name must never carry a request for another."""
    user, _ = register_name(api, receiver.url)
    finish(user)
    finish(user)
    notifier(api).webhook_sender.deliver_due()
    assert len(receiver.got) == 2 and len(set(receiver.clients)) == 2


def test_plain_http_needs_the_setting_or_a_loopback_host_that_private_addresses_allow(
    api: TestClient,
) -> None:
    store = notifier(api).webhooks
    _, h = new_user(api, "http")

    def code(url: str) -> str | int:
        r = api.post("/api/webhooks", json={"url": url}, headers=h)
        return r.status_code if r.status_code == 201 else str(r.json()["code"])

    store.allow_private, store.allow_http = False, False
    assert code("http://example.com/x") == "invalid_webhook_url"
    assert code("http://localhost:8080/x") == "webhook_url_not_public"
    assert code("http://127.0.0.1:8080/x") == "webhook_url_not_public"
    store.allow_private = True
    assert code("http://localhost:8080/x") == 201
    assert code("http://[::1]:8080/x") == 201
    assert code("http://example.com/x") == "invalid_webhook_url"
    store.allow_http = True
    assert code("http://example.com/x") == 201
