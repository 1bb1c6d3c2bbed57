"""A job page cannot be made expensive: charts are bounded whatever a result declares, and pages are
rendered off the event loop, so one slow page does not hold up other requests."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from reelq.app import create_app
from reelq.ids import new_id
from reelq.jobs.states import JobStatus
from reelq.web import pages
from reelq.web.charts import MAX_TICKS
from reelq.web.session import COOKIE

from support import fast_settings


@pytest.fixture
def app(tmp_path: Path) -> FastAPI:
    return create_app(fast_settings(tmp_path / "data", embedded_worker=False))


@pytest.fixture
async def browser(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        yield c


def finished_job(app: FastAPI, result: dict[str, Any]) -> tuple[str, str]:
    """(session token, job id) of a completed job of a new user whose result is ``result``."""
    rt = app.state.runtime
    user, token = rt.users.create("mallory")
    job_id = new_id()
    rt.store.insert(
        {
            "id": job_id,
            "user_id": user.id,
            "analyzer": "video",
            "max_attempts": 1,
            "file_name": "clip.mkv",
            "file_size": 10,
            "file_sha256": "0" * 64,
            "content_type": "video/x-matroska",
            "source_path": f"users/{user.id}/jobs/{job_id}/source.mkv",
        }
    )
    lease = new_id()
    assert rt.store.claim(job_id, lease, "test", 30) is not None
    rt.store.finish(job_id, lease, JobStatus.COMPLETED, result=result)
    return token, job_id


# A two-frame file whose container declares ten thousand hours: the bins cover one second.
HOSTILE = {
    "metadata": {"duration": 36_000_000.0},
    "integrity": {"decoded_duration": 0.0, "timestamp_jumps": 1, "truncated": True},
    "timelines": {"start": 0.0, "step": 0.5, "motion": [1.0, 2.0], "brightness": [0.2, 0.3]},
    "cuts": [1e12, 0.5],
    "still_segments": [{"start": 0.0, "end": 9e15}],
}


async def test_a_declared_duration_does_not_size_the_charts(app: FastAPI, browser: httpx.AsyncClient) -> None:
    token, job_id = finished_job(app, HOSTILE)
    started = time.perf_counter()
    browser.cookies.set(COOKIE, token)
    r = await browser.get(f"/console/jobs/{job_id}")
    assert r.status_code == 200
    assert time.perf_counter() - started < 2.0
    assert len(r.content) < 100_000, len(r.content)
    charts = re.findall(r"<svg class=\"chart\".*?</svg>(?:<text.*?</text>)*</svg>", r.text, re.S)
    assert len(charts) == 2
    for svg in charts:
        assert svg.count('class="tick"') <= MAX_TICKS + 2  # + the two value labels
        assert "over 1.0 s" in svg  # the bins' own span
        values = re.search(r'data-values="([^"]*)"', svg)
        assert values and values.group(1).count(",") < 400  # the values for hover, bounded too


async def test_healthz_stays_fast_while_a_slow_page_renders(
    app: FastAPI, browser: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    token, job_id = finished_job(app, HOSTILE)
    real_view = pages.view
    building_since: list[float] = []

    def slow_view(job: Any, *rest: Any) -> Any:
        building_since.append(time.perf_counter())
        time.sleep(1.5)  # a page that takes long to build, whatever the reason
        return real_view(job, *rest)

    monkeypatch.setattr(pages, "view", slow_view)
    browser.cookies.set(COOKIE, token)
    page = asyncio.ensure_future(browser.get(f"/console/jobs/{job_id}"))
    while not building_since:
        await asyncio.sleep(0.01)
    health = await browser.get("/healthz")
    waited = time.perf_counter() - building_since[0]
    assert health.status_code == 200
    assert waited < 0.5, f"/healthz answered {waited:.2f} s after a page began to build"
    assert (await page).status_code == 200
