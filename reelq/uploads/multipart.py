"""Streaming multipart/form-data: the file part goes straight to disk, hashed and sniffed on the way.

The parser never holds more than one batch of the body in memory, checks the size limit and the
container type while the body arrives, and deletes its partial file on any error. ``on_file_start`` sees
the fields that came before the file part, so a refused field stops the upload before a byte is stored.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio.to_thread
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from reelq.errors import BadRequest, RequestTimeout, UploadTooLarge
from reelq.files import StoredFile, display_name
from reelq.storage.local import FileWriter
from reelq.storage.port import UploadWriter
from reelq.uploads.pace import TooSlow, paced
from reelq.uploads.sniff import SNIFF_BYTES, Container, require_video

FILE_FIELDS = ("video", "file")
_SEND_FILE = "send the video as a 'video' (or 'file') form field"
MAX_FIELD_BYTES = 64 * 1024
MAX_FIELDS = 20
BATCH_BYTES = 128 * 1024  # small enough that little work is left when the last byte arrives


@dataclass
class ReceivedForm:
    file: StoredFile | None
    fields: dict[str, str] = field(default_factory=dict)
    writer: UploadWriter | None = None

    def discard(self) -> None:
        if self.writer is not None:
            self.writer.discard()


class _State:
    """Everything the (synchronous) parser callbacks touch; used from one worker thread at a time."""

    def __init__(
        self,
        open_writer: Callable[[], UploadWriter],
        max_file_bytes: int,
        on_file_start: Callable[[Mapping[str, str]], object] | None = None,
    ) -> None:
        self.open_writer = open_writer
        self.on_file_start = on_file_start
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
        self.fh: UploadWriter | None = None  # open while the file part arrives
        self.writer: UploadWriter | None = None
        self.stored: tuple[Path | None, str | None] = (None, None)
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
        if not self.is_file and self.part_filename is not None and not self.file_done:
            shown = (self.part_name or "")[:40]
            raise BadRequest(f"the file part is named {shown!r}: {_SEND_FILE}", code="missing_file")
        if self.is_file:
            if self.file_done or self.fh is not None:
                raise BadRequest("send exactly one file part ('video' or 'file')")
            if self.on_file_start is not None:
                self.on_file_start(self.fields)
            self.file_name = display_name(self.part_filename)
            self.fh = self.writer = self.open_writer()
        elif len(self.fields) >= MAX_FIELDS:
            raise BadRequest("too many form fields")

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        if not self.is_file:
            self.field_buf += chunk
            if len(self.field_buf) > MAX_FIELD_BYTES:
                raise BadRequest(
                    f"form field {(self.part_name or '')[:40]!r} is larger than {MAX_FIELD_BYTES} bytes "
                    f"(if it is the file: {_SEND_FILE})"
                )
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
            self.stored = self.fh.close()
            self.fh = None
            self.file_done = True
        elif self.part_name is not None:
            self.fields[self.part_name] = self.field_buf.decode("utf-8", "replace")

    def _sniff(self) -> None:
        self.container = require_video(bytes(self.head))

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
        self.fh = None
        if self.writer is not None:
            self.writer.discard()


def boundary_of(content_type: str | None) -> bytes:
    ctype, opts = parse_options_header(content_type or "")
    if ctype != b"multipart/form-data":
        raise BadRequest("send the upload as multipart/form-data with a 'video' file part")
    boundary = opts.get(b"boundary")
    if not boundary or len(boundary) > 200:
        raise BadRequest("multipart/form-data without a valid boundary")
    return boundary


async def receive_multipart(
    chunks: AsyncIterator[bytes],
    content_type: str | None,
    *,
    dest_dir: Path,
    max_file_bytes: int,
    idle_seconds: float | None = None,
    on_file_start: Callable[[Mapping[str, str]], object] | None = None,
    open_writer: Callable[[], UploadWriter] | None = None,
) -> ReceivedForm:
    """Read a multipart body from ``chunks``; the parsing and the writes run off the event loop.

    The file goes to ``open_writer()`` (a bucket's multipart upload), or a temporary file in ``dest_dir``.
    The body is ended with 408 when it stops or trickles (``reelq.uploads.pace``).
    """
    boundary = boundary_of(content_type)
    state = _State(open_writer or (lambda: FileWriter(dest_dir)), max_file_bytes, on_file_start)
    parser = MultipartParser(boundary, state.callbacks(), max_header_count=8, max_header_size=4096)  # type: ignore[arg-type]

    def feed(data: bytes) -> None:
        try:
            parser.write(data)
        except MultipartParseError as exc:
            raise BadRequest(f"malformed multipart body: {exc}") from exc

    batch = bytearray()
    try:
        async for chunk in paced(chunks, idle_seconds):
            batch += chunk
            if len(batch) >= BATCH_BYTES:
                data, batch = bytes(batch), bytearray()
                await anyio.to_thread.run_sync(feed, data)
        if batch:
            await anyio.to_thread.run_sync(feed, bytes(batch))
        await anyio.to_thread.run_sync(parser.finalize)
        if state.fh is not None:
            raise BadRequest("the body ended in the middle of the file part", code="incomplete_body")
    except TooSlow as exc:
        state.cleanup()
        raise RequestTimeout(f"{exc}; the upload was abandoned") from None
    except BaseException:
        # Includes a client that went away (the stream raises) and task cancellation.
        state.cleanup()
        raise
    if not state.file_done or state.writer is None or state.container is None:
        raise BadRequest(f"no file part: {_SEND_FILE}", code="missing_file")
    path, key = state.stored
    received = StoredFile(
        path=path,
        key=key,
        name=state.file_name,
        size=state.size,
        sha256=state.sha.hexdigest(),
        content_type=state.container.content_type,
        extension=state.container.extension,
    )
    return ReceivedForm(file=received, fields=state.fields, writer=state.writer)
