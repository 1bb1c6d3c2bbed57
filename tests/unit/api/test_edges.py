"""Edges of every response: CORS settings, security headers, the /metrics token, the request log."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from reelq.app import create_app
from reelq.config import Settings
from reelq.uploads.tus_headers import TUS_EXPOSED_HEADERS

from support import fast_settings, make_user

PREFLIGHT = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization"}


def _client(data: Path, **overrides: object) -> TestClient:
    settings = fast_settings(data, embedded_worker=False, **overrides)
    return TestClient(create_app(settings))


def test_cors_is_off_unless_origins_are_configured(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "a", embedded_worker=False)  # the defaults
    assert settings.cors_origins == []
    with TestClient(create_app(settings)) as c:
        r = c.options("/api/upload", headers={"Origin": "https://evil.example", **PREFLIGHT})
        assert "access-control-allow-origin" not in r.headers
        r = c.get("/healthz", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in r.headers


def test_cors_single_origin_and_exposed_headers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REELQ_CORS_ORIGINS", "https://app.example.com")
    monkeypatch.setenv("REELQ_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("REELQ_EMBEDDED_WORKER", "false")
    settings = Settings()
    assert settings.cors_origins == ["https://app.example.com"]
    with TestClient(create_app(settings)) as c:
        ok = c.options("/api/upload", headers={"Origin": "https://app.example.com", **PREFLIGHT})
        assert ok.headers["access-control-allow-origin"] == "https://app.example.com"
        bad = c.options("/api/upload", headers={"Origin": "https://evil.example", **PREFLIGHT})
        assert "access-control-allow-origin" not in bad.headers
        r = c.get("/api/jobs", headers={"Origin": "https://app.example.com"})
        exposed = {h.strip().lower() for h in r.headers["access-control-expose-headers"].split(",")}
        wanted = {h.lower() for h in TUS_EXPOSED_HEADERS} | {"retry-after", "ratelimit", "ratelimit-policy"}
        assert wanted <= exposed
        assert {"location", "upload-job-id"} <= exposed


def test_cors_comma_list(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("REELQ_CORS_ORIGINS", "https://a.example, http://localhost:19006")
    assert Settings(data_dir=tmp_path).cors_origins == ["https://a.example", "http://localhost:19006"]


def test_security_headers_on_every_response(tmp_path: Path) -> None:
    with _client(tmp_path / "d") as c:
        auth = make_user(c)
        for r in (c.get("/healthz"), c.get("/api/jobs", headers=auth), c.get("/api/jobs"), c.get("/docs")):
            assert r.headers["x-content-type-options"] == "nosniff"
            assert r.headers["referrer-policy"] == "no-referrer"
            assert r.headers["x-frame-options"] == "DENY"
        problem = c.get("/api/jobs")
        assert problem.status_code == 401
        assert problem.headers["content-type"].startswith("application/problem+json")
        assert problem.headers["cache-control"] == "no-store"
        docs = c.get("/docs")
        assert "frame-ancestors" in docs.headers["content-security-policy"]


def test_metrics_token(tmp_path: Path) -> None:
    with _client(tmp_path / "open") as c:
        assert c.get("/metrics").status_code == 200
    with _client(tmp_path / "closed", metrics_token="s3cret-metrics") as c:
        assert c.get("/metrics").status_code == 401
        assert c.get("/metrics", headers={"Authorization": "Bearer nope"}).status_code == 401
        r = c.get("/metrics", headers={"Authorization": "Bearer s3cret-metrics"})
        assert r.status_code == 200
        assert "reelq" in r.text


def test_request_log_levels_and_fields(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with _client(tmp_path / "d") as c:
        auth = make_user(c)
        user_id = c.app.state.runtime.users.by_name("alice").id  # type: ignore[attr-defined]
        logger = logging.getLogger("reelq")
        logger.propagate = True  # logs.configure stops propagation; caplog listens at the root
        try:
            with caplog.at_level(logging.DEBUG, logger="reelq.http"):
                c.get("/api/jobs?limit=5&sig=SECRET", headers=auth)
                c.get("/api/results/job/0193aaaa", headers=auth)
                c.get("/api/jobs", headers={"Authorization": "Bearer rq_not_a_token"})
        finally:
            logger.propagate = False
    records = [r for r in caplog.records if r.getMessage() == "http.request"]
    assert len(records) == 3
    ok, missing, denied = records
    assert (ok.levelno, ok.status, ok.method, ok.path, ok.user) == (  # type: ignore[attr-defined]
        logging.DEBUG,
        200,
        "GET",
        "/api/jobs",
        user_id,
    )
    assert missing.levelno == logging.INFO and missing.status == 404  # type: ignore[attr-defined]
    assert missing.user == user_id  # type: ignore[attr-defined]
    assert denied.levelno == logging.INFO and denied.status == 401  # type: ignore[attr-defined]
    assert not hasattr(denied, "user")
    assert isinstance(ok.ms, float)  # type: ignore[attr-defined]
    text = " ".join(str(r.__dict__) for r in records)
    assert "SECRET" not in text and "rq_not_a_token" not in text
