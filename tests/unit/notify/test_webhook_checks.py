"""Pure checks without a server: which addresses count as public (including the IPv4 address an IPv6
address carries), and the shipped signature verifier fed malformed headers."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest

from reelq.notify.webhook.addresses import is_public
from reelq.notify.webhook.store import new_secret, sign, verify


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("64:ff9b::7f00:1", False),  # NAT64 → 127.0.0.1
        ("64:ff9b::a00:7", False),  # NAT64 → 10.0.0.7
        ("64:ff9b:1::808:808", False),  # local-use NAT64 prefix
        ("2002:7f00:1::", False),  # 6to4 → 127.0.0.1
        ("2002:a9fe:a9fe::1", False),  # 6to4 → 169.254.169.254
        ("::127.0.0.1", False),  # IPv4-compatible
        ("::ffff:127.0.0.1", False),  # IPv4-mapped
        ("::ffff:7f00:1", False),
        ("fe80::1", False),
        ("::1", False),
        ("64:ff9b::808:808", True),  # NAT64 → 8.8.8.8
        ("2002:808:808::", True),  # 6to4 → 8.8.8.8
        ("::ffff:8.8.8.8", True),
        ("2606:4700:4700::1111", True),
        ("8.8.8.8", True),
        ("100.64.0.1", False),
    ],
)
def test_embedded_ipv4_addresses_are_judged_by_what_they_reach(address: str, public: bool) -> None:
    assert is_public(ipaddress.ip_address(address)) is public


# -- D7: the shipped verifier answers False to anything malformed -------------------------------------
SECRET = new_secret()
BODY = b'{"type":"job.completed"}'
NOW = 1_700_000_000


def good_headers() -> dict[str, str]:
    return {
        "webhook-id": "msg_1",
        "webhook-timestamp": str(NOW),
        "webhook-signature": sign(SECRET, "msg_1", NOW, BODY),
    }


@pytest.mark.parametrize(
    "change",
    [
        {"webhook-timestamp": "¹"},
        {"webhook-timestamp": "١٧٠٠٠٠٠٠٠٠"},  # Arabic-Indic digits: isdigit() but not ASCII
        {"webhook-timestamp": "1" * 5000},
        {"webhook-timestamp": "-1"},
        {"webhook-timestamp": ""},
        {"webhook-timestamp": None},
        {"webhook-id": None},
        {"webhook-signature": None},
        {"webhook-signature": "v1,@@@not-base64@@@"},
        {"webhook-signature": "v1,ü"},
        {"webhook-signature": ""},
        {"webhook-id": "mß\udcff"},
        {"webhook-timestamp": 1700000000},
    ],
)
def test_verify_returns_false_for_malformed_headers(change: dict[str, Any]) -> None:
    headers: dict[str, Any] = {**good_headers(), **change}
    headers = {k: v for k, v in headers.items() if v is not None}
    assert verify(SECRET, headers, BODY, now=NOW) is False


def test_verify_returns_false_for_a_malformed_secret_or_body() -> None:
    assert verify(SECRET, good_headers(), BODY, now=NOW) is True
    assert verify("whsec_***", good_headers(), BODY, now=NOW) is False
    assert verify(SECRET, good_headers(), "text, not bytes", now=NOW) is False  # type: ignore[arg-type]
    assert verify(SECRET, {}, BODY, now=NOW) is False
