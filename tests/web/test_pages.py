"""The job list's filter and the empty states, through the real app."""

from __future__ import annotations

from pathlib import Path

from console_helpers import sign_in, upload, wait_status
from fastapi.testclient import TestClient

EXPLODE = "reelq.testing.analyzers:explode"


def test_the_job_list_filters_by_status(client: TestClient, clip: Path) -> None:
    token, _ = sign_in(client, "alice")
    assert "No jobs yet" in client.get("/console/").text
    good = upload(client, token, clip, name="good.mp4")
    bad = upload(client, token, clip, name="bad.mp4", analyzer=EXPLODE)
    wait_status(client, token, good, {"completed"})
    failed = wait_status(client, token, bad, {"failed"})
    everything = client.get("/console/").text
    assert good in everything and bad in everything
    only_failed = client.get("/console/?status=failed").text
    assert bad in only_failed and good not in only_failed
    assert 'data-live="no"' in only_failed  # a filtered list is not live-updated with other jobs
    empty = client.get("/console/?status=cancelled").text
    assert "No cancelled jobs" in empty and 'href="/console/"' in empty
    # the failed job's page says what went wrong in words and offers a retry
    page = client.get(f"/console/jobs/{bad}").text
    assert failed["error"]["message"] in page and ">Retry</button>" in page
