"""Console fixtures: a signed-in TestClient and helpers to read the CSRF token from a page."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient

CSRF_RE = re.compile(r'<meta name="csrf-token" content="([0-9a-f]+)">')


def sign_in(client: TestClient, name: str) -> tuple[str, str]:
    """Create user ``name``, sign the client in; returns (token, csrf)."""
    rt = client.app.state.runtime  # type: ignore[attr-defined]
    _, token = rt.users.create(name)
    client.cookies.clear()
    r = client.post("/console/sign-in", data={"token": token}, follow_redirects=False)
    assert r.status_code == 303, r.text
    page = client.get("/console/")
    match = CSRF_RE.search(page.text)
    assert match, page.text
    return token, match.group(1)


def upload(client: TestClient, token: str, clip: Path, *, name: str = "clip.mp4", **fields: Any) -> str:
    with clip.open("rb") as f:
        r = client.post(
            "/api/upload",
            headers={"Authorization": f"Bearer {token}"},
            files={"file": (name, f, "video/mp4")},
            data=fields,
        )
    assert r.status_code == 202, r.text
    return str(r.json()["job_id"])


def wait_status(client: TestClient, token: str, job_id: str, statuses: set[str]) -> dict[str, Any]:
    r = client.get(
        f"/api/results/job/{job_id}?wait=20&until=done", headers={"Authorization": f"Bearer {token}"}
    )
    body: dict[str, Any] = r.json()
    assert body["status"] in statuses, body
    return body


def is_sign_in_redirect(r: httpx.Response) -> bool:
    return r.status_code == 303 and r.headers["location"] == "/console/sign-in"
