"""A local fake of the Expo push service, following its public contract:
https://docs.expo.dev/push-notifications/sending-notifications/

Routes ``POST /--/api/v2/push/send`` and ``POST /--/api/v2/push/getReceipts`` with the documented
shapes; gzip request bodies; ≤100 recipients and ≤1000 receipt ids (400 beyond); one project per
request (``PUSH_TOO_MANY_EXPERIENCE_IDS`` with ``details``); a per-project limit of 600
notifications in any second (429 ``TOO_MANY_REQUESTS``); optional access-token auth; per-token
ticket and receipt errors; receipts that appear only after a delay and vanish after 24 h. Faults:
canned answers (HTML 5xx …), "accepted but the answer was lost" (504 after recording), a stall,
a dropped connection. Everything received is recorded for assertions.

    with FakeExpo() as fake:
        fake.register("ExponentPushToken[abc]")
        ...  # point REELQ_EXPO_API_URL at fake.url
        assert len(fake.messages_for("ExponentPushToken[abc]")) == 1

``reelq dev fake-expo`` runs it on a fixed port for trying an app without Expo.
"""

from __future__ import annotations

import gzip
import json
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from reelq.testing.expo_shapes import HTML_504, errors_body, is_token, problem, validate

PREFIX = "/--/api/v2/push"
MAX_RECIPIENTS = 100
MAX_RECEIPT_IDS = 1000
MAX_PAYLOAD = 4096
RECEIPT_TTL = 24 * 3600.0


@dataclass
class Device:
    project: str
    registered: bool = True
    ticket_error: str | None = None
    receipt_error: str | None = None


@dataclass
class Canned:
    status: int
    body: str
    content_type: str
    route: str  # "send" or "getReceipts"


@dataclass
class Delivered:
    token: str
    message: dict[str, Any]
    ticket_id: str
    project: str
    request: int  # index into ``requests``
    at: float  # time.monotonic() when accepted


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    gzip: bool
    body: Any
    recipients: int = 0
    status: int = 0
    at: float = field(default_factory=time.monotonic)


