"""One intake step: multipart and tus refuse the same fields the same way, early, leaving nothing."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from reelq.app import create_app
from reelq.errors import BadRequest
from reelq.runtime import Runtime
from reelq.storage import local as local_storage
from reelq.uploads.intake import MAX_METADATA_DEPTH, parse_metadata

from support import fast_settings, make_user

TUS = {"Tus-Resumable": "1.0.0"}
DEEP = '{"a":' + "[" * 3000 + "]" * 3000 + "}"
BAD_METADATA = {
    "deep": DEEP,
    "nan": '{"a": NaN}',
    "infinity": '{"a": Infinity}',
    "minus_infinity": '{"a": -Infinity}',
    "overflow": '{"a": 1e400}',
    "lone_surrogate": '{"a": "\\ud800"}',
    "surrogate_key": '{"\\udfff": 1}',
    "too_deep": json.dumps({"a": json.loads("[" * MAX_METADATA_DEPTH + "]" * MAX_METADATA_DEPTH)}),
    "not_an_object": "[1, 2]",
    "not_json": "{oops",
}


def rt_of(client: TestClient) -> Runtime:
    return client.app.state.runtime  # type: ignore[attr-defined,no-any-return]


def files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and ".db" not in p.name)


@pytest.fixture
def c(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(fast_settings(tmp_path / "d", embedded_worker=False))) as client:
        yield client


def assert_nothing_left(c: TestClient, auth: dict[str, str]) -> None:
    listed = c.get("/api/jobs", headers=auth)
    assert listed.status_code == 200 and listed.json()["jobs"] == []
    assert files_under(rt_of(c).layout.root) == []


@pytest.mark.parametrize("raw", ["", '{"take": 3, "tags": ["a", {"b": 1.5}], "\\u00e9": "\\ud83d\\ude00"}'])
def test_good_metadata_parses(raw: str) -> None:
    assert parse_metadata(raw) == (json.loads(raw) if raw else {})


@pytest.mark.parametrize("name", sorted(BAD_METADATA))
def test_bad_metadata_is_refused_by_the_parser(name: str) -> None:
    with pytest.raises(BadRequest) as info:
        parse_metadata(BAD_METADATA[name])
    assert info.value.code == "bad_metadata"


@pytest.mark.parametrize("name", sorted(BAD_METADATA))
def test_multipart_bad_metadata_is_400_and_history_stays_readable(
    c: TestClient, clip: Path, name: str
) -> None:
    auth = make_user(c)
    files = {"video": ("clip.mp4", clip.read_bytes())}
    r = c.post("/api/upload", headers=auth, files=files, data={"metadata": BAD_METADATA[name]})
    assert r.status_code == 400 and r.json()["code"] == "bad_metadata", r.text
    assert_nothing_left(c, auth)


@pytest.mark.parametrize("name", ["nan", "overflow", "lone_surrogate", "too_deep"])
def test_tus_bad_metadata_is_400_at_creation(c: TestClient, name: str) -> None:
    auth = make_user(c)
    encoded = base64.b64encode(BAD_METADATA[name].encode("utf-8", "surrogatepass")).decode()
    headers = {**auth, **TUS, "Upload-Length": "1000", "Upload-Metadata": f"metadata {encoded}"}
    r = c.post("/api/uploads/", headers=headers)
    assert r.status_code == 400 and r.json()["code"] == "bad_metadata", r.text
    assert_nothing_left(c, auth)


def test_tus_deep_metadata_is_400_at_creation(c: TestClient) -> None:
    auth = make_user(c)
    deep = '{"a":' + "[" * 1200 + "]" * 1200 + "}"  # fits the 16 KB header as base64
    encoded = base64.b64encode(deep.encode()).decode()
    headers = {**auth, **TUS, "Upload-Length": "1000", "Upload-Metadata": f"metadata {encoded}"}
    r = c.post("/api/uploads/", headers=headers)
    assert r.status_code == 400 and r.json()["code"] == "bad_metadata"


def multipart_chunks(
    fields: dict[str, str], file_field: str, size: int, pulled: list[int]
) -> Iterator[bytes]:
    """A multipart body whose fields come first, then a large MP4-looking file; counts what was read."""
    boundary = "b0undary"
    for key, value in fields.items():
        yield f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
    head = f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; filename="c.mp4"\r\n'
    yield (head + "Content-Type: video/mp4\r\n\r\n").encode()
    chunk = b"\x00\x00\x00\x18ftypisom" + b"\x00" * (64 * 1024 - 12)
    for _ in range(size // len(chunk)):
        pulled.append(len(chunk))
        yield chunk
    yield f"\r\n--{boundary}--\r\n".encode()


CTYPE = {"Content-Type": "multipart/form-data; boundary=b0undary"}


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"analyzer": "os:system"}, "unknown_analyzer"),
        ({"analyzer": "nosuchmod:fn"}, "unknown_analyzer"),
        ({"metadata": '{"a": NaN}'}, "bad_metadata"),
        ({"push_token": "not a token"}, "invalid_push_token"),
    ],
)
def test_multipart_fields_before_the_file_are_refused_before_it_is_stored(
    c: TestClient, fields: dict[str, str], code: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    auth = make_user(c)
    opened: list[str] = []
    real_mkstemp = local_storage.tempfile.mkstemp

    def spy(*args: Any, **kwargs: Any) -> tuple[int, str]:
        fd, name = real_mkstemp(*args, **kwargs)
        opened.append(name)
        return fd, name

    monkeypatch.setattr(local_storage.tempfile, "mkstemp", spy)
    body = multipart_chunks(fields, "video", 2 * 1024 * 1024, [])
    r = c.post("/api/upload", headers={**auth, **CTYPE}, content=body)
    assert r.status_code == 400 and r.json()["code"] == code, r.text
    assert opened == []  # refused at the file part's headers: not a byte of it went to disk
    assert_nothing_left(c, auth)


def test_multipart_field_after_the_file_is_still_checked(c: TestClient, clip: Path) -> None:
    auth = make_user(c)
    boundary = "b0undary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="video"; filename="c.mp4"\r\n\r\n'.encode()
        + clip.read_bytes()
        + f'\r\n--{boundary}\r\nContent-Disposition: form-data; name="analyzer"\r\n\r\nos:system\r\n'.encode()
        + f"--{boundary}--\r\n".encode()
    )
    r = c.post("/api/upload", headers={**auth, **CTYPE}, content=body)
    assert r.status_code == 400 and r.json()["code"] == "unknown_analyzer"
    assert_nothing_left(c, auth)


def test_a_large_file_under_a_wrong_field_name_is_missing_file(c: TestClient) -> None:
    auth = make_user(c)
    pulled: list[int] = []
    r = c.post(
        "/api/upload",
        headers={**auth, **CTYPE},
        content=multipart_chunks({}, "vdeo", 4 * 1024 * 1024, pulled),
    )
    assert r.status_code == 400 and r.json()["code"] == "missing_file", r.text
    assert "'video'" in r.json()["detail"] and "'file'" in r.json()["detail"]
    assert "65536" not in r.json()["detail"]
    assert_nothing_left(c, auth)


def test_tus_unknown_analyzer_is_refused_at_creation(c: TestClient) -> None:
    auth = make_user(c)
    encoded = base64.b64encode(b"os:system").decode()
    headers = {**auth, **TUS, "Upload-Length": "1000", "Upload-Metadata": f"analyzer {encoded}"}
    r = c.post("/api/uploads/", headers=headers)
    assert r.status_code == 400 and r.json()["code"] == "unknown_analyzer"
    assert_nothing_left(c, auth)


def test_an_upload_is_fsynced_before_the_202_off_the_event_loop(
    c: TestClient, clip: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file's bytes reach the disk before the job exists, and the fsync runs in a worker thread: on the
    event loop it would stall every other request while the disk flushes."""
    import os
    import threading

    synced: list[tuple[str, threading.Thread]] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        synced.append((os.readlink(f"/proc/self/fd/{fd}"), threading.current_thread()))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    auth = make_user(c)
    r = c.post("/api/upload", headers=auth, files={"video": ("clip.mp4", clip.read_bytes())})
    assert r.status_code == 202, r.text
    loop_thread = c.portal.call(threading.current_thread)  # type: ignore[union-attr]
    assert any(not Path(target).is_dir() for target, _ in synced), synced  # the upload's bytes themselves
    assert [target for target, thread in synced if thread is loop_thread] == []
