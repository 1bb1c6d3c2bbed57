"""The resume store: which tus URL holds which local file's bytes."""

from __future__ import annotations

import io
import json
import os
import stat
import time
from pathlib import Path

from reelq_client import resume
from reelq_client.resume import ResumeStore, fingerprint


def key(data: bytes, **kw: str) -> str:
    args = {"base_url": "http://a", "user": "u", **kw}
    return fingerprint(io.BytesIO(data), len(data), **args)


def test_fingerprint_names_the_content_the_server_and_the_user() -> None:
    data = os.urandom(3 * 1024 * 1024)
    assert key(data) == key(data)
    assert key(data) != key(data, base_url="http://b") != key(data, user="v")
    assert key(data) != key(data[:-1] + bytes([data[-1] ^ 1]))  # the tail counts
    assert key(data) != key(bytes([data[0] ^ 1]) + data[1:])  # the head counts
    assert key(data) != key(data, extra="/path\0mtime")


def test_fingerprint_leaves_the_position_where_it_was() -> None:
    fh = io.BytesIO(b"x" * 10 + b"payload")
    fh.seek(10)
    fingerprint(fh, 7, base_url="http://a", user="u")
    assert fh.tell() == 10


def test_put_get_forget_and_the_file_is_private(tmp_path: Path) -> None:
    store = ResumeStore(tmp_path / "cache" / "uploads.json")
    assert store.get("k") is None
    store.put("k", "http://a/api/uploads/1", 10)
    assert store.get("k") == "http://a/api/uploads/1"
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert ResumeStore(store.path).get("k") == "http://a/api/uploads/1"  # another process sees it
    store.forget("k")
    assert store.get("k") is None and json.loads(store.path.read_text()) == {}


def test_old_entries_are_ignored_and_dropped(tmp_path: Path) -> None:
    store = ResumeStore(tmp_path / "uploads.json")
    old = time.time() - resume.MAX_AGE - 1
    store.path.write_text(json.dumps({"old": {"url": "http://a/1", "length": 1, "time": old}}))
    assert store.get("old") is None
    store.put("new", "http://a/2", 2)
    assert set(json.loads(store.path.read_text())) == {"new"}


def test_a_broken_file_is_an_empty_store(tmp_path: Path) -> None:
    store = ResumeStore(tmp_path / "uploads.json")
    store.path.write_text("{not json")
    assert store.get("k") is None
    store.put("k", "http://a/1", 1)
    assert store.get("k") == "http://a/1"


def test_one_key_is_used_by_one_upload_at_a_time(tmp_path: Path) -> None:
    store = ResumeStore(tmp_path / "uploads.json")
    assert store.claim("k") and not store.claim("k")
    store.release("k")
    assert store.claim("k")
    store.release("k")
