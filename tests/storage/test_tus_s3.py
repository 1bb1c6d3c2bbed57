"""tus with REELQ_STORAGE_URL=s3://…: any API node continues any upload, with no shared disk.

Two apps, each with its own empty data dir, share one database and one bucket (as two machines would).
"""

from __future__ import annotations

import base64
import hashlib
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from reelq.app import create_app
from reelq.db.schema import tus_uploads
from reelq.runtime import Runtime

from s3server import MotoServer
from support import fast_settings, make_user

TUS = {"Tus-Resumable": "1.0.0"}
STREAM = {"Content-Type": "application/offset+octet-stream"}
MiB = 1024 * 1024


@pytest.fixture(scope="module")
def big_video(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A real clip padded past two parts (the padding is random, so every byte counts)."""
    from reelq.testing import make_clip

    clip = make_clip(tmp_path_factory.mktemp("tus-s3") / "clip.mp4", seconds=1.0).read_bytes()
    return clip + os.urandom(13 * MiB - len(clip))


@pytest.fixture
def nodes(tmp_path: Path, moto_server: MotoServer, s3_bucket: str) -> Iterator[list[TestClient]]:
    shared = tmp_path / "shared"
    shared.mkdir()
    common = {
        "storage_url": moto_server.url(s3_bucket, part_size="5MiB"),
        "signing_secret": "k" * 32,
        "database_url": f"sqlite:///{shared / 'reelq.db'}",
        "queue_url": f"sqlite:///{shared / 'queue.db'}",
        "embedded_worker": False,
        "analyzer": "reelq.testing.analyzers:noop",
    }
    clients = []
    for name in ("a", "b"):
        c = TestClient(create_app(fast_settings(tmp_path / f"node-{name}", **common)))
        c.__enter__()
        clients.append(c)
    yield clients
    for c in clients:
        c.__exit__(None, None, None)


def rt(c: TestClient) -> Runtime:
    return c.app.state.runtime  # type: ignore[attr-defined,no-any-return]


def create(c: TestClient, auth: dict[str, str], length: int) -> str:
    meta = "filename " + base64.b64encode(b"big.mp4").decode()
    r = c.post(
        "/api/uploads/", headers={**auth, **TUS, "Upload-Length": str(length), "Upload-Metadata": meta}
    )
    assert r.status_code == 201, r.text
    return r.headers["location"]


def patch(c: TestClient, auth: dict[str, str], url: str, offset: int, data: bytes, **extra: str):  # type: ignore[no-untyped-def]
    return c.patch(
        url, content=data, headers={**auth, **TUS, **STREAM, "Upload-Offset": str(offset), **extra}
    )


def offset_of(c: TestClient, auth: dict[str, str], url: str) -> int:
    r = c.head(url, headers={**auth, **TUS})
    assert r.status_code == 200
    return int(r.headers["upload-offset"])


def node_files(c: TestClient) -> list[Path]:
    root = rt(c).settings.data_dir
    return [p for p in root.rglob("*") if p.is_file() and not p.name.startswith("embedded-worker")]


def sha1_header(data: bytes) -> str:
    return "sha1 " + base64.b64encode(hashlib.sha1(data).digest()).decode()


def test_first_half_on_one_node_rest_on_another_makes_one_job(
    nodes: list[TestClient], big_video: bytes, moto_server: MotoServer, s3_bucket: str
) -> None:
    a, b = nodes
    auth = make_user(a, "alice")
    url = create(a, auth, len(big_video))
    half = len(big_video) // 2
    # node A: 3 MiB (a tail object only), then up to the half (one part of 5 MiB + a new tail)
    assert patch(a, auth, url, 0, big_video[: 3 * MiB]).status_code == 204
    r = patch(a, auth, url, 3 * MiB, big_video[3 * MiB : half])
    assert r.status_code == 204 and int(r.headers["upload-offset"]) == half
    # node B has never seen this upload: it learns the offset from the database
    assert offset_of(b, auth, url) == half
    # a chunk with a wrong checksum on B changes nothing
    bad = patch(b, auth, url, half, big_video[half : half + MiB], **{"Upload-Checksum": sha1_header(b"x")})
    assert bad.status_code == 460
    assert offset_of(a, auth, url) == half
    r = patch(b, auth, url, half, big_video[half:])
    assert r.status_code == 204, r.text
    job_id = r.headers["upload-job-id"]
    # a repeated final PATCH and a HEAD on the other node name the same job
    assert a.head(url, headers={**auth, **TUS}).headers["upload-job-id"] == job_id
    jobs = a.get("/api/jobs", headers=auth).json()["jobs"]
    assert [j["job_id"] for j in jobs] == [job_id]
    job = rt(a).store.get(job_id)
    assert job is not None and job.file_sha256 == hashlib.sha256(big_video).hexdigest()
    assert job.file_size == len(big_video)
    stored = moto_server.client().get_object(Bucket=s3_bucket, Key=f"reelq/{job.source_path}")["Body"].read()
    assert hashlib.sha256(stored).digest() == hashlib.sha256(big_video).digest()
    keys = moto_server.keys(s3_bucket)
    assert list(keys) == [f"reelq/{job.source_path}"]  # no tail object left over
    assert moto_server.multipart_uploads(s3_bucket) == []
    assert node_files(a) == [] and node_files(b) == []  # neither node keeps a byte of it
    # deleting the job removes its objects
    assert b.delete(f"/api/jobs/{job_id}", headers=auth).status_code == 204
    assert moto_server.keys(s3_bucket) == {}


def test_termination_and_expiry_abort_the_multipart_upload(
    nodes: list[TestClient], big_video: bytes, moto_server: MotoServer, s3_bucket: str
) -> None:
    a, b = nodes
    auth = make_user(a, "alice")
    url = create(a, auth, len(big_video))
    assert patch(a, auth, url, 0, big_video[: 6 * MiB]).status_code == 204
    assert moto_server.multipart_uploads(s3_bucket) and moto_server.keys(s3_bucket)  # a part and a tail
    assert b.delete(url, headers={**auth, **TUS}).status_code == 204
    assert moto_server.multipart_uploads(s3_bucket) == [] and moto_server.keys(s3_bucket) == {}

    url = create(a, auth, len(big_video))
    assert patch(a, auth, url, 0, big_video[: 6 * MiB]).status_code == 204
    with rt(a).tus.store.engine.begin() as conn:
        conn.execute(tus_uploads.update().values(expires_at=time.time() - 1))
    assert rt(b).tus.sweep() == 1
    assert moto_server.multipart_uploads(s3_bucket) == [] and moto_server.keys(s3_bucket) == {}
    assert patch(a, auth, url, 6 * MiB, big_video[6 * MiB :]).status_code == 410


def test_a_non_video_is_refused_and_nothing_stays(
    nodes: list[TestClient], moto_server: MotoServer, s3_bucket: str
) -> None:
    a, _ = nodes
    auth = make_user(a, "alice")
    junk = os.urandom(6 * MiB)
    url = create(a, auth, len(junk))
    r = patch(a, auth, url, 0, junk)
    assert r.status_code == 415
    assert moto_server.multipart_uploads(s3_bucket) == [] and moto_server.keys(s3_bucket) == {}
