"""S3-compatible object storage through boto3: the few calls reelq makes, keys relative to the prefix.

Blocking (boto3 is synchronous); callers on the event loop run these in a thread, as they do file I/O.
One client per process: boto3 clients are thread-safe and keep a connection pool.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from reelq.storage.url import S3Location

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

READ_BYTES = 1024 * 1024
_MISSING = {"404", "NoSuchKey", "NotFound", "NoSuchUpload"}


class StorageError(Exception):
    """The object store refused or could not be reached (the message is for logs, not users)."""


def is_missing(exc: ClientError) -> bool:
    return str(exc.response.get("Error", {}).get("Code", "")) in _MISSING


@dataclass(frozen=True)
class Part:
    number: int
    etag: str
    size: int


class S3Objects:
    def __init__(self, location: S3Location, client: S3Client | None = None) -> None:
        self.location = location
        self.bucket = location.bucket
        self.client: S3Client = client or make_client(location)

    # -- whole objects ---------------------------------------------------------------------
    def key(self, relative: str) -> str:
        return self.location.key(relative)

    def put_bytes(self, relative: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self.key(relative), Body=data)

    def put_file(self, relative: str, path: Path) -> None:
        """Upload a local file (multipart above the part size, by boto3's transfer manager)."""
        part = self.location.part_size
        config = boto3.s3.transfer.TransferConfig(multipart_threshold=part, multipart_chunksize=part)
        self.client.upload_file(str(path), self.bucket, self.key(relative), Config=config)

    def get_bytes(self, relative: str, max_bytes: int = 64 * 1024 * 1024) -> bytes:
        body = self.client.get_object(Bucket=self.bucket, Key=self.key(relative))["Body"]
        try:
            data: bytes = body.read(max_bytes + 1)
        finally:
            body.close()
        if len(data) > max_bytes:
            raise StorageError(f"{relative} is larger than {max_bytes} bytes")
        return data

    def read_range(self, relative: str, start: int, length: int) -> bytes:
        end = start + length - 1
        got = self.client.get_object(Bucket=self.bucket, Key=self.key(relative), Range=f"bytes={start}-{end}")
        body = got["Body"]
        try:
            data: bytes = body.read()
            return data
        finally:
            body.close()

    def stream(self, relative: str, block: int = READ_BYTES) -> Iterator[bytes]:
        body = self.client.get_object(Bucket=self.bucket, Key=self.key(relative))["Body"]
        try:
            while chunk := body.read(block):
                yield chunk
        finally:
            body.close()

    def download(self, relative: str, dest: Path) -> int:
        """Stream an object into ``dest`` (never whole in memory); returns its size."""
        size = 0
        with dest.open("wb") as fh:
            for chunk in self.stream(relative):
                fh.write(chunk)
                size += len(chunk)
        return size

    def sha256(self, relative: str) -> str:
        digest = hashlib.sha256()
        for chunk in self.stream(relative):
            digest.update(chunk)
        return digest.hexdigest()

    def size(self, relative: str) -> int | None:
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=self.key(relative))
        except ClientError as exc:
            if is_missing(exc):
                return None
            raise
        return int(head["ContentLength"])

    def delete(self, relative: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self.key(relative))

    def list_objects(self, relative_prefix: str) -> Iterator[tuple[str, int]]:
        """(relative key, size) of every object under a prefix."""
        strip = len(self.location.prefix)
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.key(relative_prefix)
        )
        for page in pages:
            for item in page.get("Contents", []):
                yield item["Key"][strip:], int(item["Size"])

    def delete_prefix(self, relative_prefix: str) -> int:
        """Remove every object under a prefix (a "directory"); returns how many."""
        if relative_prefix and not relative_prefix.endswith("/"):
            raise ValueError("a prefix to delete ends with /")
        count = 0
        batch: list[str] = []
        for rel, _ in self.list_objects(relative_prefix):
            batch.append(self.key(rel))
            if len(batch) == 1000:
                count += self._delete_keys(batch)
                batch = []
        if batch:
            count += self._delete_keys(batch)
        return count

    def _delete_keys(self, keys: list[str]) -> int:
        # One call per key: DeleteObjects needs Content-MD5, which some S3-compatible servers handle badly.
        for key in keys:
            self.client.delete_object(Bucket=self.bucket, Key=key)
        return len(keys)

    def presign_get(self, relative: str, seconds: int, *, download_name: str | None = None) -> str:
        params: dict[str, Any] = {"Bucket": self.bucket, "Key": self.key(relative)}
        if download_name:
            params["ResponseContentDisposition"] = f'inline; filename="{download_name}"'
        return str(self.client.generate_presigned_url("get_object", Params=params, ExpiresIn=seconds))

    # -- multipart ---------------------------------------------------------------------------
    def create_multipart(self, relative: str, content_type: str = "application/octet-stream") -> str:
        got = self.client.create_multipart_upload(
            Bucket=self.bucket, Key=self.key(relative), ContentType=content_type
        )
        return str(got["UploadId"])

    def upload_part(self, relative: str, upload_id: str, number: int, data: bytes) -> str:
        got = self.client.upload_part(
            Bucket=self.bucket, Key=self.key(relative), UploadId=upload_id, PartNumber=number, Body=data
        )
        return str(got["ETag"])

    def list_parts(self, relative: str, upload_id: str) -> list[Part]:
        parts: list[Part] = []
        pages = self.client.get_paginator("list_parts").paginate(
            Bucket=self.bucket, Key=self.key(relative), UploadId=upload_id
        )
        for page in pages:
            for p in page.get("Parts", []):
                parts.append(Part(int(p["PartNumber"]), str(p["ETag"]), int(p["Size"])))
        return sorted(parts, key=lambda p: p.number)

    def complete_multipart(self, relative: str, upload_id: str, parts: list[Part]) -> None:
        """Complete once: a call that timed out may have completed it (retries then find no upload), so an
        error is checked against the object the parts make."""
        try:
            self.client.complete_multipart_upload(
                Bucket=self.bucket,
                Key=self.key(relative),
                UploadId=upload_id,
                MultipartUpload={"Parts": [{"PartNumber": p.number, "ETag": p.etag} for p in parts]},
            )
        except (ClientError, BotoCoreError):
            if self.size(relative) != sum(p.size for p in parts):
                raise

    def abort_multipart(self, relative: str, upload_id: str) -> None:
        try:
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=self.key(relative), UploadId=upload_id)
        except ClientError as exc:
            if not is_missing(exc):
                raise

    def presign_part(self, relative: str, upload_id: str, number: int, seconds: int) -> str:
        params = {
            "Bucket": self.bucket,
            "Key": self.key(relative),
            "UploadId": upload_id,
            "PartNumber": number,
        }
        return str(self.client.generate_presigned_url("upload_part", Params=params, ExpiresIn=seconds))


def make_client(location: S3Location) -> S3Client:
    session = (
        boto3.session.Session(profile_name=location.profile) if location.profile else boto3.session.Session()
    )
    config = Config(
        signature_version="s3v4",
        s3={"addressing_style": "path" if location.path_style else "auto"},
        retries={"mode": "standard", "max_attempts": 5},
        connect_timeout=10,
        read_timeout=300,  # CompleteMultipartUpload of a large object may take minutes to answer
        max_pool_connections=32,
        request_checksum_calculation=location.checksums,
        response_checksum_validation=location.checksums,
    )
    return cast(
        "S3Client",
        session.client("s3", endpoint_url=location.endpoint, region_name=location.region, config=config),
    )
