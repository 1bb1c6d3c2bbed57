"""The admin API refuses what it would otherwise ignore or convert, and a 405 names every method."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient


def admin(client: TestClient) -> dict[str, str]:
    _, token = client.app.state.runtime.users.create("root", admin=True)  # type: ignore[attr-defined]
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize(
    "limits", [{"foo": 1}, {"jobs_per_day": True}, {"jobs_per_day": "5"}, {"jobs_per_day": 1.5}]
)
def test_unknown_or_non_integer_limits_are_refused(client: TestClient, limits: dict[str, object]) -> None:
    auth = admin(client)
    user = client.post("/api/admin/users", headers=auth, json={"name": "ann"}).json()
    r = client.patch(f"/api/admin/users/{user['id']}", headers=auth, json={"limits": limits})
    assert r.status_code == 400, r.text
    r = client.patch(f"/api/admin/users/{user['id']}", headers=auth, json={"limits": {"jobs_per_day": 5.0}})
    assert r.status_code == 200 and r.json()["limits"] == {"jobs_per_day": 5}


def test_admin_flags_are_booleans(client: TestClient) -> None:
    r = client.post("/api/admin/users", headers=admin(client), json={"name": "ann", "admin": 1})
    assert r.status_code == 400, r.text


def test_a_405_names_every_method_of_the_path(client: TestClient, auth: dict[str, str]) -> None:
    r = client.request("OPTIONS", "/api/webhooks", headers=auth)
    assert r.status_code == 405
    assert set(r.headers["allow"].split(", ")) == {"GET", "POST"}


def test_the_document_names_what_the_services_check(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    jobs = {p["name"]: p["schema"] for p in doc["paths"]["/api/jobs"]["get"]["parameters"]}
    assert "processing" in str(jobs["status"]) and "pattern" in str(jobs["cursor"])
    assert "409" in doc["paths"]["/api/admin/users"]["post"]["responses"]
    assert doc["components"]["schemas"]["WebhookIn"]["properties"]["url"]["minLength"] == 1
