"""Where a webhook may go: URL parsing with the parser that sends, the public-address policy, and
resolution that is done once and then pinned for the connection.

Why pin: checking a name's addresses and then letting the HTTP client resolve it again leaves a window
in which a DNS answer can change (rebinding: first a public address, then 127.0.0.1). So the sender
resolves once, checks every answer, and connects to the checked address itself while the request keeps
the name in its ``Host`` header and in TLS (SNI and certificate verification are for the name).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass

import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]
"""``(host, port) -> addresses`` as text; raises ``OSError`` when the name does not resolve."""

_NAT64_WELL_KNOWN = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052: the IPv4 address is the last 32 bits
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")  # RFC 8215: local use, so never public
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")  # deprecated ::a.b.c.d (RFC 4291 §2.5.5.1)


class InvalidWebhookURL(ValueError):
    """The URL cannot be sent to by the HTTP client (or is not a plain http(s) URL to a host)."""


def parse_url(raw: str) -> httpx.URL:
    """The URL as ``httpx`` will send it, or ``InvalidWebhookURL``.

    Whitespace and control characters anywhere are refused rather than percent-encoded (``httpx``
    turns ``exa mple.com`` into ``exa%20mple.com``), and the host must survive IDNA encoding.
    """
    if any(ch.isspace() or ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0 for ch in raw):
        raise InvalidWebhookURL("the URL contains whitespace or control characters")
    try:
        url = httpx.URL(raw)
        host = url.host
        port = url.port
        url.raw_host.decode("ascii")
    except (httpx.InvalidURL, UnicodeError, ValueError) as exc:
        raise InvalidWebhookURL("the URL cannot be parsed") from exc
    if url.scheme not in ("http", "https") or not host:
        raise InvalidWebhookURL("the URL must be http(s)://host/…")
    if "%" in host or url.userinfo:
        raise InvalidWebhookURL("the URL host is not a plain name or address")
    if port is not None and not 0 < port < 65536:
        raise InvalidWebhookURL("the URL port is out of range")
    return url


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address that an IPv4-mapped, IPv4-compatible, 6to4 or NAT64 address reaches."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64_WELL_KNOWN:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address in _IPV4_COMPATIBLE and int(address) > 1:  # :: and ::1 are not IPv4-compatible
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public(address: IPAddress) -> bool:
    """Globally routable, and so is any IPv4 address it embeds (``ipaddress`` calls
    ``64:ff9b::7f00:1`` and ``2002:7f00:1::`` global although they lead to 127.0.0.1)."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id or address in _NAT64_LOCAL:
            return False
        inner = embedded_ipv4(address)
        if inner is not None:
            return inner.is_global
    return address.is_global


def literal_address(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return [str(info[4][0]) for info in infos]


class Blocked(Exception):
    """Delivery to this URL is refused now; the message says why (shown in the delivery history)."""


@dataclass(frozen=True)
class Target:
    """A checked destination: send to ``url`` (host = the checked address) with these extras."""

    url: httpx.URL
    host_header: str
    sni_hostname: str | None
    address: str


def pin(
    raw_url: str,
    *,
    allow_private: bool,
    resolve: Resolver = system_resolver,
    public: Callable[[IPAddress], bool] = is_public,
) -> Target:
    """Resolve ``raw_url``'s host once, check every answer, and aim the request at the first one.

    Raises ``Blocked`` when the URL no longer parses, the name does not resolve, or (unless
    ``allow_private``) any answer is not public: one bad answer is enough, since the next
    connection could use it.
    """
    try:
        url = parse_url(raw_url)
    except InvalidWebhookURL as exc:
        raise Blocked(f"invalid URL: {exc}") from None
    host = url.raw_host.decode("ascii")  # the IDNA A-label form: what DNS and TLS SNI see
    port = url.port or (443 if url.scheme == "https" else 80)
    literal = literal_address(host)
    if literal is not None:
        answers = [literal]
    else:
        try:
            answers = [ipaddress.ip_address(a.split("%")[0]) for a in resolve(host, port)]
        except (OSError, UnicodeError, ValueError) as exc:
            raise Blocked(f"{host} does not resolve ({type(exc).__name__})") from None
        if not answers:
            raise Blocked(f"{host} does not resolve")
    if not allow_private:
        for address in answers:
            if not public(address):
                if literal is not None:
                    raise Blocked(f"{address} is not a public address")
                raise Blocked(f"{host} resolves to {address}, which is not a public address")
    chosen = str(answers[0])
    return Target(
        url=url.copy_with(host=chosen),
        host_header=url.netloc.decode("ascii"),
        sni_hostname=host if (url.scheme == "https" and literal is None) else None,
        address=chosen,
    )
