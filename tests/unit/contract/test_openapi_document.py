"""/openapi.json says what the server answers, in terms a client generator can type."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from support import make_user

STATUSES = ["queued", "processing", "completed", "failed", "cancelled"]


@pytest.fixture
def doc(api_only: TestClient) -> dict[str, Any]:
    r = api_only.get("/openapi.json")
    assert r.status_code == 200
    return dict(r.json())


def resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = doc["components"]["schemas"][name]
    return schema


def prop(doc: dict[str, Any], model: str, name: str) -> dict[str, Any]:
    schema = doc["components"]["schemas"][model]["properties"][name]
    if "anyOf" in schema:  # nullable: the non-null branch
        schema = next(s for s in schema["anyOf"] if s.get("type") != "null")
    return resolve(doc, schema)


def answer_schema(doc: dict[str, Any], path: str, method: str, status: str) -> dict[str, Any]:
    content = doc["paths"][path][method]["responses"][status]["content"]
    return resolve(doc, content["application/json"]["schema"])


def operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(p, m, op) for p, item in doc["paths"].items() for m, op in item.items()]


def test_status_is_an_enum_everywhere_a_job_status_is_answered(doc: dict[str, Any]) -> None:
    assert prop(doc, "JobOut", "status")["enum"] == STATUSES
    assert prop(doc, "UploadAccepted", "status")["enum"] == STATUSES
    for verb in ("cancel", "retry"):
        schema = answer_schema(doc, f"/api/jobs/{{job_id}}/{verb}", "post", "202")
        assert schema["required"] == ["job_id", "status"]
        assert resolve(doc, schema["properties"]["status"])["enum"] == STATUSES


def test_progress_and_error_are_typed(doc: dict[str, Any]) -> None:
    progress = prop(doc, "JobOut", "progress")
    assert (progress["type"], progress["minimum"], progress["maximum"]) == ("number", 0, 1)
    error = prop(doc, "JobOut", "error")
    assert error["required"] == ["code", "message", "retryable"]
    assert error["properties"]["retryable"]["type"] == "boolean"


def test_every_error_is_problem_json_and_422_is_gone(doc: dict[str, Any]) -> None:
    errors = 0
    for path, method, op in operations(doc):
        assert "422" not in op["responses"], (method, path)
        for code, answer in op["responses"].items():
            if code.startswith(("4", "5")) and path != "/readyz":
                errors += 1
                assert list(answer["content"]) == ["application/problem+json"], (method, path, code)
                schema = answer["content"]["application/problem+json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Problem"}
    assert errors > 50
    assert "HTTPValidationError" not in doc["components"]["schemas"]


def test_400_is_documented_where_validation_can_fail(doc: dict[str, Any]) -> None:
    for path, method, op in operations(doc):
        if path.startswith("/api/") and (op.get("parameters") or op.get("requestBody")):
            assert "400" in op["responses"], (method, path)
    assert "400" in doc["paths"]["/api/jobs"]["get"]["responses"]
    assert "400" in doc["paths"]["/api/results/job/{job_id}"]["get"]["responses"]


def test_readyz_documents_its_503(doc: dict[str, Any]) -> None:
    answers = doc["paths"]["/readyz"]["get"]["responses"]
    assert set(answers) == {"200", "503"}
    schema = resolve(doc, answers["503"]["content"]["application/json"]["schema"])
    assert schema["properties"]["status"]["enum"] == ["ok", "unavailable"]


def test_tus_operations_document_their_headers(doc: dict[str, Any]) -> None:
    def params(path: str, method: str) -> dict[str, bool]:
        op = doc["paths"][path][method]
        return {p["name"]: p["required"] for p in op["parameters"] if p["in"] == "header"}

    def answer_headers(path: str, method: str, status: str) -> set[str]:
        return set(doc["paths"][path][method]["responses"][status].get("headers", {}))

    create = params("/api/uploads/", "post")
    assert create == {
        "Tus-Resumable": True,
        "Upload-Length": True,
        "Upload-Metadata": False,
        "Upload-Checksum": False,
    }
    created = doc["paths"]["/api/uploads/"]["post"]
    assert "application/offset+octet-stream" in created["requestBody"]["content"]
    assert {
        "Location",
        "Upload-Expires",
        "Upload-Offset",
        "Upload-Job-Id",
        "Tus-Resumable",
    } <= answer_headers("/api/uploads/", "post", "201")
    patch = doc["paths"]["/api/uploads/{upload_id}"]["patch"]
    assert params("/api/uploads/{upload_id}", "patch") == {
        "Tus-Resumable": True,
        "Upload-Offset": True,
        "Upload-Checksum": False,
    }
    assert list(patch["requestBody"]["content"]) == ["application/offset+octet-stream"]
    assert {"Upload-Offset", "Upload-Job-Id", "Upload-Expires"} <= answer_headers(
        "/api/uploads/{upload_id}", "patch", "204"
    )
    assert {"Upload-Offset", "Upload-Length", "Upload-Job-Id"} <= answer_headers(
        "/api/uploads/{upload_id}", "head", "200"
    )
    assert {"Tus-Version", "Tus-Extension", "Tus-Max-Size", "Tus-Checksum-Algorithm"} <= answer_headers(
        "/api/uploads/", "options", "204"
    )
    assert "460" in patch["responses"]


def test_upload_form_works_as_swagger_fills_it(doc: dict[str, Any], api_only: TestClient, clip: Path) -> None:
    """Swagger UI's Try it out sends each field's default: every default must be accepted."""
    body = doc["paths"]["/api/upload"]["post"]["requestBody"]["content"]["multipart/form-data"]
    fields = body["schema"]["properties"]
    settings = api_only.app.state.runtime.settings  # type: ignore[attr-defined]
    assert fields["analyzer"]["default"] == settings.analyzer
    assert settings.analyzer in fields["analyzer"]["enum"]
    assert "video" in fields["analyzer"]["enum"]
    assert not any(":" in n and n.startswith(("os", "builtins")) for n in fields["analyzer"]["enum"])
    assert fields["metadata"]["default"] == "{}"
    assert fields["push_token"].get("default", "") == ""
    form = {name: str(spec["default"]) for name, spec in fields.items() if "default" in spec}
    auth = make_user(api_only)
    with clip.open("rb") as f:
        r = api_only.post("/api/upload", headers=auth, data=form, files={"video": ("c.mp4", f, "video/mp4")})
    assert r.status_code == 202, r.text


def test_the_status_answer_documents_etag_and_304(doc: dict[str, Any]) -> None:
    answers = doc["paths"]["/api/results/job/{job_id}"]["get"]["responses"]
    assert answers["200"]["headers"]["ETag"]["required"] is True
    assert "304" in answers
