"""The Expo push API client: httpx, gzip, retries, tolerant parsing. The contract it follows is
https://docs.expo.dev/push-notifications/sending-notifications/ (tickets, receipts, errors, limits).

Only talks HTTP. Persisting tickets, throttling and deciding what an error means for a device is the
caller's business (``sender.py``, ``receipts.py``).
"""

from __future__ import annotations

import gzip
import json
import logging
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from reelq import __version__
from reelq.logs import event

log = logging.getLogger("reelq.notify.push.expo")

MAX_RECIPIENTS = 100  # per send request; every recipient counts, not every message
MAX_RECEIPT_IDS = 1000  # per getReceipts request
GZIP_ABOVE = 1024  # bytes of JSON, as the official Node SDK does
MAX_BACKOFF = 30.0


@dataclass(frozen=True)
class Ticket:
    """One per recipient, in send order. ``ok`` tickets carry the receipt id."""

    status: str
    id: str | None = None
    message: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def error(self) -> str | None:
        """``details.error`` (``DeviceNotRegistered`` …), or ``unknown_error`` for a malformed error."""
        if self.ok:
            return None
        code = self.details.get("error")
        return str(code) if code else "unknown_error"


Receipt = Ticket  # same shape: {"status", "message", "details"}


class ExpoError(Exception):
    """Base of the client's errors."""


class ExpoUnavailable(ExpoError):
    """429, 5xx, a network error or a garbled answer, still so after the retries: try again later.

    The messages may or may not have been accepted (a 504 or a timeout can hide a delivery)."""


