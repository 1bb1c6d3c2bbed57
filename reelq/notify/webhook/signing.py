"""Standard Webhooks signing, the same recipe a receiver uses (docs/notifications.md).

Headers: ``webhook-id`` (the outbox row id, the same on every retry so receivers can dedupe),
``webhook-timestamp`` (unix seconds) and ``webhook-signature: v1,<base64 HMAC-SHA256>`` over
``"{id}.{timestamp}.{body}"`` keyed with the base64-decoded part of the ``whsec_…`` secret.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time
from collections.abc import Mapping

SECRET_PREFIX = "whsec_"
TOLERANCE_SECONDS = 300
MAX_TIMESTAMP_DIGITS = 12


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def verify(secret: str, headers: Mapping[str, object], body: bytes, now: float | None = None) -> bool:
    """True when one of the ``v1`` signatures matches and the timestamp is within 5 minutes.

    A receiver calls this with whatever arrived, so anything malformed (missing or non-text headers,
    a timestamp like ``¹`` that ``str.isdigit`` accepts but ``int`` refuses, a secret that is not
    base64) is simply False: it never raises.
    """
    try:
        h = {str(k).lower(): v for k, v in headers.items()}
        msg_id, ts, sigs = h.get("webhook-id"), h.get("webhook-timestamp"), h.get("webhook-signature")
        if not (isinstance(msg_id, str) and isinstance(ts, str) and isinstance(sigs, str) and msg_id):
            return False
        if not (ts.isascii() and ts.isdigit() and len(ts) <= MAX_TIMESTAMP_DIGITS):
            return False
        if abs((now if now is not None else time.time()) - int(ts)) > TOLERANCE_SECONDS:
            return False
        expected = sign(secret, msg_id, int(ts), body).encode()
        return any(hmac.compare_digest(expected, s.encode()) for s in sigs.split() if s.isascii())
    except (binascii.Error, ValueError, TypeError, AttributeError, UnicodeError):
        return False
