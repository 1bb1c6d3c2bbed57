"""Checks a response against the app's own OpenAPI document: status, content type, JSON body, headers.

``tests/conftest.py`` installs ``check_transport`` around Starlette's TestClient transport, so every
response any test receives from a reelq app is checked; an answer the document does not describe raises
``ContractViolation`` in the test that received it.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
import jsonschema_rs

from reelq.api.openapi import UNDOCUMENTED_PATHS, UNDOCUMENTED_PREFIXES

# The draft FastAPI's OpenAPI 3.1 documents use.
_DIALECT = "https://json-schema.org/draft/2020-12/schema"


class ContractViolation(AssertionError):
    """A response that /openapi.json does not describe."""


@dataclass
class Route:
    template: str
    pattern: re.Pattern[str]
    operations: dict[str, dict[str, Any]]


@dataclass
class Contract:
    doc: dict[str, Any]
    routes: list[Route] = field(default_factory=list)
    _validators: dict[tuple[str, str, str, str], Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for template, item in self.doc.get("paths", {}).items():
            regex = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template))
            self.routes.append(Route(template, re.compile(f"^{regex}$"), item))
        # literal paths before templated ones (/api/uploads/ before /api/uploads/{upload_id})
        self.routes.sort(key=lambda r: r.template.count("{"))

    def violations(
        self, method: str, path: str, status: int, headers: Mapping[str, str], body: bytes
    ) -> list[str]:
        method = method.lower()
        if path in UNDOCUMENTED_PATHS or path.startswith(UNDOCUMENTED_PREFIXES):
            return []
        if method == "options" and "access-control-allow-methods" in headers:
            return []  # a CORS preflight (allowed or not), answered by the CORS middleware
        route = next((r for r in self.routes if r.pattern.match(path)), None)
        if route is None:
            return [] if status == 404 else [f"{path} is not in the document (answered {status})"]
        operation = route.operations.get(method)
        if operation is None and method == "head":
            operation = route.operations.get("get")
        if operation is None:
            return [] if status == 405 else [f"{method.upper()} {route.template} is not in the document"]
        where = f"{method.upper()} {route.template} → {status}"
        responses: dict[str, Any] = operation.get("responses", {})
        answer = (
            responses.get(str(status)) or responses.get(f"{str(status)[0]}XX") or responses.get("default")
        )
        if answer is None:
            return [f"{where}: status not documented (documented: {', '.join(responses)})"]
        problems = self._headers(where, answer, headers)
        if method == "head" or status in (204, 304) or not body:
            return problems
        content: dict[str, Any] = answer.get("content") or {}
        ctype = headers.get("content-type", "").split(";")[0].strip().lower()
        media = _match(ctype, content)
        if media is None:
            return [*problems, f"{where}: content type {ctype!r} not documented ({', '.join(content)})"]
        if not (ctype == "application/json" or ctype.endswith("+json")):
            return problems
        schema = content[media].get("schema")
        if schema is None:
            return problems
        try:
            instance = httpx.Response(200, content=body).json()
        except ValueError:
            return [*problems, f"{where}: body is not JSON"]
        validator = self._validator((method, route.template, str(status), media), schema)
        errors = [
            f"{'/'.join(map(str, e.instance_path))}: {e.message}" for e in validator.iter_errors(instance)
        ]
        return [*problems, *(f"{where}: body {e[:300]}" for e in errors[:5])]

    def _headers(self, where: str, answer: dict[str, Any], headers: Mapping[str, str]) -> list[str]:
        missing = [
            name
            for name, spec in (answer.get("headers") or {}).items()
            if spec.get("required") and name.lower() not in headers
        ]
        return [f"{where}: required header {name} missing" for name in missing]

    def _validator(self, key: tuple[str, str, str, str], schema: dict[str, Any]) -> Any:
        found = self._validators.get(key)
        if found is None:
            wrapped = {"$schema": _DIALECT, **schema, "components": self.doc.get("components", {})}
            found = self._validators[key] = jsonschema_rs.validator_for(wrapped)
        return found


def _match(ctype: str, content: dict[str, Any]) -> str | None:
    for media in content:
        if media in (ctype, "*/*") or (media.endswith("/*") and ctype.startswith(media[:-1])):
            return media
    return None


_contracts: weakref.WeakKeyDictionary[Any, Contract] = weakref.WeakKeyDictionary()


def contract_of(app: Any) -> Contract | None:
    """The app's contract, if it is an app that publishes an OpenAPI document."""
    found = _contracts.get(app)
    if found is None:
        openapi = getattr(app, "openapi", None)
        if not callable(openapi):
            return None
        found = _contracts[app] = Contract(openapi())
    return found


def check_transport(
    handle: Callable[[Any, httpx.Request], httpx.Response],
) -> Callable[[Any, httpx.Request], httpx.Response]:
    """Wrap ``_TestClientTransport.handle_request`` so each answer is checked against the document."""

    def checked(transport: Any, request: httpx.Request) -> httpx.Response:
        response = handle(transport, request)
        contract = contract_of(transport.app)
        if contract is not None:
            body = response.read()
            found = contract.violations(
                request.method, request.url.path, response.status_code, response.headers, body
            )
            if found:
                raise ContractViolation(
                    "response breaks /openapi.json:\n  " + "\n  ".join(found) + f"\n  body: {body[:500]!r}"
                )
        return response

    return checked
