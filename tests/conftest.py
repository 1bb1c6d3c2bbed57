"""Fixtures shared by every test directory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from starlette import testclient

from reelq.app import create_app
from reelq.config import Settings
from reelq.runtime import Runtime
from reelq.testing import make_clip

from contract import check_transport
from s3server import moto_server, s3_bucket, s3_url  # noqa: F401  (fixtures)
from support import fast_settings, make_user


@pytest.fixture(autouse=True, scope="session")
def responses_follow_the_document() -> Iterator[None]:
    """Every answer a test gets through TestClient must be one that /openapi.json describes."""
    transport = testclient._TestClientTransport
    original = transport.handle_request
    transport.handle_request = check_transport(original)  # type: ignore[method-assign,assignment]
    yield
    transport.handle_request = original  # type: ignore[method-assign]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return fast_settings(tmp_path / "data")


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    rt = Runtime.build(settings)
    yield rt
    rt.close()


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    """The app with its embedded worker running, as `reelq serve` runs it."""
    app = create_app(settings)
    with TestClient(app) as c:
        yield c


@pytest.fixture
def api_only(settings: Settings) -> Iterator[TestClient]:
    """The app without a worker: jobs stay queued until a test runs them."""
    app = create_app(settings.model_copy(update={"embedded_worker": False}))
    with TestClient(app) as c:
        yield c


@pytest.fixture
def auth(client: TestClient) -> dict[str, str]:
    return make_user(client)


@pytest.fixture(scope="session")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-second 320x240 H.264 clip with audio."""
    return make_clip(tmp_path_factory.mktemp("clips") / "clip.mp4", seconds=2.0)
