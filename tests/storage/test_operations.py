"""Running with a bucket: doctor's round trip, /readyz, and moving an existing data dir into the bucket."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from fastapi.testclient import TestClient

from reelq.app import create_app
from reelq.doctor import Verdict, check_storage

from s3server import CREDENTIALS, MotoServer
from support import fast_settings, make_user, wait_for

SECRET = "m" * 32


def test_doctor_checks_the_bucket_and_names_the_failing_step(
    tmp_path: Path, moto_server: MotoServer, s3_bucket: str
) -> None:
    ok = check_storage(fast_settings(tmp_path, storage_url=moto_server.url(s3_bucket), signing_secret=SECRET))
    assert ok.verdict is Verdict.OK
    assert "reach, write, read, multipart, delete ok" in ok.detail
    assert moto_server.keys(s3_bucket) == {} and moto_server.multipart_uploads(s3_bucket) == []
    missing = fast_settings(tmp_path, storage_url=moto_server.url("no-such-bucket"), signing_secret=SECRET)
    bad = check_storage(missing)
    assert bad.verdict is Verdict.FAIL and "reach" in bad.detail
    assert check_storage(fast_settings(tmp_path)).verdict is Verdict.OK  # the data dir


def test_readyz_includes_the_store(tmp_path: Path, moto_server: MotoServer, s3_bucket: str) -> None:
    settings = fast_settings(tmp_path / "d", storage_url=moto_server.url(s3_bucket), signing_secret=SECRET)
    with TestClient(create_app(settings)) as c:
        wait_for(lambda: c.get("/readyz").status_code == 200, 20, 0.2, "ready")
        assert c.get("/readyz").json()["checks"]["storage"] == "ok"
        moto_server.client().delete_bucket(Bucket=s3_bucket)
        r = c.get("/readyz")
        assert r.status_code == 503 and r.json()["checks"]["storage"].startswith("failing")


def test_migrate_copies_a_data_dir_once_and_the_jobs_work_from_the_bucket(
    tmp_path: Path, clip: Path, moto_server: MotoServer, s3_bucket: str
) -> None:
    data = tmp_path / "data"
    local = fast_settings(data, signing_secret=SECRET)
    with TestClient(create_app(local)) as c:
        auth = make_user(c)
        with clip.open("rb") as fh:
            job_id = c.post("/api/upload", headers=auth, files={"video": ("c.mp4", fh, "video/mp4")}).json()[
                "job_id"
            ]
        job = wait_for(
            lambda: (
                (j := c.get(f"/api/results/job/{job_id}", headers=auth).json())["status"] == "completed" and j
            ),
            60,
            0.2,
        )
        token = auth["Authorization"]
    url = moto_server.url(s3_bucket)
    env = {k: v for k, v in os.environ.items() if not k.startswith("REELQ_")}
    env.update(CREDENTIALS, REELQ_DATA_DIR=str(data), REELQ_STORAGE_URL=url, REELQ_SIGNING_SECRET=SECRET)
    run = [sys.executable, "-m", "reelq.cli", "storage", "migrate"]
    first = subprocess.run(run, env=env, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    copied = int(first.stdout.split()[0])
    assert copied >= 2, first.stdout  # the source and at least one artifact
    again = subprocess.run(run, env=env, capture_output=True, text=True, timeout=120)
    assert again.stdout.startswith("0 file(s) copied") and f"{copied} already there" in again.stdout
    # the same database, now with the bucket and an empty data dir of another node
    node = fast_settings(
        tmp_path / "node", storage_url=url, signing_secret=SECRET, database_url=local.resolved_database_url
    )
    with TestClient(create_app(node.model_copy(update={"embedded_worker": False}))) as c:
        name = next(k for k in moto_server.keys(s3_bucket) if "/artifacts/" in k).rsplit("/", 1)[1]
        r = c.get(f"/api/jobs/{job_id}/artifacts/{name}", headers={"Authorization": token})
        assert r.status_code == 200 and r.content
        assert job["status"] == "completed"
