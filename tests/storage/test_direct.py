"""POST /api/uploads/direct: parts go straight to the bucket; reelq checks them and makes one job."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from reelq.app import create_app
from reelq.runtime import Runtime

from s3server import MotoServer
from support import fast_settings, make_user

MiB = 1024 * 1024


@pytest.fixture(scope="module")
def video(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    from reelq.testing import make_clip

    clip = make_clip(tmp_path_factory.mktemp("direct") / "clip.mp4", seconds=1.0).read_bytes()
    return clip + os.urandom(11 * MiB - len(clip))


@pytest.fixture
def api(tmp_path: Path, moto_server: MotoServer, s3_bucket: str) -> Iterator[TestClient]:
    settings = fast_settings(
        tmp_path / "d",
        storage_url=moto_server.url(s3_bucket, part_size="5MiB"),
        signing_secret="d" * 32,
        embedded_worker=False,
        analyzer="reelq.testing.analyzers:noop",
    )
    with TestClient(create_app(settings)) as c:
        yield c


def rt(c: TestClient) -> Runtime:
    return c.app.state.runtime  # type: ignore[attr-defined,no-any-return]


def put(url: str, data: bytes) -> None:
    r = httpx.put(url, content=data)
    assert r.status_code == 200, r.text


def test_interrupted_direct_upload_resumes_from_the_parts_in_the_bucket(
    api: TestClient, video: bytes, moto_server: MotoServer, s3_bucket: str
) -> None:
    auth = make_user(api)
    sha = hashlib.sha256(video).hexdigest()
    r = api.post(
        "/api/uploads/direct", headers=auth, json={"size": len(video), "filename": "v.mp4", "sha256": sha}
    )
    assert r.status_code == 201, r.text
    start = r.json()
    assert [p["size"] for p in start["parts"]] == [5 * MiB, 5 * MiB, len(video) - 10 * MiB]
    first = start["parts"][0]
    put(first["url"], video[: first["size"]])  # then the client goes away
    r = api.post(f"/api/uploads/direct/{start['upload_id']}/complete", headers=auth)
    assert r.status_code == 409 and r.json()["code"] == "parts_missing"
    again = api.get(f"/api/uploads/direct/{start['upload_id']}", headers=auth).json()
    assert again["parts"][0]["url"] is None and all(p["url"] for p in again["parts"][1:])
    for part in again["parts"][1:]:
        offset = (part["number"] - 1) * again["part_size"]
        put(part["url"], video[offset : offset + part["size"]])
    r = api.post(f"/api/uploads/direct/{start['upload_id']}/complete", headers=auth)
    assert r.status_code == 202, r.text
    job_id = r.json()["job_id"]
    assert (
        api.post(f"/api/uploads/direct/{start['upload_id']}/complete", headers=auth).json()["job_id"]
        == job_id
    )
    jobs = api.get("/api/jobs", headers=auth).json()["jobs"]
    assert [j["job_id"] for j in jobs] == [job_id]
    job = rt(api).store.get(job_id)
    assert job is not None and job.file_sha256 == sha and job.file_name == "v.mp4"
    body = moto_server.client().get_object(Bucket=s3_bucket, Key=f"reelq/{job.source_path}")["Body"].read()
    assert hashlib.sha256(body).hexdigest() == sha
    assert moto_server.multipart_uploads(s3_bucket) == []
    # not a tus upload
    assert (
        api.head(f"/api/uploads/{start['upload_id']}", headers={**auth, "Tus-Resumable": "1.0.0"}).status_code
        == 404
    )


def test_a_wrong_checksum_makes_no_job_and_leaves_nothing(
    api: TestClient, video: bytes, moto_server: MotoServer, s3_bucket: str
) -> None:
    auth = make_user(api)
    small = video[: 2 * MiB]
    r = api.post("/api/uploads/direct", headers=auth, json={"size": len(small), "sha256": "0" * 64}).json()
    put(r["parts"][0]["url"], small)
    done = api.post(f"/api/uploads/direct/{r['upload_id']}/complete", headers=auth)
    assert done.status_code == 460
    assert api.get("/api/jobs", headers=auth).json()["jobs"] == []
    assert moto_server.keys(s3_bucket) == {} and moto_server.multipart_uploads(s3_bucket) == []


def test_the_rules_of_every_upload_apply(api: TestClient, video: bytes) -> None:
    auth = make_user(api)
    r = api.post("/api/uploads/direct", headers=auth, json={"size": 10, "analyzer": "os:system"})
    assert r.status_code == 400
    r = api.post("/api/uploads/direct", headers=auth, json={"size": 10 * 1024**4})
    assert r.status_code == 413
    assert api.post("/api/uploads/direct", json={"size": 10}).status_code == 401
    other = make_user(api, "bob")
    r = api.post("/api/uploads/direct", headers=auth, json={"size": 100}).json()
    assert api.get(f"/api/uploads/direct/{r['upload_id']}", headers=other).status_code == 404


def test_a_server_on_its_data_dir_does_not_offer_it(client: TestClient, auth: dict[str, str]) -> None:
    r = client.post("/api/uploads/direct", headers=auth, json={"size": 100})
    assert r.status_code == 404 and r.json()["code"] == "direct_uploads_unavailable"
