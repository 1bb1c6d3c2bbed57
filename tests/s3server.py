"""An S3-compatible server for tests: moto in server mode on 127.0.0.1 (a fake for an internet service).

Like PostgreSQL and Redis, it runs as its own process; reelq talks to it over HTTP with boto3, exactly as
it talks to AWS S3, MinIO or R2. Each test gets a fresh bucket.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import httpx
import pytest

from reelq.ids import new_id

from support import free_port

CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "reelq-test",
    "AWS_SECRET_ACCESS_KEY": "reelq-test-secret",
    "AWS_DEFAULT_REGION": "us-east-1",
}


class MotoServer:
    def __init__(self, log: Path) -> None:
        self.port = free_port()
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> MotoServer:
        exe = shutil.which("moto_server", path=str(Path(sys.executable).parent))
        cmd = [exe] if exe else [sys.executable, "-m", "moto.server"]
        with self.log.open("ab") as logf:
            self.proc = subprocess.Popen(
                [*cmd, "-H", "127.0.0.1", "-p", str(self.port)], stdout=logf, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(self.endpoint + "/moto-api/", timeout=1)
                return self
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError(f"moto server did not start: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def client(self):  # type: ignore[no-untyped-def]
        return boto3.client("s3", endpoint_url=self.endpoint, region_name="us-east-1")

    def new_bucket(self) -> str:
        name = f"reelq-{new_id().lower()[-12:]}"
        self.client().create_bucket(Bucket=name)
        return name

    def url(self, bucket: str, prefix: str = "reelq", **options: str) -> str:
        query = "&".join(f"{k}={v}" for k, v in {"path_style": "true", **options}.items())
        return f"s3://{bucket}/{prefix}?endpoint={self.endpoint}&region=us-east-1&{query}"

    def keys(self, bucket: str) -> dict[str, int]:
        out: dict[str, int] = {}
        for page in self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for item in page.get("Contents", []):
                out[item["Key"]] = int(item["Size"])
        return out

    def multipart_uploads(self, bucket: str) -> list[str]:
        got = self.client().list_multipart_uploads(Bucket=bucket)
        return [u["Key"] for u in got.get("Uploads", [])]


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoServer]:
    for name, value in CREDENTIALS.items():
        os.environ.setdefault(name, value)
    server = MotoServer(tmp_path_factory.mktemp("moto") / "moto.log").start()
    yield server
    server.stop()


@pytest.fixture
def s3_bucket(moto_server: MotoServer) -> str:
    return moto_server.new_bucket()


@pytest.fixture
def s3_url(moto_server: MotoServer, s3_bucket: str) -> str:
    return moto_server.url(s3_bucket)
