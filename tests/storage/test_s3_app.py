"""The app with REELQ_STORAGE_URL=s3://…: sources and artifacts in the bucket, nothing kept on the node."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import httpx
from fastapi.testclient import TestClient

from reelq.app import create_app
from reelq.runtime import Runtime

from s3server import MotoServer
from support import fast_settings, make_user, wait_for


def rt_of(client: TestClient) -> Runtime:
    return client.app.state.runtime  # type: ignore[attr-defined,no-any-return]


def s3_settings(data: Path, url: str, **more: object):  # type: ignore[no-untyped-def]
    return fast_settings(data, storage_url=url, signing_secret="s" * 32, **more)


def upload_bytes_under(root: Path) -> list[Path]:
    """Files in a data dir other than the databases and the worker's lock file."""
    skip = ("reelq.db", "queue.db", "embedded-worker.lock")
    return [p for p in root.rglob("*") if p.is_file() and not p.name.startswith(skip)]


def test_upload_analysis_artifacts_and_delete_live_in_the_bucket(
    tmp_path: Path,
    clip: Path,
    moto_server: MotoServer,
    s3_bucket: str,
) -> None:
    data = tmp_path / "data"
    settings = s3_settings(data, moto_server.url(s3_bucket))
    with TestClient(create_app(settings)) as client:
        auth = make_user(client)
        with clip.open("rb") as fh:
            r = client.post("/api/upload", headers=auth, files={"video": ("clip.mp4", fh, "video/mp4")})
        assert r.status_code == 202, r.text
        job_id = r.json()["job_id"]

        def done() -> dict | None:  # type: ignore[type-arg]
            body = client.get(f"/api/results/job/{job_id}", headers=auth).json()
            return body if body["status"] in ("completed", "failed") else None

        job = wait_for(done, 60, 0.2, "the job")
        assert job["status"] == "completed", job
        keys = moto_server.keys(s3_bucket)
        source = rt_of(client).store.get(job_id).source_path  # type: ignore[union-attr]
        assert source.startswith("users/") and keys[f"reelq/{source}"] == clip.stat().st_size
        assert moto_server.multipart_uploads(s3_bucket) == []
        artifacts = [k for k in keys if "/artifacts/" in k]
        assert artifacts, keys
        name = artifacts[0].rsplit("/", 1)[1]
        got = client.get(f"/api/jobs/{job_id}/artifacts/{name}", headers=auth)
        assert got.status_code == 200
        stored = moto_server.client().get_object(Bucket=s3_bucket, Key=artifacts[0])["Body"].read()
        assert hashlib.sha256(got.content).digest() == hashlib.sha256(stored).digest()
        assert client.get(f"/api/jobs/{job_id}/artifacts/nope.jpg", headers=auth).status_code == 404
        # the node keeps none of the upload's bytes: no source, no artifact, no scratch
        assert upload_bytes_under(data) == []

        assert client.delete(f"/api/jobs/{job_id}", headers=auth).status_code == 204
        assert [k for k in moto_server.keys(s3_bucket) if job_id in k] == []


def test_artifacts_redirect_to_a_presigned_get(
    tmp_path: Path,
    clip: Path,
    moto_server: MotoServer,
    s3_bucket: str,
) -> None:
    settings = s3_settings(tmp_path / "data", moto_server.url(s3_bucket, artifacts="redirect"))
    with TestClient(create_app(settings)) as client:
        auth = make_user(client)
        with clip.open("rb") as fh:
            job_id = client.post(
                "/api/upload", headers=auth, files={"video": ("clip.mp4", fh, "video/mp4")}
            ).json()["job_id"]
        wait_for(
            lambda: client.get(f"/api/results/job/{job_id}", headers=auth).json()["status"] == "completed",
            60,
            0.2,
        )
        key = next(k for k in moto_server.keys(s3_bucket) if "/artifacts/" in k)
        name = key.rsplit("/", 1)[1]
        r = client.get(f"/api/jobs/{job_id}/artifacts/{name}", headers=auth, follow_redirects=False)
        assert r.status_code == 307
        location = r.headers["location"]
        assert location.startswith(moto_server.endpoint) and "Signature" in location
        direct = httpx.get(location)
        assert direct.status_code == 200
        assert direct.content == moto_server.client().get_object(Bucket=s3_bucket, Key=key)["Body"].read()


def test_a_multipart_post_streams_into_parts_and_a_refused_one_leaves_nothing(
    tmp_path: Path, clip: Path, moto_server: MotoServer, s3_bucket: str
) -> None:
    url = moto_server.url(s3_bucket, part_size="5MiB")
    settings = s3_settings(tmp_path / "data", url, embedded_worker=False)
    body = clip.read_bytes() + os.urandom(12 * 1024 * 1024)
    with TestClient(create_app(settings)) as client:
        auth = make_user(client)
        r = client.post("/api/upload", headers=auth, files={"video": ("big.mp4", body, "video/mp4")})
        assert r.status_code == 202, r.text
        job = rt_of(client).store.get(r.json()["job_id"])
        assert job is not None and job.file_sha256 == hashlib.sha256(body).hexdigest()
        stored = (
            moto_server.client().get_object(Bucket=s3_bucket, Key=f"reelq/{job.source_path}")["Body"].read()
        )
        assert stored == body
        junk = os.urandom(7 * 1024 * 1024)
        r = client.post("/api/upload", headers=auth, files={"video": ("x.mp4", junk, "video/mp4")})
        assert r.status_code == 415
        assert list(moto_server.keys(s3_bucket)) == [f"reelq/{job.source_path}"]
        assert moto_server.multipart_uploads(s3_bucket) == []
        assert upload_bytes_under(tmp_path / "data") == []
