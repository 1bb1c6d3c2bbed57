"""/docs and /redoc load every asset from this server: they work without internet access."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

ASSET = re.compile(r"""<(?:script|link|img)\b[^>]*?\b(?:src|href)\s*=\s*["']([^"']+)["']""", re.I)


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_pages_reference_only_local_assets(api_only: TestClient, page: str) -> None:
    r = api_only.get(page)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assets = ASSET.findall(r.text)
    assert assets, r.text
    for url in assets:
        assert not re.match(r"^(https?:)?//", url), f"{page} loads {url} from the network"
        served = api_only.get(url)
        assert served.status_code == 200, url
        assert len(served.content) > 100, url
    assert "http://" not in r.text.replace("http://www.w3.org", "")
    assert "https://" not in r.text
    assert "/openapi.json" in r.text


def test_swagger_ui_does_not_call_the_public_validator(api_only: TestClient) -> None:
    assert '"validatorUrl": null' in api_only.get("/docs").text


def test_the_assets_have_browser_content_types_and_licences(api_only: TestClient) -> None:
    base = "/static/docs"
    js = api_only.get(f"{base}/swagger-ui/swagger-ui-bundle.js")
    assert "javascript" in js.headers["content-type"]
    assert api_only.get(f"{base}/swagger-ui/swagger-ui.css").headers["content-type"].startswith("text/css")
    assert "javascript" in api_only.get(f"{base}/redoc/redoc.standalone.js").headers["content-type"]
    assert "Apache License" in api_only.get(f"{base}/swagger-ui/LICENSE").text
    assert "MIT License" in api_only.get(f"{base}/redoc/LICENSE").text
    assert api_only.get(f"{base}/nothing.js").status_code == 404


def test_docs_are_public_and_the_api_is_not(api_only: TestClient) -> None:
    assert api_only.get("/openapi.json").status_code == 200
    assert api_only.get("/docs").status_code == 200
    assert api_only.get("/api/jobs").status_code == 401
