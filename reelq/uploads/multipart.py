"""Streaming multipart/form-data: the file part goes straight to disk, hashed and sniffed on the way.

The parser never holds more than one batch of the body in memory, checks the size limit and the
container type while the body arrives, and deletes its partial file on any error.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import anyio.to_thread
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from reelq.errors import BadRequest, RequestTimeout, UnsupportedMedia, UploadTooLarge
from reelq.uploads.sniff import SNIFF_BYTES, Container, sniff
from reelq.uploads.storage import display_name

FILE_FIELDS = ("video", "file")
MAX_FIELD_BYTES = 64 * 1024
MAX_FIELDS = 20
BATCH_BYTES = 128 * 1024  # small enough that little work is left when the last byte arrives


@dataclass
class ReceivedFile:
    path: Path
    name: str
    size: int
    sha256: str
    container: Container


@dataclass
class ReceivedForm:
    file: ReceivedFile | None
    fields: dict[str, str] = field(default_factory=dict)

    def discard(self) -> None:
        if self.file is not None:
            self.file.path.unlink(missing_ok=True)


class _State:
    """Everything the (synchronous) parser callbacks touch; used from one worker thread at a time."""

    def __init__(self, dest_dir: Path, max_file_bytes: int) -> None:
        self.dest_dir = dest_dir
        self.max_file_bytes = max_file_bytes
        self.fields: dict[str, str] = {}
        self.header_field = b""
        self.header_value = b""
        self.headers: dict[bytes, bytes] = {}
        self.part_name: str | None = None
        self.part_filename: str | None = None
        self.is_file = False
        self.field_buf = bytearray()
        self.head = bytearray()
        self.container: Container | None = None
        self.fh: BinaryIO | None = None
        self.path: Path | None = None
        self.sha = hashlib.sha256()
        self.size = 0
        self.file_done = False
        self.file_name = "upload"
        self.error: Exception | None = None

    # -- parser callbacks --------------------------------------------------------------------
    def on_part_begin(self) -> None:
        self.headers = {}
        self.part_name = None
        self.part_filename = None
        self.is_file = False
        self.field_buf = bytearray()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.header_field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]

    def on_header_end(self) -> None:
        self.headers[self.header_field.strip().lower()] = self.header_value.strip()
        self.header_field = b""
        self.header_value = b""

    def on_headers_finished(self) -> None:
        _, opts = parse_options_header(self.headers.get(b"content-disposition", b""))
        name = opts.get(b"name")
        self.part_name = name.decode("utf-8", "replace") if name is not None else None
        filename = opts.get(b"filename*") or opts.get(b"filename")
        self.part_filename = filename.decode("utf-8", "replace") if filename is not None else None
        self.is_file = self.part_name in FILE_FIELDS
        if self.is_file:
            if self.file_done or self.fh is not None:
                raise BadRequest("send exactly one file part ('video' or 'file')")
            self.file_name = display_name(self.part_filename)
            self.dest_dir.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(prefix="upload-", suffix=".part", dir=self.dest_dir)
            self.fh = os.fdopen(fd, "wb")
            self.path = Path(tmp_name)
        elif len(self.fields) >= MAX_FIELDS:
            raise BadRequest("too many form fields")

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        if not self.is_file:
            self.field_buf += chunk
            if len(self.field_buf) > MAX_FIELD_BYTES:
                raise BadRequest(f"form field {self.part_name!r} is larger than {MAX_FIELD_BYTES} bytes")
            return
        self.size += len(chunk)
        if self.size > self.max_file_bytes:
            raise UploadTooLarge(f"the file is larger than the limit of {self.max_file_bytes} bytes")
        self.sha.update(chunk)
        if self.container is None:
            self.head += chunk
            if len(self.head) < SNIFF_BYTES:
                return
            self._sniff()
            chunk = bytes(self.head)
            self.head = bytearray()
        assert self.fh is not None
        self.fh.write(chunk)

    def on_part_end(self) -> None:
        if self.is_file:
            if self.size == 0:
                raise BadRequest("the uploaded file is empty", code="empty_file")
            if self.container is None:
                self._sniff()
                assert self.fh is not None
                self.fh.write(bytes(self.head))
            assert self.fh is not None
            self.fh.flush()
            os.fsync(self.fh.fileno())
            self.fh.close()
            self.fh = None
            self.file_done = True
        elif self.part_name is not None:
            self.fields[self.part_name] = self.field_buf.decode("utf-8", "replace")

    def _sniff(self) -> None:
        container = sniff(bytes(self.head))
        if container is None:
            raise UnsupportedMedia(
                "the file is not a video container reelq accepts (MP4/MOV/3GP, MKV/WebM, AVI, MPEG-TS)"
            )
        self.container = container

    def callbacks(self) -> dict[str, Any]:
        return {
            "on_part_begin": self.on_part_begin,
            "on_part_data": self.on_part_data,
            "on_part_end": self.on_part_end,
            "on_header_field": self.on_header_field,
            "on_header_value": self.on_header_value,
            "on_header_end": self.on_header_end,
            "on_headers_finished": self.on_headers_finished,
        }

    def cleanup(self) -> None:
        if self.fh is not None:
            with contextlib.suppress(OSError):
                self.fh.close()
            self.fh = None
        if self.path is not None:
            self.path.unlink(missing_ok=True)


def boundary_of(content_type: str | None) -> bytes:
    ctype, opts = parse_options_header(content_type or "")
    if ctype != b"multipart/form-data":
        raise BadRequest("send the upload as multipart/form-data with a 'video' file part")
    boundary = opts.get(b"boundary")
    if not boundary or len(boundary) > 200:
        raise BadRequest("multipart/form-data without a valid boundary")
    return boundary


async def _with_idle_timeout(
    chunks: AsyncIterator[bytes], idle_seconds: float | None
) -> AsyncIterator[bytes]:
    it = aiter(chunks)
    while True:
        try:
            chunk = await asyncio.wait_for(anext(it), idle_seconds)
        except StopAsyncIteration:
            return
        except TimeoutError as exc:
            raise RequestTimeout(f"no data for {idle_seconds:g} s; the upload was abandoned") from exc
        yield chunk


async def receive_multipart(
    chunks: AsyncIterator[bytes],
    content_type: str | None,
    *,
    dest_dir: Path,
    max_file_bytes: int,
    idle_seconds: float | None = None,
) -> ReceivedForm:
    """Read a multipart body from ``chunks``; the parsing and disk writes run off the event loop."""
    boundary = boundary_of(content_type)
    state = _State(dest_dir, max_file_bytes)
    parser = MultipartParser(boundary, state.callbacks(), max_header_count=8, max_header_size=4096)  # type: ignore[arg-type]

    def feed(data: bytes) -> None:
        try:
            parser.write(data)
        except MultipartParseError as exc:
            raise BadRequest(f"malformed multipart body: {exc}") from exc

    batch = bytearray()
    try:
        async for chunk in _with_idle_timeout(chunks, idle_seconds):
            batch += chunk
            if len(batch) >= BATCH_BYTES:
                data, batch = bytes(batch), bytearray()
                await anyio.to_thread.run_sync(feed, data)
        if batch:
            await anyio.to_thread.run_sync(feed, bytes(batch))
        await anyio.to_thread.run_sync(parser.finalize)
        if state.fh is not None:
            raise BadRequest("the body ended in the middle of the file part", code="incomplete_body")
    except BaseException:
        # Includes a client that went away (the stream raises) and task cancellation.
        state.cleanup()
        raise
    if not state.file_done or state.path is None or state.container is None:
        raise BadRequest(
            "no file part: send the video as a 'video' (or 'file') form field", code="missing_file"
        )
    received = ReceivedFile(
        path=state.path,
        name=state.file_name,
        size=state.size,
        sha256=state.sha.hexdigest(),
        container=state.container,
    )
    return ReceivedForm(file=received, fields=state.fields)
