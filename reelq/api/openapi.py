"""The OpenAPI document, corrected in one place so that it says what the server really answers.

FastAPI's generated document is close but not true: it declares errors as ``application/json`` (they are
``application/problem+json``), documents a 422 that is never sent (validation answers 400), and knows
nothing of headers that routes read by hand (tus) or of answers produced outside FastAPI's response
models. Rather than repeat those facts in every route module, ``normalize`` rewrites the generated
document once; the tests check every response of the suite against the result, so a route that answers
something this document does not describe fails a test.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

from reelq.analysis.registry import requestable
from reelq.api import docs, openapi_tus
from reelq.api.openapi_parts import RETRY_AFTER, header, problem, problem_content
from reelq.api.schemas import JobAction, Problem, Readiness
from reelq.auth.tokens import NAME_PATTERN
from reelq.config import Settings
from reelq.ids import ID_PATTERN
from reelq.jobs.states import JobStatus
from reelq.notify.push.devices import PLATFORMS, PUSH_TOKEN_PATTERN

SCHEME = "bearerAuth"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

# Paths served outside the document on purpose (the document itself, its viewers, Prometheus).
UNDOCUMENTED_PATHS = ("/openapi.json", "/docs", "/redoc", "/metrics", "/")
UNDOCUMENTED_PREFIXES = ("/static/docs/", "/console")  # the browser console's pages are not the API


WWW_AUTHENTICATE = header("Bearer", required=True)


def install(app: FastAPI) -> None:
    """Serve the corrected document (built once per app) with the bearer scheme declared."""
    settings: Settings = app.state.runtime.settings

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title, version=app.version, description=app.description, routes=app.routes
            )
            app.openapi_schema = normalize(schema, settings)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    docs.install(app)


def normalize(doc: dict[str, Any], settings: Settings) -> dict[str, Any]:
    components = doc.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    _add_models(schemas, (Problem, JobAction, Readiness))
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    components.setdefault("securitySchemes", {})[SCHEME] = {
        "type": "http",
        "scheme": "bearer",
        "description": "A token from `reelq users create NAME` or `reelq users token NAME`.",
    }
    for path, method, operation in operations(doc):
        _errors(path, method, operation)
    _jobs(doc)
    _service(doc)
    _upload(doc, settings)
    _op(doc, "/api/devices", "post")["responses"]["409"] = problem(
        "The push token is registered to another account (push_token_in_use)"
    )
    openapi_tus.document(doc)
    _links(doc)
    _input_rules(doc)
    return doc


def operations(doc: dict[str, Any]) -> Iterable[tuple[str, str, dict[str, Any]]]:
    for path, item in doc.get("paths", {}).items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def _add_models(schemas: dict[str, Any], models: Iterable[type[BaseModel]]) -> None:
    for model in models:
        found = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, sub in found.pop("$defs", {}).items():
            schemas.setdefault(name, sub)
        schemas.setdefault(model.__name__, found)


def _errors(path: str, method: str, operation: dict[str, Any]) -> None:
    """Every error is problem+json; 400 (never 422) where input is validated; 401/503 on /api."""
    responses: dict[str, Any] = operation.setdefault("responses", {})
    responses.pop("422", None)
    api = path.startswith("/api/") and method != "options"
    if api:
        operation["security"] = [{SCHEME: []}]
        responses.setdefault("401", {"description": "Missing or invalid token"})
        responses["401"]["headers"] = {"WWW-Authenticate": WWW_AUTHENTICATE}
        responses.setdefault("503", {"description": "The database is not answering; retry after Retry-After"})
        responses["503"]["headers"] = {"Retry-After": RETRY_AFTER}
        # request-rate limits apply to every route (docs/auth.md)
        responses.setdefault(
            "429", {"description": "Too many requests (rate_limited …); retry after Retry-After"}
        )
        responses["429"].setdefault("headers", {})["Retry-After"] = RETRY_AFTER
    if path.startswith("/api/admin/"):
        # a non-admin token, or an unknown id
        responses.setdefault("404", {"description": "Not an admin token, or no such user, token or job"})
    if api and method in ("post", "patch", "put"):
        # the body guard (reelq/http/guard.py): a size limit and an idle deadline on every body
        responses.setdefault(
            "413", {"description": "The body is over this route's limit (body_too_large, upload_too_large)"}
        )
        responses.setdefault(
            "408", {"description": "No byte of the body arrived for REELQ_UPLOAD_IDLE_SECONDS (body_timeout)"}
        )
    if api and (operation.get("parameters") or operation.get("requestBody")):
        responses.setdefault("400", {"description": "The request is not valid (parameters or body)"})
    for code, answer in responses.items():
        if code[0] in "45":
            answer["content"] = problem_content()
            answer.setdefault("description", "Problem")


def _op(doc: dict[str, Any], path: str, method: str) -> dict[str, Any]:
    operation: dict[str, Any] = doc["paths"][path][method]
    return operation


def _jobs(doc: dict[str, Any]) -> None:
    action = {"application/json": {"schema": {"$ref": "#/components/schemas/JobAction"}}}
    for verb, conflict in (
        ("cancel", "The job has already ended (job_finished)"),
        ("retry", "Only a failed or cancelled job can run again"),
    ):
        op = _op(doc, f"/api/jobs/{{job_id}}/{verb}", "post")
        op["responses"]["202"] = {"description": "Accepted; the job's status now", "content": action}
        op["responses"]["409"] = problem(conflict)

    status = _op(doc, "/api/results/job/{job_id}", "get")
    answers = status["responses"]
    answers["200"]["headers"] = {
        "ETag": header("Tag of this state; send it back in If-None-Match", required=True),
        "Retry-After": header("Present while the job is not finished", {"type": "integer"}),
    }
    answers["304"] = {
        "description": "Not modified: If-None-Match names the current state",
        "headers": {"ETag": header("Tag of the current state", required=True)},
    }
    status.setdefault("parameters", []).append(
        {
            "name": "If-None-Match",
            "in": "header",
            "required": False,
            "description": "The ETag of the last answer: 304 while nothing changed",
            "schema": {"type": "string"},
        }
    )

    artifact = _op(doc, "/api/jobs/{job_id}/artifacts/{name}", "get")
    artifact["security"] = [{SCHEME: []}, {}]
    artifact["responses"]["200"] = {
        "description": "The file (JPEG for thumbnails and the poster)",
        "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
    }
    artifact["responses"]["403"] = problem("The signed URL has expired or was altered (bad_signature)")
    artifact["responses"]["307"] = {
        "description": "Object storage with artifacts=redirect: a presigned GET of the file in the bucket",
        "headers": {"Location": {"schema": {"type": "string"}}},
    }

    events = _op(doc, "/api/jobs/{job_id}/events", "get")
    events["responses"]["200"] = {
        "description": "`event: status` per change, then one `event: end`; `: keep-alive` comments",
        "content": {
            "text/event-stream": {
                "schema": {
                    "type": "object",
                    "description": "One server-sent event; `data` is the job as JSON (without result and "
                    'metadata), or `{"status": "deleted"}` in an `end` event',
                    "properties": {
                        "event": {"type": "string", "enum": ["status", "end"]},
                        "data": {"type": "string"},
                        "id": {"type": "string"},
                        "retry": {"type": "integer"},
                    },
                }
            }
        },
    }


def _service(doc: dict[str, Any]) -> None:
    ready = _op(doc, "/readyz", "get")
    readiness = {"application/json": {"schema": {"$ref": "#/components/schemas/Readiness"}}}
    ready["responses"] = {
        "200": {"description": "Database, queue and a worker answer", "content": readiness},
        "503": {"description": "A check fails; `checks` names it", "content": copy.deepcopy(readiness)},
    }


def _upload(doc: dict[str, Any], settings: Settings) -> None:
    op = _op(doc, "/api/upload", "post")
    form = op["requestBody"]["content"]["multipart/form-data"]["schema"]["properties"]
    names = sorted(requestable(settings.analyzer, settings.analyzers))
    form["analyzer"] = {
        "type": "string",
        "enum": names,
        "default": settings.analyzer,
        "description": "Analyzer to run; the server's default when absent",
    }
    form["metadata"] = {
        "type": "string",
        "default": "{}",
        "description": "JSON object kept with the job and echoed back",
    }
    form["push_token"] = {
        "type": "string",
        "default": "",
        "description": "Expo push token of this device (ExponentPushToken[…]); empty: none",
    }
    created = {
        "Location": header("The job's status URL", required=True),
        "Retry-After": header("Seconds before the first poll", {"type": "integer"}, required=True),
    }
    answers = op["responses"]
    answers["202"]["headers"] = created
    answers["200"]["headers"] = copy.deepcopy(created)
    answers["408"] = problem("The body stopped arriving (REELQ_UPLOAD_IDLE_SECONDS)")
    answers["429"] = problem(
        "Too many uploads at once for this user (too_many_uploads)", {"Retry-After": RETRY_AFTER}
    )


def _link(operation_id: str, parameter: str, expression: str) -> dict[str, Any]:
    return {"operationId": operation_id, "parameters": {parameter: expression}}


def _links(doc: dict[str, Any]) -> None:
    """OpenAPI links: which answer's id feeds which operation (client generators and stateful tests)."""
    ids = {(path, method): op.get("operationId") for path, method, op in operations(doc)}

    def add(source: tuple[str, str, str], targets: list[tuple[str, str]], parameter: str, field: str) -> None:
        path, method, status = source
        answer = doc["paths"][path][method]["responses"].get(status)
        if answer is None:
            return
        links = answer.setdefault("links", {})
        for target in targets:
            operation_id = ids.get(target)
            if operation_id:
                links[operation_id] = _link(operation_id, parameter, f"$response.body#/{field}")

    job = "/api/jobs/{job_id}"
    job_targets = [
        ("/api/results/job/{job_id}", "get"),
        (f"{job}/cancel", "post"),
        (f"{job}/retry", "post"),
        (f"{job}/notifications", "get"),
        (job, "delete"),
    ]
    for status in ("202", "200"):
        add(("/api/upload", "post", status), job_targets, "job_id", "job_id")
    for verb in ("cancel", "retry"):
        add((f"{job}/{verb}", "post", "202"), job_targets, "job_id", "job_id")
    hook = "/api/webhooks/{webhook_id}"
    add(("/api/webhooks", "post", "201"), [(hook, "get"), (hook, "delete")], "webhook_id", "id")
    for status in ("201", "200"):
        add(("/api/devices", "post", status), [("/api/devices/{device_id}", "delete")], "device_id", "id")


