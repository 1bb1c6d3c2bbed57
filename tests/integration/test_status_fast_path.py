"""The polling hot path reads one row without the framework, on SQLite and PostgreSQL, and answers
exactly what the documented route answers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from reelq.app import create_app
from reelq.config import Settings

from support import make_user


@pytest.fixture
def api(backend_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(backend_settings.model_copy(update={"embedded_worker": False}))) as c:
        yield c


def test_plain_polls_of_many_jobs_need_no_thread_or_orm(
    api: TestClient, clip: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rt = api.app.state.runtime  # type: ignore[attr-defined]
    alice, bob = make_user(api, "alice"), make_user(api, "bob")
    ids = [
        api.post("/api/upload", headers=alice, files={"video": ("c.mp4", clip.read_bytes())}).json()["job_id"]
        for _ in range(3)
    ]
    routed = {
        i: api.get(f"/api/results/job/{i}?wait=0", headers=alice) for i in ids
    }  # the route; token now known

    def no_service(*_: object) -> None:
        raise AssertionError("the hot path must not use the service")

    monkeypatch.setattr(rt.service, "get", no_service)
    for job_id in ids:
        fast = api.get(f"/api/results/job/{job_id}", headers=alice)
        assert fast.status_code == 200
        assert fast.content == routed[job_id].content
        assert fast.headers["etag"] == routed[job_id].headers["etag"]
        assert fast.headers["retry-after"] == routed[job_id].headers["retry-after"]
        again = api.get(
            f"/api/results/job/{job_id}", headers={**alice, "If-None-Match": fast.headers["etag"]}
        )
        assert again.status_code == 304
    monkeypatch.undo()
    # another user's job is not found through either path
    api.get("/api/jobs", headers=bob)  # bob's token is known too
    assert api.get(f"/api/results/job/{ids[0]}", headers=bob).status_code == 404


def test_changes_show_at_once(api: TestClient, clip: Path) -> None:
    alice = make_user(api)
    job_id = api.post("/api/upload", headers=alice, files={"video": ("c.mp4", clip.read_bytes())}).json()[
        "job_id"
    ]
    assert api.get(f"/api/results/job/{job_id}", headers=alice).json()["status"] == "queued"
    assert api.post(f"/api/jobs/{job_id}/cancel", headers=alice).status_code == 202
    assert api.get(f"/api/results/job/{job_id}", headers=alice).json()["status"] == "cancelled"
