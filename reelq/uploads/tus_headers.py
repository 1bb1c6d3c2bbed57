"""tus 1.0.0 header values: constants and strict parsers. Every parser raises a ReelqError with a code."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import formatdate
from typing import Any

from reelq.errors import BadRequest, PreconditionFailed, UnsupportedMedia, UploadTooLarge

TUS_VERSION = "1.0.0"
TUS_EXTENSIONS = "creation,creation-with-upload,expiration,checksum,termination"
CHECKSUM_ALGORITHMS = ("sha1", "sha256", "md5")
OFFSET_STREAM = "application/offset+octet-stream"
MAX_METADATA_HEADER = 16 * 1024
# What a browser client must be able to read (CORS Access-Control-Expose-Headers).
TUS_EXPOSED_HEADERS = (
    "Location",
    "Upload-Offset",
    "Upload-Length",
    "Upload-Job-Id",
    "Tus-Resumable",
    "Tus-Version",
    "Tus-Extension",
    "Tus-Max-Size",
    "Tus-Checksum-Algorithm",
    "Upload-Expires",
    "Upload-Metadata",
)
# More digits than any length we could accept: refuse without building a huge int.
_MAX_INT_DIGITS = 19
_KEY_RE = re.compile(r"^[^\s,]+$")


def check_version(headers: Mapping[str, str]) -> None:
    """412 unless the request speaks tus 1.0.0 (checked before anything else, even auth)."""
    version = headers.get("tus-resumable")
    if version != TUS_VERSION:
        got = "no Tus-Resumable header" if version is None else f"Tus-Resumable {version[:20]!r}"
        raise PreconditionFailed(
            f"this server speaks tus {TUS_VERSION}; the request has {got}", code="tus_version_unsupported"
        )


def parse_nonnegative(value: str | None, name: str, *, limit: int | None = None) -> int:
    """A non-negative decimal header value; over ``limit`` → 413."""
    if value is None:
        raise BadRequest(f"the {name} header is required", code=f"missing_{_snake(name)}")
    value = value.strip()
    if not value.isascii() or not value.isdigit():
        raise BadRequest(f"{name} must be a non-negative integer", code=f"invalid_{_snake(name)}")
    if len(value) > _MAX_INT_DIGITS:
        if limit is None:
            raise BadRequest(f"{name} is out of range", code=f"invalid_{_snake(name)}")
        raise UploadTooLarge(f"{name} is larger than the limit of {limit} bytes")
    number = int(value)
    if limit is not None and number > limit:
        raise UploadTooLarge(f"{name} {number} is larger than the limit of {limit} bytes")
    return number


def _snake(name: str) -> str:
    return name.lower().replace("-", "_")


def check_content_type(headers: Mapping[str, str]) -> None:
    ctype = headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype != OFFSET_STREAM:
        raise UnsupportedMedia(
            f"upload data must be sent with Content-Type: {OFFSET_STREAM}", code="unsupported_content_type"
        )


def parse_metadata(raw: str | None) -> dict[str, str]:
    """``key base64,key base64``: keys unique and without spaces or commas, values strict base64 UTF-8."""
    if raw is None or not raw.strip():
        return {}
    if len(raw) > MAX_METADATA_HEADER:
        raise BadRequest(f"Upload-Metadata is longer than {MAX_METADATA_HEADER} bytes", code="bad_metadata")
    out: dict[str, str] = {}
    for pair in raw.split(","):
        parts = pair.strip().split(" ")
        if len(parts) > 2 or not parts[0] or not _KEY_RE.match(parts[0]):
            raise BadRequest(f"malformed Upload-Metadata pair {pair.strip()[:40]!r}", code="bad_metadata")
        key = parts[0]
        if key in out:
            raise BadRequest(f"Upload-Metadata key {key[:40]!r} appears twice", code="bad_metadata")
        encoded = parts[1] if len(parts) == 2 else ""
        try:
            value = base64.b64decode(encoded, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
            raise BadRequest(
                f"the Upload-Metadata value of {key[:40]!r} is not base64-encoded UTF-8", code="bad_metadata"
            ) from exc
        out[key] = value
    return out


@dataclass(frozen=True)
class Checksum:
    algorithm: str
    digest: bytes

    def hasher(self) -> Any:
        return hashlib.new(self.algorithm)


def parse_checksum(value: str | None) -> Checksum | None:
    """``Upload-Checksum: <algorithm> <base64 digest>``; an algorithm we lack → 400 (spec)."""
    if value is None:
        return None
    algorithm, _, encoded = value.strip().partition(" ")
    if algorithm not in CHECKSUM_ALGORITHMS:
        raise BadRequest(
            f"checksum algorithm {algorithm[:20]!r} is not supported; "
            f"use one of {', '.join(CHECKSUM_ALGORITHMS)}",
            code="unsupported_checksum_algorithm",
        )
    try:
        digest = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise BadRequest("the Upload-Checksum digest is not base64", code="bad_checksum") from exc
    if len(digest) != hashlib.new(algorithm).digest_size:
        raise BadRequest(
            f"the Upload-Checksum digest has the wrong length for {algorithm}", code="bad_checksum"
        )
    return Checksum(algorithm, digest)


def http_date(ts: float) -> str:
    """RFC 9110 IMF-fixdate, as ``Upload-Expires`` wants it."""
    return formatdate(ts, usegmt=True)
