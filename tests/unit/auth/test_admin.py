"""The admin API: users, tokens (expiry, revocation), limits, usage, any job; 404 for everyone else."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from reelq.app import create_app
from reelq.config import Settings
from reelq.runtime import Runtime

from support import fast_settings


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def rt_of(client: TestClient) -> Runtime:
    return client.app.state.runtime  # type: ignore[attr-defined,no-any-return]


@pytest.fixture
def shared(tmp_path: Path) -> Settings:
    return fast_settings(tmp_path / "data", embedded_worker=False, auth_cache_seconds=0.5)


@pytest.fixture
def node_a(shared: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(shared)) as c:
        yield c


@pytest.fixture
def node_b(shared: Settings, node_a: TestClient) -> Iterator[TestClient]:
    """A second API process on the same database (its caches are its own)."""
    with TestClient(create_app(shared)) as c:
        yield c


@pytest.fixture
def admin(node_a: TestClient) -> dict[str, str]:
    _, token = rt_of(node_a).users.create("root", admin=True)
    return bearer(token)


def upload(client: TestClient, headers: dict[str, str], data: bytes):  # type: ignore[no-untyped-def]
    return client.post("/api/upload", headers=headers, files={"video": ("c.mp4", data, "video/mp4")})


def test_create_issue_use_revoke_then_401_after_the_cache_time(
    node_a: TestClient, node_b: TestClient, admin: dict[str, str]
) -> None:
    r = node_a.post("/api/admin/users", headers=admin, json={"name": "app-user-1"})
    assert r.status_code == 201, r.text
    user = r.json()
    assert user["token"].startswith("rq_") and user["admin"] is False
    r = node_a.post(f"/api/admin/users/{user['id']}/tokens", headers=admin, json={"expires_in": 3600})
    assert r.status_code == 201
    issued = r.json()
    assert issued["expires_at"] is not None
    assert node_b.get("/api/jobs", headers=bearer(issued["token"])).status_code == 200  # now cached in B
    listed = node_a.get(f"/api/admin/users/{user['id']}/tokens", headers=admin).json()["tokens"]
    assert {t["id"] for t in listed} >= {issued["id"]} and "token" not in listed[0]
    r = node_a.delete(f"/api/admin/users/{user['id']}/tokens/{issued['id']}", headers=admin)
    assert r.status_code == 204
    assert node_a.get("/api/jobs", headers=bearer(issued["token"])).status_code == 401  # at once here
    time.sleep(0.6)  # REELQ_AUTH_CACHE_SECONDS of the other process
    r = node_b.get("/api/jobs", headers=bearer(issued["token"]))
    assert r.status_code == 401 and r.headers["content-type"] == "application/problem+json"
    assert node_b.get("/api/jobs", headers=bearer(user["token"])).status_code == 200  # the other one lives


def test_token_expiry_holds_even_while_cached(node_a: TestClient) -> None:
    rt = rt_of(node_a)
    user, _ = rt.users.create("shortlived")
    _, token = rt.users.issue_token_for(user.id, expires_at=time.time() + 1.0)
    assert node_a.get("/api/jobs", headers=bearer(token)).status_code == 200
    time.sleep(1.1)
    assert node_a.get("/api/jobs", headers=bearer(token)).status_code == 401


def test_disabled_user_is_401_and_limits_show_in_usage(
    node_a: TestClient, node_b: TestClient, admin: dict[str, str]
) -> None:
    user = node_a.post("/api/admin/users", headers=admin, json={"name": "u2"}).json()
    r = node_a.patch(
        f"/api/admin/users/{user['id']}",
        headers=admin,
        json={"limits": {"jobs_per_day": 7, "storage_bytes": 10}},
    )
    assert r.status_code == 200 and r.json()["limits"] == {"jobs_per_day": 7, "storage_bytes": 10}
    usage = node_a.get(f"/api/admin/users/{user['id']}/usage", headers=admin).json()
    assert usage["limits"]["jobs_per_day"] == 7 and usage["stored_bytes"] == 0 and usage["active_jobs"] == 0
    r = node_a.patch(f"/api/admin/users/{user['id']}", headers=admin, json={"limits": {"jobs_per_day": None}})
    assert r.json()["limits"] == {"storage_bytes": 10}
    assert node_b.get("/api/jobs", headers=bearer(user["token"])).status_code == 200
    assert node_a.patch(f"/api/admin/users/{user['id']}", headers=admin, json={"disabled": True}).json()[
        "disabled"
    ]
    time.sleep(0.6)
    assert node_b.get("/api/jobs", headers=bearer(user["token"])).status_code == 401


def test_admin_reads_any_job_and_deletes_a_user_with_files(
    node_a: TestClient, admin: dict[str, str], clip: Path
) -> None:
    created = node_a.post("/api/admin/users", headers=admin, json={"name": "owner"}).json()
    job_id = upload(node_a, bearer(created["token"]), clip.read_bytes()).json()["job_id"]
    r = node_a.get(f"/api/admin/jobs/{job_id}", headers=admin)
    assert r.status_code == 200 and r.json()["user_id"] == created["id"]
    usage = node_a.get(f"/api/admin/users/{created['id']}/usage", headers=admin).json()
    assert usage["stored_bytes"] == clip.stat().st_size and usage["jobs_total"] == 1
    user_dir = rt_of(node_a).layout.root / "users" / created["id"]
    assert any(user_dir.rglob("source.*"))
    assert node_a.delete(f"/api/admin/users/{created['id']}", headers=admin).status_code == 204
    assert not user_dir.exists()
    assert node_a.get(f"/api/admin/jobs/{job_id}", headers=admin).status_code == 404
    assert node_a.get(f"/api/admin/users/{created['id']}", headers=admin).status_code == 404
    assert node_a.get("/api/jobs", headers=bearer(created["token"])).status_code == 401


def test_users_list_pages(node_a: TestClient, admin: dict[str, str]) -> None:
    for i in range(3):
        node_a.post("/api/admin/users", headers=admin, json={"name": f"p{i}"})
    first = node_a.get("/api/admin/users?limit=2", headers=admin).json()
    rest = node_a.get(f"/api/admin/users?limit=10&cursor={first['next_cursor']}", headers=admin).json()
    names = [u["name"] for u in first["users"] + rest["users"]]
    assert sorted(names) == ["p0", "p1", "p2", "root"] and rest["next_cursor"] is None


def test_non_admin_gets_404_on_every_admin_route(
    node_a: TestClient, admin: dict[str, str], clip: Path
) -> None:
    created = node_a.post("/api/admin/users", headers=admin, json={"name": "plain"}).json()
    plain = bearer(created["token"])
    job_id = upload(node_a, plain, clip.read_bytes()).json()["job_id"]
    token_id = node_a.get(f"/api/admin/users/{created['id']}/tokens", headers=admin).json()["tokens"][0]["id"]
    hook = node_a.post("/api/admin/webhooks", headers=admin, json={"url": "https://hooks.example.com/r"})
    assert hook.status_code == 201, hook.text
    values = {
        "user_id": created["id"],
        "token_id": token_id,
        "job_id": job_id,
        "webhook_id": hook.json()["id"],
    }
    bodies = {"POST": {"name": "x", "url": "https://hooks.example.com/x"}, "PATCH": {"disabled": True}}
    seen = 0
    paths = node_a.get("/openapi.json").json()["paths"]
    for path, operations in paths.items():
        if not path.startswith("/api/admin"):
            continue
        url = re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path)
        for method in operations:
            r = node_a.request(method.upper(), url, headers=plain, json=bodies.get(method.upper()))
            assert r.status_code == 404, (method, url, r.text)
            assert r.headers["content-type"] == "application/problem+json"
            seen += 1
    assert seen >= 10
    # nothing happened: the user still has its token, and the admin still sees the job
    assert node_a.get("/api/jobs", headers=plain).status_code == 200
    assert node_a.get(f"/api/admin/jobs/{job_id}", headers=admin).status_code == 200
    assert len(node_a.get("/api/admin/webhooks", headers=admin).json()["webhooks"]) == 1
