"""The Python client uploads straight to the bucket when the server offers it, and resumes from the parts
already there; `reelq serve` runs with REELQ_STORAGE_URL against the S3 server."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import httpx
import pytest

from reelq.client import Client
from reelq.client.resume import ResumeStore

from s3server import CREDENTIALS, MotoServer
from support import Server, base_env, cli

pytestmark = pytest.mark.e2e

MiB = 1024 * 1024
MP4_HEAD = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"


class Stop(Exception):
    pass


def test_interrupted_direct_upload_resumes_with_the_parts_in_the_bucket(
    tmp_path: Path, moto_server: MotoServer, s3_bucket: str
) -> None:
    env = base_env(
        tmp_path / "data",
        REELQ_STORAGE_URL=moto_server.url(s3_bucket, part_size="5MiB"),
        REELQ_SIGNING_SECRET="c" * 32,
        REELQ_EMBEDDED_WORKER="false",
        REELQ_LOG_LEVEL="WARNING",
        **CREDENTIALS,
    )
    server = Server(env, "serve", log=tmp_path / "serve.log").start()
    try:
        token = cli(env, "users", "create", "carol").stdout.strip()
        video = tmp_path / "v.mp4"
        video.write_bytes(MP4_HEAD + os.urandom(12 * MiB - len(MP4_HEAD)))
        store = ResumeStore(tmp_path / "resume.json")

        def stop_after_one_part(sent: int, total: int) -> None:
            if sent >= 5 * MiB:
                raise Stop

        with Client(server.url, token, resume_store=store) as client:
            with pytest.raises(Stop):
                client.upload(video, on_progress=stop_after_one_part)
                # the first part is in the bucket, in a multipart upload not completed yet
            assert moto_server.multipart_uploads(s3_bucket)
            first: list[int] = []
            job = client.upload(video, on_progress=lambda sent, total: first.append(sent))
            assert first[0] == 5 * MiB  # resumed after the part already in the bucket
            assert [j.job_id for j in client.jobs()] == [job.job_id]
        r = httpx.get(
            f"{server.url}/api/results/job/{job.job_id}", headers={"Authorization": f"Bearer {token}"}
        )
        assert r.status_code == 200
        keys = [k for k in moto_server.keys(s3_bucket) if "/uploads/" in k]
        assert len(keys) == 1
        stored = moto_server.client().get_object(Bucket=s3_bucket, Key=keys[0])["Body"].read()
        assert hashlib.sha256(stored).digest() == hashlib.sha256(video.read_bytes()).digest()
        assert moto_server.multipart_uploads(s3_bucket) == []
    finally:
        server.stop()