class FakeExpo:
    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        rate_limit_per_s: int = 600,
        receipt_delay_s: float = 0.0,
        access_token: str | None = None,
        accept_unknown_tokens: bool = False,
        default_project: str = "@reelq/app",
        on_message: Callable[[Delivered], None] | None = None,
    ) -> None:
        self.rate_limit_per_s = rate_limit_per_s
        self.receipt_delay_s = receipt_delay_s
        self.access_token = access_token
        self.accept_unknown_tokens = accept_unknown_tokens
        self.default_project = default_project
        self.on_message = on_message
        self.devices: dict[str, Device] = {}
        self.requests: list[Recorded] = []
        self.delivered: list[Delivered] = []
        self.receipts: dict[str, tuple[float, dict[str, Any]]] = {}
        self.rejected_429 = 0
        self.canned: deque[Canned] = deque()
        self.lose_next_responses = 0  # record the delivery, then answer an nginx 504 page
        self.drop_next = 0  # close the connection without answering
        self.stall_s = 0.0  # record the delivery, then hold the answer this long
        self.clock_offset = 0.0  # added to time.time() for receipts (``advance``)
        self.lock = threading.Lock()
        self._window: dict[str, deque[tuple[float, int]]] = {}
        self._stopping = threading.Event()
        self._server = ThreadingHTTPServer((host, port), self._handler())
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    # -- life ----------------------------------------------------------------------------------
    @property
    def base(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def url(self) -> str:
        """What ``REELQ_EXPO_API_URL`` should be."""
        return self.base + PREFIX

    def start(self) -> FakeExpo:
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True, name="fake-expo"
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeExpo:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    # -- knobs -----------------------------------------------------------------------------------
    def register(
        self,
        token: str,
        *,
        project: str | None = None,
        registered: bool = True,
        ticket_error: str | None = None,
        receipt_error: str | None = None,
    ) -> None:
        with self.lock:
            self.devices[token] = Device(
                project or self.default_project, registered, ticket_error, receipt_error
            )

    def inject(
        self, status: int, body: Any, content_type: str = "application/json", *, route: str = "send"
    ) -> None:
        """Answer the next request on ``route`` with this, without processing it."""
        text = body if isinstance(body, str) else json.dumps(body)
        with self.lock:
            self.canned.append(Canned(status, text, content_type, route))

    def advance(self, seconds: float) -> None:
        """Move the receipts' clock forward (receipts appear after the delay, vanish after 24 h)."""
        with self.lock:
            self.clock_offset += seconds

    def now(self) -> float:
        return time.time() + self.clock_offset

    # -- reading ---------------------------------------------------------------------------------
    def messages_for(self, token: str) -> list[dict[str, Any]]:
        with self.lock:
            return [d.message for d in self.delivered if d.token == token]

    def send_requests(self) -> list[Recorded]:
        with self.lock:
            return [r for r in self.requests if r.path.endswith("/send")]

    def receipt_requests(self) -> list[Recorded]:
        with self.lock:
            return [r for r in self.requests if r.path.endswith("/getReceipts")]

    def max_per_second(self) -> int:
        """The most notifications accepted within any one-second window."""
        with self.lock:
            times = sorted(d.at for d in self.delivered)
        best, lo = 0, 0
        for hi, t in enumerate(times):
            while times[lo] <= t - 1.0:
                lo += 1
            best = max(best, hi - lo + 1)
        return best

    # -- the service -----------------------------------------------------------------------------
    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                if self.path.rstrip("/") == "/_fake/messages":
                    with fake.lock:
                        items = [{"to": d.token, "ticket": d.ticket_id, **d.message} for d in fake.delivered]
                    self._answer(200, json.dumps(items))
                else:
                    self._answer(404, json.dumps(errors_body("NOT_FOUND", "no such route")))

            def do_POST(self) -> None:
                fake._post(self)

            def _answer(self, status: int, text: str, content_type: str = "application/json") -> None:
                data = text.encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type + "; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler

    def _post(self, h: Any) -> None:
        raw = h.rfile.read(int(h.headers.get("Content-Length") or 0))
        headers = {k.lower(): v for k, v in h.headers.items()}
        zipped = headers.get("content-encoding", "").lower() == "gzip"
        rec = Recorded(h.path, headers, zipped, None)
        with self.lock:
            self.requests.append(rec)
            index = len(self.requests) - 1
        status, text, ctype, stall = self._process(h.path, headers, raw, zipped, rec, index)
        rec.status = status
        if status == 0:  # a dropped connection
            h.close_connection = True
            return
        if stall:
            self._stopping.wait(stall)
        try:
            h._answer(status, text, ctype)
        except OSError:  # the client gave up (timeout) or died while we stalled
            h.close_connection = True

    def _process(
        self, path: str, headers: dict[str, str], raw: bytes, zipped: bool, rec: Recorded, index: int
    ) -> tuple[int, str, str, float]:
        route = path.rsplit("/", 1)[-1] if path.startswith(PREFIX + "/") else ""
        if route not in ("send", "getReceipts"):
            return 404, json.dumps(errors_body("NOT_FOUND", f"no route {path}")), "application/json", 0.0
        with self.lock:
            if self.drop_next:
                self.drop_next -= 1
                return 0, "", "", 0.0
            for canned in list(self.canned):
                if canned.route == route:
                    self.canned.remove(canned)
                    return canned.status, canned.body, canned.content_type, 0.0
        if self.access_token is not None and headers.get("authorization") != f"Bearer {self.access_token}":
            return (
                401,
                json.dumps(errors_body("UNAUTHORIZED", "The bearer token is invalid.")),
                "application/json",
                0.0,
            )
        try:
            body = json.loads(gzip.decompress(raw) if zipped else raw)
        except (ValueError, OSError):
            return (
                400,
                json.dumps(errors_body("VALIDATION_ERROR", "The body is not valid JSON.")),
                "application/json",
                0.0,
            )
        rec.body = body
        status, answer = self._send(body, rec, index) if route == "send" else self._receipts(body)
        stall = 0.0
        with self.lock:
            if route == "send" and status == 200:
                stall = self.stall_s
                if self.lose_next_responses:
                    self.lose_next_responses -= 1
                    return 504, HTML_504, "text/html", 0.0
        return status, json.dumps(answer), "application/json", stall

    def _send(self, body: Any, rec: Recorded, index: int) -> tuple[int, dict[str, Any]]:
        messages = body if isinstance(body, list) else [body]
        problems = [f'"{i}": {p}' for i, m in enumerate(messages) for p in validate(m)]
        if problems:
            return 400, errors_body(
                "VALIDATION_ERROR", f"Must correct one of the following issues: {problems[:5]}"
            )
        pairs = [(m, t) for m in messages for t in (m["to"] if isinstance(m["to"], list) else [m["to"]])]
        rec.recipients = len(pairs)
        if len(pairs) > MAX_RECIPIENTS:
            msg = (
                f"You can send a maximum of 100 notifications per request (received {len(pairs)}); "
                "divide your requests."
            )
            return 400, errors_body("PUSH_TOO_MANY_NOTIFICATIONS", msg)
        with self.lock:
            by_project: dict[str, list[str]] = {}
            for _, token in pairs:
                dev = self.devices.get(token)
                if dev is not None or (self.accept_unknown_tokens and is_token(token)):
                    project = dev.project if dev else self.default_project
                    by_project.setdefault(project, []).append(token)
            if len(by_project) > 1:
                msg = (
                    "All push notification messages in the same request must be for the same project; "
                    "check the details field to investigate conflicting tokens."
                )
                return 400, errors_body("PUSH_TOO_MANY_EXPERIENCE_IDS", msg, by_project)
            project = next(iter(by_project), self.default_project)
            if not self._admit(project, len(pairs)):
                self.rejected_429 += 1
                return 429, errors_body(
                    "TOO_MANY_REQUESTS", "Exceeded 600 notifications per second, please try again."
                )
            tickets = [self._ticket(m, token, project, index) for m, token in pairs]
        single = isinstance(body, dict) and isinstance(body.get("to"), str)
        return 200, {"data": tickets[0] if single else tickets}

    def _admit(self, project: str, n: int) -> bool:
        """Per-project sliding window of one second (caller holds the lock)."""
        t = time.monotonic()
        window = self._window.setdefault(project, deque())
        while window and window[0][0] <= t - 1.0:
            window.popleft()
        if sum(k for _, k in window) + n > self.rate_limit_per_s:
            return False
        window.append((t, n))
        return True

    def _ticket(self, message: dict[str, Any], token: str, project: str, index: int) -> dict[str, Any]:
        if not is_token(token):
            return {
                "status": "error",
                "message": f'"{token}" is not a valid Expo push token',
                "details": {"error": "DeviceNotRegistered", "expoPushToken": token},
            }
        dev = self.devices.get(token)
        if (dev is None and not self.accept_unknown_tokens) or (dev is not None and not dev.registered):
            return problem(token, "DeviceNotRegistered")
        if dev is not None and dev.ticket_error:
            return problem(token, dev.ticket_error)
        ticket_id = str(uuid.uuid4())
        single = {**message, "to": token}
        receipt_error = dev.receipt_error if dev else None
        if len(json.dumps(single).encode()) > MAX_PAYLOAD:
            receipt_error = "MessageTooBig"
        receipt = problem(token, receipt_error) if receipt_error else {"status": "ok"}
        self.receipts[ticket_id] = (self.now(), receipt)
        delivered = Delivered(token, single, ticket_id, project, index, time.monotonic())
        self.delivered.append(delivered)
        if self.on_message is not None:
            self.on_message(delivered)
        return {"status": "ok", "id": ticket_id}

    def _receipts(self, body: Any) -> tuple[int, dict[str, Any]]:
        ids = body.get("ids") if isinstance(body, dict) else None
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            return 400, errors_body(
                "VALIDATION_ERROR", 'Must correct one of the following issues: ["ids": Required]'
            )
        if len(ids) > MAX_RECEIPT_IDS:
            return 400, errors_body(
                "PUSH_TOO_MANY_RECEIPTS", "You are trying to get more than 1000 push receipts in one request"
            )
        now = self.now()
        with self.lock:
            data = {}
            for rid in ids:
                found = self.receipts.get(rid)
                if found and self.receipt_delay_s <= now - found[0] < RECEIPT_TTL:
                    data[rid] = found[1]
        return 200, {"data": data}
