"""Only analyzers the server chose can run; a request value never reaches an import."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from reelq.analysis.registry import load, requestable, validate_request
from reelq.app import create_app
from reelq.config import Settings
from reelq.errors import BadRequest
from reelq.jobs.states import JobStatus
from reelq.worker.execute import child_env

from support import fast_settings, make_user

HOSTILE = ["os:system", "nosuchmod:fn", "dotenv:dotenv_values", "this:x", "builtins:print", "x" * 60_000]


def files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix not in (".db", ".db-wal", ".db-shm"))


@pytest.mark.parametrize("name", HOSTILE)
def test_request_may_not_name_a_module_function(name: str) -> None:
    with pytest.raises(BadRequest) as info:
        validate_request(name, default="video")
    assert info.value.code == "unknown_analyzer"
    assert len(info.value.detail) < 400  # a 60 KB name is not echoed back


def test_registered_default_and_configured_names_are_requestable() -> None:
    assert validate_request(None, default="video") == "video"
    assert validate_request("probe", default="video") == "probe"
    extra = ["reelq.testing.analyzers:noop"]
    assert validate_request(extra[0], default="video", extra=extra) == extra[0]
    assert "reelq.testing.analyzers:noop" in requestable("reelq.testing.analyzers:noop")


def test_load_refuses_what_is_not_allowed_before_importing(monkeypatch: pytest.MonkeyPatch) -> None:
    sys.modules.pop("this", None)
    with pytest.raises(LookupError):
        load("this:x", frozenset({"video"}))
    assert "this" not in sys.modules  # the module's code never ran


@pytest.mark.parametrize("name", ["os:system", "nosuchmod:fn"])
def test_multipart_upload_naming_a_callable_is_400_no_job_no_file(
    api_only: TestClient, clip: Path, name: str
) -> None:
    auth = make_user(api_only)
    r = api_only.post(
        "/api/upload", headers=auth, files={"video": ("c.mp4", clip.read_bytes())}, data={"analyzer": name}
    )
    assert r.status_code == 400 and r.json()["code"] == "unknown_analyzer"
    assert api_only.get("/api/jobs", headers=auth).json()["jobs"] == []
    assert files_under(api_only.app.state.runtime.layout.root) == []  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", ["os:system", "nosuchmod:fn"])
def test_tus_creation_naming_a_callable_is_400_no_upload(api_only: TestClient, name: str) -> None:
    import base64

    auth = make_user(api_only)
    meta = "analyzer " + base64.b64encode(name.encode()).decode()
    r = api_only.post(
        "/api/uploads/",
        headers={**auth, "Tus-Resumable": "1.0.0", "Upload-Length": "1000", "Upload-Metadata": meta},
    )
    assert r.status_code == 400 and r.json()["code"] == "unknown_analyzer"
    assert "location" not in r.headers
    assert files_under(api_only.app.state.runtime.layout.root) == []  # type: ignore[attr-defined]


def test_server_configured_module_function_is_allowed_for_uploads(tmp_path: Path, clip: Path) -> None:
    settings = fast_settings(tmp_path / "d", embedded_worker=False, analyzers="reelq.testing.analyzers:noop")
    with TestClient(create_app(settings)) as c:
        auth = make_user(c)
        r = c.post(
            "/api/upload",
            headers=auth,
            files={"video": ("c.mp4", clip.read_bytes())},
            data={"analyzer": "reelq.testing.analyzers:noop"},
        )
        assert r.status_code == 202, r.text


def test_bad_configured_analyzer_is_a_settings_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown analyzer"):
        Settings(data_dir=tmp_path, analyzer="nosuchname")


def test_worker_refuses_a_stored_job_whose_analyzer_is_not_allowed(api_only: TestClient, clip: Path) -> None:
    """A row written by an older version (or by hand) with a module:function is failed, not imported."""
    from sqlalchemy import update

    from reelq.db.schema import jobs
    from reelq.worker.execute import WorkerConfig, WorkerDeps, execute

    auth = make_user(api_only)
    r = api_only.post("/api/upload", headers=auth, files={"video": ("c.mp4", clip.read_bytes())})
    job_id = r.json()["job_id"]
    rt = api_only.app.state.runtime  # type: ignore[attr-defined]
    with rt.engine.begin() as conn:
        conn.execute(update(jobs).where(jobs.c.id == job_id).values(analyzer="dotenv:dotenv_values"))
    deps = WorkerDeps(rt.store, rt.layout, WorkerConfig(), "w", lambda j, d: None)
    assert execute(job_id, deps) == "failed"
    job = api_only.get(f"/api/results/job/{job_id}", headers=auth).json()
    assert job["status"] == JobStatus.FAILED.value
    assert job["error"]["code"] == "unknown_analyzer"
    assert job["result"] is None


def test_analysis_process_sees_no_settings_or_secrets() -> None:
    env = child_env(
        {
            "PATH": "/usr/bin",
            "HOME": "/root",
            "REELQ_EXPO_ACCESS_TOKEN": "canary",
            "REELQ_DATABASE_URL": "postgresql://u:pw@db/x",
            "DATABASE_URL": "postgresql://u:pw@db/x",
            "AWS_SECRET_ACCESS_KEY": "canary",
            "GITHUB_TOKEN": "canary",
            "REELQ_TEST_ANALYZER_SECONDS": "1",
        }
    )
    assert env == {"PATH": "/usr/bin", "HOME": "/root", "REELQ_TEST_ANALYZER_SECONDS": "1"}
    assert "canary" not in json.dumps(env)
