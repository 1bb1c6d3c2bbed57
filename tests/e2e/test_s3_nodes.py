"""Many machines without a shared disk: PostgreSQL + Redis + an S3 server, and every `reelq` process with
its own empty data dir. An upload continues on any API node; workers fetch from and write to the bucket."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from integration.backends import pg_database, redis_queue

from s3server import CREDENTIALS, MotoServer
from support import Server, base_env, cli, poll_job, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

TUS = {"Tus-Resumable": "1.0.0"}
MiB = 1024 * 1024


def node_env(tmp_path: Path, name: str, shared: dict[str, str]) -> dict[str, str]:
    return base_env(tmp_path / f"data-{name}", **shared)


@pytest.fixture
def shared(moto_server: MotoServer, s3_bucket: str) -> Iterator[dict[str, str]]:
    with pg_database() as db_url, redis_queue() as queue_url:
        yield {
            "REELQ_DATABASE_URL": db_url,
            "REELQ_QUEUE_URL": queue_url,
            "REELQ_STORAGE_URL": moto_server.url(s3_bucket, part_size="5MiB"),
            "REELQ_SIGNING_SECRET": "e2e-signing-secret-" + "x" * 16,
            **CREDENTIALS,
        }


def upload_bytes(data_dir: Path) -> list[Path]:
    """Files in a node's data dir other than its lock files: none may hold an upload's bytes."""
    if not data_dir.exists():
        return []
    return [p for p in data_dir.rglob("*") if p.is_file() and not p.name.endswith(".lock")]


def artifact_urls(result: Any) -> list[str]:
    found: list[str] = []
    if isinstance(result, dict):
        if isinstance(result.get("url"), str) and "/artifacts/" in result["url"]:
            found.append(result["url"])
        for value in result.values():
            found += artifact_urls(value)
    elif isinstance(result, list):
        for value in result:
            found += artifact_urls(value)
    return found


def test_an_upload_split_across_two_api_nodes_makes_one_job_served_by_both(
    tmp_path: Path, clip: Path, shared: dict[str, str], moto_server: MotoServer, s3_bucket: str
) -> None:
    a_env, b_env, w_env = (node_env(tmp_path, n, shared) for n in ("a", "b", "w"))
    a = Server(a_env, "serve", "--no-worker", log=tmp_path / "a.log").start()
    b = Server(b_env, "serve", "--no-worker", log=tmp_path / "b.log").start()
    worker = Server(w_env, "worker", log=tmp_path / "worker.log").start(wait=False)
    try:
        token = cli(a_env, "users", "create", "alice").stdout.strip()
        auth = {"Authorization": f"Bearer {token}"}
        video = clip.read_bytes()
        half = len(video) // 2
        meta = "filename " + base64.b64encode(b"clip.mp4").decode()
        r = httpx.post(
            f"{a.url}/api/uploads/",
            headers={**auth, **TUS, "Upload-Length": str(len(video)), "Upload-Metadata": meta},
        )
        assert r.status_code == 201, r.text
        path = httpx.URL(r.headers["location"]).path
        stream = {**auth, **TUS, "Content-Type": "application/offset+octet-stream"}
        r = httpx.patch(a.url + path, content=video[:half], headers={**stream, "Upload-Offset": "0"})
        assert r.status_code == 204 and int(r.headers["upload-offset"]) == half
        head = httpx.head(b.url + path, headers={**auth, **TUS})
        assert int(head.headers["upload-offset"]) == half
        r = httpx.patch(b.url + path, content=video[half:], headers={**stream, "Upload-Offset": str(half)})
        assert r.status_code == 204, r.text
        job_id = r.headers["upload-job-id"]
        job = poll_job(a.url, auth, job_id, {"completed", "failed"}, timeout=90)
        assert job["status"] == "completed", job
        with psycopg.connect(shared["REELQ_DATABASE_URL"]) as conn:
            assert conn.execute("SELECT count(*) FROM jobs").fetchone() == (1,)
        urls = artifact_urls(job["result"])
        assert urls, job["result"]
        for node in (a, b):
            for url in urls:
                got = httpx.get(node.url + url)  # signed by one node, verified by any
                assert got.status_code == 200 and got.content, url
        keys = moto_server.keys(s3_bucket)
        sources = [k for k in keys if "/uploads/" in k]
        assert len(sources) == 1 and keys[sources[0]] == len(video), keys
        stored = moto_server.client().get_object(Bucket=s3_bucket, Key=sources[0])["Body"].read()
        assert hashlib.sha256(stored).hexdigest() == hashlib.sha256(video).hexdigest()
        for env in (a_env, b_env, w_env):
            assert upload_bytes(Path(env["REELQ_DATA_DIR"])) == []
        assert httpx.delete(f"{b.url}/api/jobs/{job_id}", headers=auth).status_code == 204
        assert moto_server.keys(s3_bucket) == {}
    finally:
        for s in (a, b, worker):
            s.stop()


def test_a_worker_killed_mid_analysis_leaves_no_scratch_and_the_job_completes_elsewhere(
    tmp_path: Path, clip: Path, shared: dict[str, str]
) -> None:
    extra = {"REELQ_ANALYZER": "reelq.testing.analyzers:slow", "REELQ_TEST_ANALYZER_SECONDS": "4"}
    api_env = node_env(tmp_path, "api", {**shared, **extra})
    w1_env = node_env(tmp_path, "w1", {**shared, **extra})
    w2_env = node_env(tmp_path, "w2", {**shared, **extra})
    api = Server(api_env, "serve", "--no-worker", log=tmp_path / "api.log").start()
    w1 = Server(w1_env, "worker", log=tmp_path / "w1.log").start(wait=False)
    w2: Server | None = None
    try:
        token = cli(api_env, "users", "create", "bob").stdout.strip()
        auth = {"Authorization": f"Bearer {token}"}
        with clip.open("rb") as fh:
            r = httpx.post(f"{api.url}/api/upload", headers=auth, files={"video": ("c.mp4", fh, "video/mp4")})
        assert r.status_code == 202, r.text
        job_id = r.json()["job_id"]
        scratch = Path(w1_env["REELQ_DATA_DIR"]) / "scratch"
        wait_for(lambda: any(p.name.startswith("source") for p in scratch.rglob("*")), 60, 0.1, "the fetch")
        poll_job(api.url, auth, job_id, {"processing"}, timeout=30)
        w1.kill9()
        w2 = Server(w2_env, "worker", log=tmp_path / "w2.log").start(wait=False)
        job = poll_job(api.url, auth, job_id, {"completed", "failed"}, timeout=90)
        assert job["status"] == "completed", job
        assert not any(p.is_file() for p in (Path(w2_env["REELQ_DATA_DIR"]) / "scratch").rglob("*"))
        # the killed worker's scratch goes when a worker starts on its machine again
        assert any(p.is_file() for p in scratch.rglob("*"))
        w1 = Server(w1_env, "worker", log=tmp_path / "w1.log").start(wait=False)
        wait_for(lambda: not any(p.is_file() for p in scratch.rglob("*")), 30, 0.2, "stale scratch removed")
    finally:
        for s in (api, w1, w2):
            if s is not None:
                s.stop()
