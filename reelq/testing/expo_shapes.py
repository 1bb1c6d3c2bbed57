"""The JSON shapes of the Expo push service that the fake answers with, as documented at
https://docs.expo.dev/push-notifications/sending-notifications/ (push tickets, push receipts, errors)."""

from __future__ import annotations

import re
import uuid
from typing import Any

_TOKEN = re.compile(r"^(ExponentPushToken|ExpoPushToken)\[[^\]]+\]$")
_UUID = re.compile(r"^[a-z\d]{8}-[a-z\d]{4}-[a-z\d]{4}-[a-z\d]{4}-[a-z\d]{12}$", re.IGNORECASE)
_ENUMS = {
    "priority": ("default", "normal", "high"),
    "interruptionLevel": ("active", "critical", "passive", "time-sensitive"),
}
_STRINGS = ("title", "body", "subtitle", "channelId", "categoryId", "collapseId", "tag", "icon")
_NUMBERS = ("ttl", "expiration", "badge")
HTML_502 = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n"  # noqa: E501
HTML_504 = "<html>\r\n<head><title>504 Gateway Time-out</title></head>\r\n<body>\r\n<center><h1>504 Gateway Time-out</h1></center>\r\n</body>\r\n</html>\r\n"  # noqa: E501


def is_token(value: object) -> bool:
    return isinstance(value, str) and bool(_TOKEN.match(value) or _UUID.match(value))


def errors_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    err: dict[str, Any] = {
        "code": code,
        "message": message,
        "type": "USER",
        "isTransient": code == "TOO_MANY_REQUESTS",
        "requestId": str(uuid.uuid4()),
    }
    if details is not None:
        err["details"] = details
    return {"errors": [err]}


def problem(token: str, error: str) -> dict[str, Any]:
    """The error object of a ticket or receipt for one token (shapes observed from exp.host)."""
    messages = {
        "DeviceNotRegistered": f'"{token}" is not a registered push notification recipient or it is '
        "associated with a project that does not exist.",
        "MessageTooBig": "Message too big: the total payload must be at most 4096 bytes.",
        "MessageRateExceeded": "Too many messages to this device; back off.",
        "InvalidCredentials": "The push notification credentials for this app are invalid.",
        "ProviderError": "There was an unknown error with the FCM server. See this error's details "
        "for more information.",
    }
    details: dict[str, Any] = {"error": error, "expoPushToken": token}
    if error == "ProviderError":
        details |= {"fault": "fcm", "fcm": {"error": "MismatchSenderId"}}
    return {"status": "error", "message": messages.get(error, error), "details": details}


def validate(message: Any) -> list[str]:
    if not isinstance(message, dict):
        return ["Expected object"]
    out: list[str] = []
    to = message.get("to")
    if not (isinstance(to, str) or (isinstance(to, list) and to and all(isinstance(t, str) for t in to))):
        out.append('"to": Expected string or array of strings')
    if "data" in message and not isinstance(message["data"], dict):
        out.append('"data": Expected object')
    for key, allowed in _ENUMS.items():
        if key in message and message[key] not in allowed:
            out.append(f'"{key}": Invalid enum value. Expected {" | ".join(allowed)}')
    for key in _STRINGS:
        if key in message and not isinstance(message[key], str):
            out.append(f'"{key}": Expected string')
    for key in _NUMBERS:
        value = message.get(key)
        if key in message and (isinstance(value, bool) or not isinstance(value, int | float)):
            out.append(f'"{key}": Expected number')
    return out
