"""Schemathesis over /openapi.json: generated requests never get a 5xx or an answer the document lacks.

The app runs without a worker (REELQ_EMBEDDED_WORKER false), so generated uploads stay queued and
generated webhooks and devices are never contacted. Every request carries a real user's token.
"""

from __future__ import annotations

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
    app = create_app(fast_settings(Path(data), embedded_worker=False))
    yield app
    rt: Runtime = app.state.runtime
    rt.close()


@pytest.fixture(scope="module")
def token(fuzzed_app: Any) -> dict[str, str]:
    _, secret = fuzzed_app.state.runtime.users.create("fuzzer")
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture(scope="module")
def api_schema(fuzzed_app: Any) -> Any:
    return schemathesis.openapi.from_asgi("/openapi.json", fuzzed_app)


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
