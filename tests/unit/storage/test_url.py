from __future__ import annotations

import pytest

from reelq.config import Settings
from reelq.storage.url import MiB, parse_storage_url


def test_empty_means_the_data_dir() -> None:
    assert parse_storage_url("") is None


def test_an_s3_url_with_every_option() -> None:
    loc = parse_storage_url(
        "s3://videos/reelq/prod?endpoint=http://minio:9000&region=eu-west-1&path_style=true"
        "&part_size=16MiB&checksums=when_required&artifacts=redirect&profile=ops"
    )
    assert loc is not None
    assert (loc.bucket, loc.prefix, loc.endpoint, loc.region) == (
        "videos",
        "reelq/prod/",
        "http://minio:9000",
        "eu-west-1",
    )
    assert loc.path_style and loc.part_size == 16 * MiB and loc.checksums == "when_required"
    assert loc.artifacts == "redirect" and loc.profile == "ops"
    assert loc.key("users/a/b") == "reelq/prod/users/a/b"
    bare = parse_storage_url("s3://videos")
    assert bare is not None and bare.prefix == "" and not bare.path_style and bare.artifacts == "proxy"


@pytest.mark.parametrize(
    "url",
    [
        "gs://bucket/x",
        "s3://AB/x",
        "s3://key:secret@bucket/x",
        "s3://bucket/../x",
        "s3://bucket/x?part_size=1MiB",
        "s3://bucket/x?path_style=maybe",
        "s3://bucket/x?endpoint=ftp://h",
        "s3://bucket/x?nope=1",
    ],
)
def test_bad_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError):
        parse_storage_url(url)


def test_a_bucket_needs_one_signing_secret_for_every_node(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="REELQ_SIGNING_SECRET"):
        Settings(data_dir=tmp_path, storage_url="s3://videos")
    assert Settings(data_dir=tmp_path, storage_url="s3://videos", signing_secret="x" * 32).storage_url
