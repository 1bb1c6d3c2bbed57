"""Schemathesis over /openapi.json: generated requests never get a 5xx or an answer the document lacks.

The app runs without a worker (REELQ_EMBEDDED_WORKER false), so generated uploads stay queued and
generated webhooks and devices are never contacted. Every request carries a real user's token.
"""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from reelq.app import create_app
from reelq.runtime import Runtime

from support import fast_settings

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
EXAMPLES = 25

# tus bodies are plain bytes
schemathesis.serializer.alias("application/offset+octet-stream", "application/octet-stream")


@pytest.fixture(scope="module")
def fuzzed_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    data = tmp_path_factory.mktemp("fuzz") / "data"
    # max_wait_seconds: a linked `?wait=` on a queued job (there is no worker) returns at once
    # limits off: a 429 that depends on how many requests came before makes the generation inconsistent
    limits = {
        f"limit_{name}": 0
        for name in ("uploads_per_minute", "requests_per_second", "anonymous_requests_per_second")
    }
    app = create_app(fast_settings(Path(data), embedded_worker=False, max_wait_seconds=0, **limits))
    yield app
    rt: Runtime = app.state.runtime
    rt.close()


@pytest.fixture(scope="module")
def token(fuzzed_app: Any) -> dict[str, str]:
    _, secret = fuzzed_app.state.runtime.users.create("fuzzer")
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture(scope="module")
def api_schema(fuzzed_app: Any) -> Any:
    # the admin API answers a user's token 404 throughout (tests/unit/auth/test_admin.py covers it)
    return schemathesis.openapi.from_asgi("/openapi.json", fuzzed_app).exclude(path_regex=r"^/api/admin/")


@pytest.fixture(autouse=True)
def _node_id_for_schemathesis(request: pytest.FixtureRequest) -> None:
    """schemathesis 4.32's lazy schemas rename the test through ``node._nodeid``, gone in pytest 9."""
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_generated_requests_get_documented_answers(case: Any, token: dict[str, str]) -> None:
    checks = CHECKS
    if case.operation.path == "/readyz":  # 503 without a worker is its documented answer, not a fault
        checks = [c for c in CHECKS if c is not not_a_server_error]
    case.call_and_validate(headers=token, checks=checks)


def test_linked_sequences_get_documented_answers(api_schema: Any, token: dict[str, str], clip: Path) -> None:
    """Stateful: upload, create a webhook or a device, then follow the document's links to them.

    Generated webhook URLs, push tokens and videos are almost never valid, so the creating requests get
    a real clip, a fresh https URL and a well-formed token; everything else stays generated.
    """
    machine = api_schema.as_state_machine()
    seen: Counter[tuple[str, str, int]] = Counter()
    video = clip.read_bytes()

    class Steered(machine):  # type: ignore[misc,valid-type]
        def before_call(self, case: Any) -> None:
            if case.method.upper() != "POST" or not isinstance(case.body, dict):
                return
            fresh = secrets.token_hex(6)
            if case.path == "/api/webhooks":
                case.body["url"] = f"https://hook-{fresh}.example.com/reelq"
            elif case.path == "/api/devices":
                case.body["push_token"] = f"ExponentPushToken[{fresh}]"
            elif case.path == "/api/upload":
                case.body["video"] = video

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": token}

        def validate_response(self, response: Any, case: Any, *args: Any, **kwargs: Any) -> None:
            seen[(case.method.upper(), case.path, response.status_code)] += 1
            case.validate_response(response, checks=CHECKS, headers=token)

    Steered.run(
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=6,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
        )
    )
    # the links were followed: something was created and then reached through its id
    created = {path for (method, path, status) in seen if method == "POST" and status in (201, 202)}
    reached = {path for (method, path, status) in seen if "{" in path and status in (200, 202, 204)}
    assert created and reached, sorted(seen.items())
