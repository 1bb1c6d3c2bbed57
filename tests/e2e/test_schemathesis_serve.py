"""Schemathesis (its CLI, every check) over the whole OpenAPI document of a real `reelq serve`, once with
a user's token and once with an admin's: no 5xx and no answer the document does not describe.

The server runs with its embedded worker (so /readyz is 200) and without request limits, so a 429 never
depends on how many requests came before. The number of examples is bounded so both runs take about a
minute. The allowances the API makes on purpose are in schemathesis.toml, each with its reason.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from support import Server, base_env, cli

pytestmark = pytest.mark.e2e

CONFIG = Path(__file__).with_name("schemathesis.toml")
ST = Path(sys.executable).with_name("st")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, dict[str, str]]]:
    root = tmp_path_factory.mktemp("st")
    limits = ("UPLOADS_PER_MINUTE", "REQUESTS_PER_SECOND", "ANONYMOUS_REQUESTS_PER_SECOND", "JOBS_PER_DAY")
    env = base_env(
        root / "data",
        REELQ_EMBEDDED_WORKER="true",
        REELQ_MAX_WAIT_SECONDS="0",  # a linked ?wait= on a queued job answers at once
        **{f"REELQ_LIMIT_{name}": "0" for name in limits},
    )
    tokens = {
        "user": cli(env, "users", "create", "fuzzer").stdout.strip(),
        "admin": cli(env, "users", "create", "root", "--admin").stdout.strip(),
    }
    server = Server(env, "serve", log=root / "serve.log").start()
    yield server, tokens
    server.stop()


@pytest.mark.parametrize("who", ["user", "admin"])
def test_the_whole_document_holds_for_generated_requests(
    served: tuple[Server, dict[str, str]], who: str, tmp_path: Path
) -> None:
    server, tokens = served
    args = [
        str(ST),
        "--config-file",
        str(CONFIG),
        "--no-color",
        "run",
        f"{server.url}/openapi.json",
        "--checks",
        "all",
        "--exclude-checks",
        "positive_data_acceptance",  # see schemathesis.toml
        "--header",
        f"Authorization: Bearer {tokens[who]}",
        "--max-examples",
        "12",
        "--seed",
        "7",
        "--request-timeout",
        "20",
        "--phases",
        "examples,coverage,fuzzing,stateful",
    ]
    if who == "user":  # the admin API answers a user's token 404 throughout (tests/unit/auth/test_admin.py)
        args += ["--exclude-path-regex", "^/api/admin/"]
    else:
        args += ["--include-path-regex", "^/api/admin/"]
    hooks = {"SCHEMATHESIS_HOOKS": "schemathesis_hooks", "PYTHONPATH": str(CONFIG.parent)}
    run = subprocess.run(
        args, capture_output=True, text=True, timeout=600, cwd=tmp_path, env={**os.environ, **hooks}
    )
    assert run.returncode == 0, run.stdout[-20000:] + run.stderr[-2000:]
