"""``REELQ_STORAGE_URL``: where sources, artifacts and finished uploads live.

Empty (the default): the data dir, as always. ``s3://BUCKET/PREFIX?endpoint=…&region=…&path_style=true``:
S3-compatible object storage. Credentials never appear in the URL: the standard AWS variables, the shared
config/credentials files (``profile=``) or an instance role supply them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlparse

MiB = 1024 * 1024
MIN_PART_BYTES = 5 * MiB  # S3's minimum for every part but the last
MAX_PARTS = 10_000

_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
_KNOWN = {"endpoint", "region", "path_style", "profile", "part_size", "checksums", "artifacts"}


@dataclass(frozen=True)
class S3Location:
    bucket: str
    prefix: str  # "" or ends with "/"
    endpoint: str | None = None
    region: str | None = None
    path_style: bool = False
    profile: str | None = None
    part_size: int = 8 * MiB
    # "when_supported" (the SDK's default: CRC checksums on every upload) or "when_required" for
    # servers that refuse the newer checksum headers
    checksums: str = "when_supported"
    # how artifact downloads are answered: "proxy" (streamed through the API) or "redirect" (a presigned GET)
    artifacts: str = "proxy"

    def key(self, relative: str) -> str:
        return f"{self.prefix}{relative}"

    def describe(self) -> str:
        where = f" at {self.endpoint}" if self.endpoint else ""
        return f"s3://{self.bucket}/{self.prefix}{where}"


def _flag(value: str, name: str) -> bool:
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise ValueError(f"{name} must be true or false, not {value!r}")


def _size(value: str) -> int:
    m = re.fullmatch(r"(\d+)\s*(MiB|M|)", value.strip())
    if not m:
        raise ValueError(f"part_size must be a number of bytes or like 8MiB, not {value!r}")
    return int(m.group(1)) * (MiB if m.group(2) else 1)


def parse_storage_url(url: str) -> S3Location | None:
    """None for the data dir; an ``S3Location`` for ``s3://``; ValueError for anything else."""
    url = url.strip()
    if not url or url in ("local", "file:"):
        return None
    parsed = urlparse(url)
    if parsed.scheme != "s3":
        raise ValueError("REELQ_STORAGE_URL must be empty (the data dir) or s3://BUCKET/PREFIX?…")
    if parsed.username or parsed.password:
        raise ValueError("put no credentials in REELQ_STORAGE_URL: use AWS_ACCESS_KEY_ID/… or a profile")
    bucket = parsed.hostname or ""
    if not _BUCKET.fullmatch(bucket):
        raise ValueError(f"{bucket!r} is not an S3 bucket name")
    prefix = parsed.path.strip("/")
    if (prefix and not re.fullmatch(r"[A-Za-z0-9._/-]{1,200}", prefix)) or ".." in prefix.split("/"):
        raise ValueError("the key prefix may hold letters, digits and . _ - / only")
    query = {k: v[-1] for k, v in parse_qs(parsed.query, keep_blank_values=True).items()}
    unknown = set(query) - _KNOWN
    if unknown:
        raise ValueError(f"unknown storage URL option(s): {', '.join(sorted(unknown))}")
    endpoint = query.get("endpoint") or None
    if endpoint is not None and urlparse(endpoint).scheme not in ("http", "https"):
        raise ValueError("endpoint must be an http(s):// URL")
    part_size = _size(query["part_size"]) if "part_size" in query else 8 * MiB
    if part_size < MIN_PART_BYTES:
        raise ValueError(f"part_size must be at least {MIN_PART_BYTES} bytes (S3's minimum)")
    checksums = query.get("checksums", "when_supported")
    if checksums not in ("when_supported", "when_required"):
        raise ValueError("checksums must be when_supported or when_required")
    artifacts = query.get("artifacts", "proxy")
    if artifacts not in ("proxy", "redirect"):
        raise ValueError("artifacts must be proxy or redirect")
    return S3Location(
        bucket=bucket,
        prefix=f"{prefix}/" if prefix else "",
        endpoint=endpoint,
        region=query.get("region") or None,
        path_style=_flag(query.get("path_style", "false"), "path_style"),
        profile=query.get("profile") or None,
        part_size=part_size,
        checksums=checksums,
        artifacts=artifacts,
    )