def _input_rules(doc: dict[str, Any]) -> None:
    """What the services check, said in the document with the same constants, so that a value the
    document allows is one the API takes (no 400 for schema-valid input)."""
    schemas = doc["components"]["schemas"]
    for name in ("WebhookIn", "ServerWebhookIn"):
        schemas[name]["properties"]["url"]["minLength"] = 1
    device = schemas["DeviceIn"]["properties"]
    device["push_token"]["pattern"] = PUSH_TOKEN_PATTERN
    _nullable_string(device["platform"])["enum"] = list(PLATFORMS)
    schemas["UserCreate"]["properties"]["name"]["pattern"] = NAME_PATTERN
    for path in ("/api/jobs", "/api/admin/users"):
        for param in _op(doc, path, "get").get("parameters", []):
            if param["name"] == "cursor":
                _nullable_string(param["schema"])["pattern"] = ID_PATTERN
            elif param["name"] == "status":
                schema = param["schema"]
                array = next((b for b in schema.get("anyOf", []) if b.get("type") == "array"), schema)
                array["items"]["enum"] = [s.value for s in JobStatus]
    created = _op(doc, "/api/admin/users", "post")["responses"]
    created["409"] = problem("A user of that name exists (user_exists)")


def _nullable_string(schema: dict[str, Any]) -> dict[str, Any]:
    """The string branch of a pydantic ``str | None`` schema (or the schema itself)."""
    for branch in schema.get("anyOf", []):
        if branch.get("type") == "string":
            return branch  # type: ignore[no-any-return]
    return schema
