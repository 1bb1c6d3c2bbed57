"""/readyz and /metrics on both deployments, and the API's answer while the database is away."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from backends import terminate_connections
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from unit.jobs.test_store import new_job

from reelq.app import create_app
from reelq.config import Settings
from reelq.jobs.models import JobError
from reelq.jobs.states import JobStatus
from reelq.jobs.store import JobStore
from reelq.runtime import Runtime

pytestmark = pytest.mark.integration


@pytest.fixture
def api(backend_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(backend_settings.model_copy(update={"embedded_worker": False}))) as c:
        yield c


def rt_of(client: TestClient) -> Runtime:
    return client.app.state.runtime  # type: ignore[attr-defined, no-any-return]


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def test_metrics_report_the_whole_deployment(api: TestClient) -> None:
    rt = rt_of(api)
    user = rt.users.create("alice")[0].id
    done = [new_job(rt.store, user, file_size=1000) for _ in range(3)]
    failed = new_job(rt.store, user, file_size=500)
    new_job(rt.store, user, file_size=250)  # stays queued
    # a stopped clock: every duration is exactly 0, whatever the machine's load
    stopped_at = time.time()
    still = JobStore(rt.engine, clock=lambda: stopped_at)
    for job_id in done:
        assert still.claim(job_id, f"L{job_id[-6:]}", "w", 60)
        still.finish(job_id, f"L{job_id[-6:]}", JobStatus.COMPLETED, result={})
    assert still.claim(failed, "F", "w", 60)
    still.finish(failed, "F", JobStatus.FAILED, error=JobError("bad", "bad", False))
    rt.dispatcher.send("some-job", analyzer="video")  # one message waiting, no consumer here

    r = api.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    m = samples(r.text)
    assert m[("reelq_jobs", (("status", "completed"),))] == 3
    assert m[("reelq_jobs", (("status", "failed"),))] == 1
    assert m[("reelq_jobs", (("status", "queued"),))] == 1
    assert m[("reelq_jobs", (("status", "processing"),))] == 0
    assert m[("reelq_jobs_due", ())] == 1
    assert m[("reelq_queue_depth", ())] == 1
    assert m[("reelq_analyzer_queue_depth", (("analyzer", "video"),))] == 1
    assert m[("reelq_analyzer_workers", (("analyzer", "video"),))] == 0
    assert m[("reelq_upload_bytes_total", ())] == 3750
    assert m[("reelq_job_duration_seconds_count", (("status", "completed"),))] == 3
    assert m[("reelq_job_duration_seconds_bucket", (("le", "0.1"), ("status", "completed")))] == 3
    assert m[("reelq_job_duration_seconds_count", (("status", "failed"),))] == 1
    assert m[("reelq_source_up", (("source", "database"),))] == 1
    assert m[("reelq_source_up", (("source", "queue"),))] == 1


def test_each_app_has_its_own_registry(backend_settings: Settings) -> None:
    """Two apps in one process (tests, or an embedded deployment) must not clash or mix numbers."""
    s = backend_settings.model_copy(update={"embedded_worker": False})
    with TestClient(create_app(s)) as a, TestClient(create_app(s)) as b:
        assert a.get("/metrics").status_code == 200 and b.get("/metrics").status_code == 200
        ma, mb = a.app.state.metrics, b.app.state.metrics  # type: ignore[attr-defined]
        assert ma.registry is not mb.registry
        for client in (a, b):  # each renders its own copy, once (a shared default registry would clash)
            assert client.get("/metrics").text.count("# TYPE reelq_jobs gauge") == 1


def test_readyz_names_what_fails(backend_settings: Settings) -> None:
    with TestClient(create_app(backend_settings)) as c:  # with its worker
        r = c.get("/readyz")
        assert r.status_code == 200, r.text
        assert r.json()["checks"] == {"database": "ok", "queue": "ok", "storage": "ok", "workers": "ok"}
    no_worker = backend_settings.model_copy(update={"embedded_worker": False})
    with TestClient(create_app(no_worker)) as c:
        rt_of(c).store.forget_worker(rt_of(c).worker_id)
        r = c.get("/readyz")
        assert r.status_code == 503
        assert r.json()["checks"]["workers"].startswith("failing")
        assert r.json()["checks"]["database"] == "ok"


def test_readyz_and_metrics_survive_a_dead_queue(backend_settings: Settings) -> None:
    s = backend_settings.model_copy(update={"embedded_worker": False, "queue_url": "redis://127.0.0.1:1/0"})
    with TestClient(create_app(s)) as c:
        r = c.get("/readyz")
        assert r.status_code == 503 and r.json()["checks"]["queue"].startswith("failing")
        m = samples(c.get("/metrics").text)
        assert m[("reelq_source_up", (("source", "queue"),))] == 0
        assert m[("reelq_source_up", (("source", "database"),))] == 1


def test_database_outage_answers_503_and_recovers(api: TestClient, backend_settings: Settings) -> None:
    url = backend_settings.resolved_database_url
    if not url.startswith("postgresql"):
        pytest.skip("a SQLite file does not go away; the PostgreSQL run covers this")
    import psycopg
    from backends import PG_ADMIN_URL

    rt = rt_of(api)
    _, token = rt.users.create("alice")
    auth = {"Authorization": f"Bearer {token}"}
    assert api.get("/api/jobs", headers=auth).status_code == 200
    database = url.rsplit("/", 1)[1]
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS false')
        try:
            assert terminate_connections(database) >= 1
            r = api.get("/api/jobs", headers=auth)
            assert r.status_code == 503, r.text
            assert r.headers["content-type"] == "application/problem+json"
            assert r.json()["code"] == "database_unavailable"
            ready = api.get("/readyz")
            assert ready.status_code == 503 and ready.json()["checks"]["database"].startswith("failing")
            assert samples(api.get("/metrics").text)[("reelq_source_up", (("source", "database"),))] == 0
        finally:
            admin.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true')
    deadline = time.monotonic() + 10
    while api.get("/api/jobs", headers=auth).status_code != 200:
        assert time.monotonic() < deadline, "the API did not recover by itself"
        time.sleep(0.2)
    assert api.get("/readyz").json()["checks"]["database"] == "ok"
