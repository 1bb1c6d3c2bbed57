"""A local OIDC issuer (real HTTP on 127.0.0.1, keys made with cryptography) and an app that trusts it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from reelq.app import create_app
from reelq.config import Settings
from reelq.testing.oidc import LocalIssuer

from support import fast_settings


@pytest.fixture
def issuer() -> Iterator[LocalIssuer]:
    iss = LocalIssuer(audience="reelq-tests")
    iss.add_key("rsa")
    iss.add_key("ec")
    iss.start()
    yield iss
    iss.stop()


@pytest.fixture
def jwt_settings(tmp_path: Path, issuer: LocalIssuer) -> Settings:
    return fast_settings(
        tmp_path / "data",
        embedded_worker=False,
        auth_issuer=issuer.issuer,
        auth_audience="reelq-tests",
        auth_jwks_refresh_seconds=0.0,
        auth_leeway_seconds=0.0,
    )


@pytest.fixture
def app_client(jwt_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(jwt_settings)) as c:
        yield c
