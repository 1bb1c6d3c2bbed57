"""Where the bytes live: the data dir, or S3-compatible object storage (``REELQ_STORAGE_URL``)."""

from __future__ import annotations

from reelq.files import Layout
from reelq.storage.port import Artifact, Storage
from reelq.storage.url import S3Location, parse_storage_url

__all__ = ["Artifact", "S3Location", "Storage", "make_storage", "parse_storage_url"]


def make_storage(storage_url: str, layout: Layout) -> Storage:
    location = parse_storage_url(storage_url)
    if location is None:
        from reelq.storage.local import LocalStorage

        return LocalStorage(layout)
    from reelq.storage.objects import ObjectStorage
    from reelq.storage.s3 import S3Objects

    return ObjectStorage(S3Objects(location), layout.root)
