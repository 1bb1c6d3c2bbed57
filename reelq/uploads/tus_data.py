"""Where a tus upload's bytes go while it arrives: a file in the data dir, or parts in a bucket.

A :class:`Sink` is opened by the PATCH that holds the upload's lock, at the committed offset. Blocking:
every method runs in a worker thread. After the row's offset is committed, :meth:`Sink.committed` is
called; :meth:`Sink.revert` drops what arrived since the last commit (a refused or unverifiable chunk).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from reelq.uploads import tus_io


class Sink(Protocol):
    def write(self, chunks: Sequence[bytes], pos: int, hashers: Sequence[Any]) -> int: ...

    def revert(self) -> None: ...

    def sync(self) -> None:
        """Make every byte written so far durable (fsync; or the tail object in a bucket)."""
        ...

    def state_json(self) -> str | None:
        """What the row must keep besides the offset to find the bytes again (None: nothing)."""
        ...

    def committed(self, offset: int) -> None: ...

    def read_head(self) -> bytes: ...

    def close(self) -> None: ...


class LocalSink:
    """The upload's file in ``<data dir>/incoming/tus``: positional writes, truncated to the commit."""

    def __init__(self, path: Path, offset: int) -> None:
        self.fd = tus_io.open_data(path)
        self.start = offset
        try:
            tus_io.truncate(self.fd, offset)
        except BaseException:
            os.close(self.fd)
            raise

    def write(self, chunks: Sequence[bytes], pos: int, hashers: Sequence[Any]) -> int:
        return tus_io.write_at(self.fd, chunks, pos, hashers)

    def revert(self) -> None:
        tus_io.truncate(self.fd, self.start)

    def sync(self) -> None:
        tus_io.sync(self.fd)

    def state_json(self) -> str | None:
        return None

    def committed(self, offset: int) -> None:
        self.start = offset

    def read_head(self) -> bytes:
        return tus_io.read_head(self.fd)

    def close(self) -> None:
        os.close(self.fd)