class ExpoRequestError(ExpoError):
    """Expo refused the whole request (4xx or ``errors`` in the body); retrying as is will not help."""

    def __init__(self, status: int, code: str, message: str, details: Any = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details = details


def recipients(message: Mapping[str, Any]) -> int:
    to = message.get("to")
    return len(to) if isinstance(to, list) else 1


def chunk_messages(
    messages: Sequence[Mapping[str, Any]], limit: int = MAX_RECIPIENTS
) -> list[list[Mapping[str, Any]]]:
    """Split into requests of at most ``limit`` recipients (a message with a ``to`` list counts each)."""
    out: list[list[Mapping[str, Any]]] = []
    current: list[Mapping[str, Any]] = []
    count = 0
    for msg in messages:
        to = msg.get("to")
        if isinstance(to, list) and len(to) > limit:
            for i in range(0, len(to), limit):
                out.append([{**msg, "to": to[i : i + limit]}])
            continue
        n = recipients(msg)
        if current and count + n > limit:
            out.append(current)
            current, count = [], 0
        current.append(msg)
        count += n
    if current:
        out.append(current)
    return out


class ExpoClient:
    def __init__(
        self,
        http: httpx.Client,
        base_url: str = "https://exp.host/--/api/v2/push",
        *,
        access_token: str | None = None,
        timeout: float = 15.0,
        max_retries: int = 3,
        retry_base: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.access_token = access_token
        self.timeout = timeout
        self.max_retries = max_retries
        self.retry_base = retry_base
        self.sleep = sleep

    # -- the two calls ---------------------------------------------------------------------------
    def send(self, messages: Sequence[Mapping[str, Any]]) -> list[Ticket]:
        """POST /send with at most 100 recipients; one ticket per recipient, in order."""
        expected = sum(recipients(m) for m in messages)
        if not messages or expected > MAX_RECIPIENTS:
            raise ValueError(f"send takes 1-{MAX_RECIPIENTS} recipients, got {expected}")
        data = self._post("/send", list(messages))
        raw = [data] if isinstance(data, dict) else data
        if not isinstance(raw, list) or len(raw) != expected:
            got = len(raw) if isinstance(raw, list) else type(raw).__name__
            raise ExpoUnavailable(f"Expo answered {got} tickets for {expected} recipients")
        return [_parse_ticket(t) for t in raw]

    def get_receipts(self, ids: Sequence[str]) -> dict[str, Receipt]:
        """POST /getReceipts; ids without a receipt yet are simply absent from the answer."""
        if len(ids) > MAX_RECEIPT_IDS:
            raise ValueError(f"at most {MAX_RECEIPT_IDS} receipt ids per request, got {len(ids)}")
        if not ids:
            return {}
        data = self._post("/getReceipts", {"ids": list(ids)})
        if not isinstance(data, dict):
            raise ExpoUnavailable("getReceipts answered without a data object")
        return {str(k): _parse_ticket(v) for k, v in data.items() if isinstance(v, dict)}

    # -- transport -------------------------------------------------------------------------------
    def _headers(self, compressed: bool) -> dict[str, str]:
        headers = {
            "accept": "application/json",
            "accept-encoding": "gzip, deflate",
            "content-type": "application/json",
            "user-agent": f"reelq/{__version__}",
        }
        if compressed:
            headers["content-encoding"] = "gzip"
        if self.access_token:
            headers["authorization"] = f"Bearer {self.access_token}"
        return headers

    def _post(self, path: str, payload: Any) -> Any:
        body = json.dumps(payload, separators=(",", ":")).encode()
        compressed = len(body) > GZIP_ABOVE
        content = gzip.compress(body, compresslevel=5) if compressed else body
        headers = self._headers(compressed)
        url = self.base_url + path
        reason = ""
        hinted: float | None = None
        for attempt in range(self.max_retries + 1):
            if attempt:
                self.sleep(self._delay(attempt, hinted))
                hinted = None
            try:
                resp = self.http.post(url, content=content, headers=headers, timeout=self.timeout)
            except httpx.TransportError as exc:
                reason = f"network: {type(exc).__name__}: {exc}"
                event(log, "push.retry", logging.WARNING, path=path, attempt=attempt + 1, reason=reason)
                continue
            if resp.status_code == 429 or resp.status_code >= 500:
                reason = f"HTTP {resp.status_code}: {_snippet(resp)}"
                hinted = _retry_after(resp)
                event(log, "push.retry", logging.WARNING, path=path, attempt=attempt + 1, reason=reason)
                continue
            parsed = _json(resp)
            errors = parsed.get("errors") if isinstance(parsed, dict) else None
            if resp.status_code >= 400 or errors:
                first = (
                    errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], dict) else {}
                )
                code = str(first.get("code") or f"HTTP_{resp.status_code}")
                if code == "TOO_MANY_REQUESTS":
                    reason = "TOO_MANY_REQUESTS in the body"
                    continue
                raise ExpoRequestError(
                    resp.status_code, code, str(first.get("message") or _snippet(resp)), first.get("details")
                )
            if not isinstance(parsed, dict) or "data" not in parsed:
                raise ExpoUnavailable(f"Expo answered {resp.status_code} without JSON data: {_snippet(resp)}")
            return parsed["data"]
        raise ExpoUnavailable(f"gave up after {self.max_retries + 1} tries: {reason}")

    def _delay(self, attempt: int, hinted: float | None) -> float:
        """Retry-After when Expo sends one (it is not documented to), else exponential with jitter."""
        if hinted is not None:
            return min(hinted, MAX_BACKOFF)
        return float(min(self.retry_base * 2 ** (attempt - 1) * random.uniform(0.5, 1.5), MAX_BACKOFF))


def _parse_ticket(raw: Any) -> Ticket:
    if not isinstance(raw, dict):
        return Ticket("error", message=f"malformed ticket {str(raw)[:100]}", details={"error": "malformed"})
    details = raw.get("details")
    return Ticket(
        status=str(raw.get("status") or "error"),
        id=str(raw["id"]) if raw.get("id") is not None else None,
        message=str(raw["message"]) if raw.get("message") is not None else None,
        details=details if isinstance(details, dict) else {},
    )


def _json(resp: httpx.Response) -> Any:
    try:
        return resp.json()
    except ValueError:
        return None


def _snippet(resp: httpx.Response) -> str:
    return " ".join(resp.text[:200].split())


def _retry_after(resp: httpx.Response) -> float | None:
    value = resp.headers.get("retry-after")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None
