"""REELQ_ANALYZER_LIMITS: one analyzer's own time limit, while the others keep the defaults."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from reelq.app import create_app

from support import fast_settings, make_user, wait_for

SLOW = "reelq.testing.analyzers:slow"
NOOP = "reelq.testing.analyzers:noop"


def test_an_analyzers_own_time_limit_applies_to_its_jobs_only(
    tmp_path: Path, clip: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REELQ_TEST_ANALYZER_SECONDS", "5")  # the analysis process sees REELQ_TEST_*
    settings = fast_settings(tmp_path / "d", analyzer_limits={SLOW: {"time_limit": 1.0, "concurrency": 1}})
    with TestClient(create_app(settings)) as client:
        auth = make_user(client)

        def upload(analyzer: str) -> str:
            with clip.open("rb") as f:
                r = client.post(
                    "/api/upload",
                    headers=auth,
                    files={"video": ("c.mp4", f)},
                    data={"analyzer": analyzer},
                )
            assert r.status_code == 202, r.text
            return str(r.json()["job_id"])

        slow, quick = upload(SLOW), upload(NOOP)

        def ended(job_id: str) -> dict | None:  # type: ignore[type-arg]
            body = client.get(f"/api/results/job/{job_id}", headers=auth).json()
            return body if body["status"] in ("completed", "failed") else None

        failed = wait_for(lambda: ended(slow), 60, 0.1, "the slow job")
        assert failed["status"] == "failed"
        assert failed["error"]["code"] == "time_limit_exceeded"
        assert "(1 s)" in failed["error"]["message"]
        assert wait_for(lambda: ended(quick), 60, 0.1, "the no-op job")["status"] == "completed"
