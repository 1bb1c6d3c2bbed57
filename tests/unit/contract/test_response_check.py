"""The response check that conftest installs catches answers the document does not describe."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from fastapi.testclient import TestClient

from reelq.app import create_app
from reelq.config import Settings

from contract import Contract, ContractViolation
from support import make_user

rogue = APIRouter()


@rogue.get("/api/rogue/status", summary="documents 200 only")
def rogue_status() -> Response:
    return JSONResponse({"ok": True}, status_code=418)


@rogue.get("/api/rogue/type", summary="documents JSON")
def rogue_type() -> Response:
    return Response("plain", media_type="text/plain")


@pytest.fixture
def rogue_client(settings: Settings) -> Iterator[TestClient]:
    app = create_app(settings.model_copy(update={"embedded_worker": False}))
    app.include_router(rogue)
    with TestClient(app) as c:
        yield c


def test_an_undocumented_status_fails_the_test(rogue_client: TestClient) -> None:
    with pytest.raises(ContractViolation, match="status not documented"):
        rogue_client.get("/api/rogue/status")


def test_an_undocumented_content_type_fails_the_test(rogue_client: TestClient) -> None:
    with pytest.raises(ContractViolation, match="content type 'text/plain' not documented"):
        rogue_client.get("/api/rogue/type")


def test_a_real_answer_passes(api_only: TestClient) -> None:
    auth = make_user(api_only)
    assert api_only.get("/api/jobs", headers=auth).status_code == 200
    assert api_only.get("/api/jobs?limit=0", headers=auth).status_code == 400
    assert api_only.get("/api/jobs").status_code == 401


@pytest.fixture
def contract(api_only: TestClient) -> Contract:
    return Contract(api_only.get("/openapi.json").json())


JSON = {"content-type": "application/json"}
PROBLEM = {"content-type": "application/problem+json"}
A_PROBLEM = b'{"type":"t","title":"T","status":404,"detail":"d","code":"job_not_found"}'


def test_a_body_that_breaks_its_schema_is_caught(contract: Contract) -> None:
    path = "/api/results/job/0190"
    job = {
        "job_id": "0190",
        "status": "queued",
        "analyzer": "video",
        "progress": 0.5,
        "attempts": 0,
        "created_at": "2026-01-01T00:00:00Z",
        "started_at": None,
        "finished_at": None,
        "file": {"name": "a.mp4", "size": 1, "sha256": "00", "content_type": "video/mp4"},
        "metadata": {},
        "result": None,
        "error": None,
    }
    headers = {**JSON, "etag": '"x"'}
    assert contract.violations("GET", path, 200, headers, json.dumps(job).encode()) == []
    bad = json.dumps({**job, "status": "done", "progress": 1.5}).encode()
    found = contract.violations("GET", path, 200, headers, bad)
    assert len(found) == 2, found
    assert any('"done"' in f for f in found), found  # status is an enum
    assert any("1.5" in f for f in found), found  # progress is 0..1


def test_errors_must_be_problem_json(contract: Contract) -> None:
    path = "/api/results/job/0190"
    assert contract.violations("GET", path, 404, PROBLEM, A_PROBLEM) == []
    assert contract.violations("GET", path, 404, JSON, A_PROBLEM) != []
    assert contract.violations("GET", path, 404, PROBLEM, b'{"detail":"Not Found"}') != []


def test_a_missing_required_header_is_caught(contract: Contract) -> None:
    found = contract.violations("GET", "/api/results/job/0190", 304, {}, b"")
    assert found == ["GET /api/results/job/{job_id} → 304: required header ETag missing"]


def test_unknown_paths_may_only_answer_404(contract: Contract) -> None:
    assert contract.violations("GET", "/nowhere", 404, PROBLEM, A_PROBLEM) == []
    assert contract.violations("GET", "/nowhere", 200, JSON, b"{}") != []


def test_the_check_reads_the_document_not_a_copy(tmp_path: Path) -> None:
    contract = Contract({"paths": {"/x": {"get": {"responses": {"200": {"description": "ok"}}}}}})
    assert contract.violations("GET", "/x", 200, {}, b"") == []
    assert contract.violations("GET", "/x", 201, {}, b"") != []
