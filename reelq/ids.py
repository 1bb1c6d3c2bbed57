"""Opaque, unguessable, time-sortable ids (UUIDv7, RFC 9562, with a monotonic counter per process)."""

from __future__ import annotations

import os
import re
import threading
import time
import uuid

# ids this module makes (UUIDv7, lower case); the OpenAPI document uses it for cursors
ID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"
_UUID_RE = re.compile(ID_PATTERN)
_lock = threading.Lock()
_last = [0, 0]  # last millisecond, last 12-bit counter


def new_id() -> str:
    rand = int.from_bytes(os.urandom(8), "big")
    with _lock:
        ms = time.time_ns() // 1_000_000
        if ms <= _last[0]:
            ms, counter = _last[0], _last[1] + 1
            if counter > 0xFFF:  # counter spent: borrow the next millisecond
                ms, counter = ms + 1, 0
        else:
            counter = int.from_bytes(os.urandom(2), "big") & 0x7FF  # leave room to count up
        _last[0], _last[1] = ms, counter
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76  # version
    value |= counter << 64
    value |= 0b10 << 62  # variant
    value |= rand & ((1 << 62) - 1)
    return str(uuid.UUID(int=value))


def is_id(value: str) -> bool:
    """True for ids this module makes; anything else (paths, SQL, garbage) is not an id."""
    return bool(_UUID_RE.match(value))
