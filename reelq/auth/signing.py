"""Short-lived signed artifact URLs, for clients that cannot send ``Authorization`` (``<img src>``).

A job's result names its artifacts by path (``/api/jobs/<id>/artifacts/poster.jpg``). When a job is
rendered for its owner, each such path gets ``?exp=<unix time>&sig=<HMAC-SHA256>`` added: the signature
covers the job id, the artifact name and the expiry, so it opens that one file until then and nothing
else. The expiry is rounded up to a window of half the lifetime, so the same URL is handed out for a
while (browsers can cache the image) and every URL handed out is valid for at least half the lifetime
(longer than any status-cache entry that carries it).

The key is ``REELQ_SIGNING_SECRET`` or, by default, 32 random bytes made once in
``<data dir>/signing.key`` (mode 0600), so that several processes on one data dir agree.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

KEY_FILE = "signing.key"
_KEY_BYTES = 32


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


class UrlSigner:
    """Signs and checks artifact URLs. ``key`` may be a callable: the key is then read on first use."""

    def __init__(
        self, key: bytes | Callable[[], bytes], lifetime: int, clock: Callable[[], float] = time.time
    ) -> None:
        self._key = key
        self.lifetime = lifetime
        self.clock = clock

    @property
    def key(self) -> bytes:
        if callable(self._key):
            self._key = self._key()
        return self._key

    def signature(self, job_id: str, name: str, expires: int) -> str:
        message = f"reelq-artifact\n{job_id}\n{name}\n{expires}".encode()
        return _b64(hmac.new(self.key, message, hashlib.sha256).digest())

    def expiry(self) -> int:
        window = max(1, self.lifetime // 2)
        return (int(self.clock()) // window + 2) * window

    def query(self, job_id: str, name: str) -> str:
        expires = self.expiry()
        return urlencode({"exp": expires, "sig": self.signature(job_id, name, expires)})

    def valid(self, job_id: str, name: str, expires: int, signature: str) -> bool:
        """True for an unaltered signature; ``expired`` tells a stale one apart."""
        expected = self.signature(job_id, name, expires).encode()
        # bytes: compare_digest refuses non-ASCII str, and a URL can carry anything
        return hmac.compare_digest(expected, signature.encode("utf-8", "surrogatepass"))

    def expired(self, expires: int) -> bool:
        return expires <= self.clock()

    def sign_result(self, job_id: str, result: Any) -> Any:
        """A copy of ``result`` whose artifact URLs of this job carry a signature."""
        prefix = f"/api/jobs/{job_id}/artifacts/"
        if isinstance(result, dict):
            out = {k: self.sign_result(job_id, v) for k, v in result.items()}
            url = out.get("url")
            if isinstance(url, str) and url.startswith(prefix) and "?" not in url:
                out["url"] = f"{url}?{self.query(job_id, url[len(prefix) :])}"
            return out
        if isinstance(result, list):
            return [self.sign_result(job_id, v) for v in result]
        return result


def load_key(data_dir: Path) -> bytes:
    """The data dir's signing key, made on first use; concurrent first uses agree on one key."""
    path = data_dir / KEY_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        tmp = data_dir / f".{KEY_FILE}.{secrets.token_hex(6)}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, secrets.token_hex(_KEY_BYTES).encode() + b"\n")
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, path)  # atomic and never overwrites: the first process's key wins
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    text = path.read_text().strip()
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) < 16:
        raise ValueError(f"{path} does not hold a hex signing key; delete it to make a new one")
    return key


def signer_for(data_dir: Path, secret: str | None, lifetime: int) -> UrlSigner:
    """The key file is made only when a first URL is signed or checked."""
    return UrlSigner(secret.encode() if secret else lambda: load_key(data_dir), lifetime)
