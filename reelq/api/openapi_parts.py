"""Small builders for OpenAPI fragments shared by the document's corrections."""

from __future__ import annotations

from typing import Any

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


def problem_content() -> dict[str, Any]:
    return {"application/problem+json": {"schema": dict(PROBLEM_REF)}}


def problem(description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    answer: dict[str, Any] = {"description": description, "content": problem_content()}
    if headers:
        answer["headers"] = headers
    return answer


def header(description: str, schema: dict[str, Any] | None = None, required: bool = False) -> dict[str, Any]:
    return {"description": description, "required": required, "schema": schema or {"type": "string"}}


def parameter(name: str, description: str, schema: dict[str, Any], required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": "header", "required": required, "description": description, "schema": schema}


RETRY_AFTER = header("Seconds to wait before asking again", {"type": "integer", "minimum": 0})
