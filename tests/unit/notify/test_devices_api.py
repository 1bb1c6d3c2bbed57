"""``/api/devices`` and the ``push_token`` field of ``/api/upload``."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from reelq.app import create_app
from reelq.config import Settings
from reelq.notify.push.devices import is_expo_push_token
from reelq.runtime import Runtime


@pytest.fixture
def api(nsettings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(nsettings.model_copy(update={"embedded_worker": False}))) as c:
        yield c


def login(api: TestClient, name: str) -> dict[str, str]:
    rt: Runtime = api.app.state.runtime  # type: ignore[attr-defined]
    _, token = rt.users.create(name)
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize(
    ("token", "ok"),
    [
        ("ExponentPushToken[xxxxxxxxxxxxxxxxxxxxxx]", True),
        ("ExpoPushToken[xxxxxxxxxxxxxxxxxxxxxx]", True),
        ("F5741A13-BCDA-434B-A316-5DC0E6FFA94F", True),
        ("ExponentPushTokenGARBAGE", False),
        ("ExponentPushToken[]", False),
        ("dGVzdA:APA91bHun4MxP5egoKMwt2KZFBaFUH-1RYqx", False),  # an FCM token
        ("a" * 64, False),  # an APNs device token
    ],
)
def test_token_shapes(token: str, ok: bool) -> None:
    assert is_expo_push_token(token) is ok


def test_register_is_idempotent_list_and_delete(api: TestClient) -> None:
    h = login(api, "alice")
    body = {"push_token": "ExponentPushToken[abc]", "platform": "ios"}
    first = api.post("/api/devices", json=body, headers=h)
    assert first.status_code == 201
    again = api.post("/api/devices", json=body, headers=h)
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    [device] = api.get("/api/devices", headers=h).json()["devices"]
    assert device["push_token"] == "ExponentPushToken[abc]" and device["active"] is True
    other = login(api, "bob")
    assert api.delete(f"/api/devices/{device['id']}", headers=other).status_code == 404
    assert api.get("/api/devices", headers=other).json()["devices"] == []
    assert api.delete(f"/api/devices/{device['id']}", headers=h).status_code == 204
    assert api.get("/api/devices", headers=h).json()["devices"] == []


def test_malformed_token_is_400_invalid_push_token(api: TestClient) -> None:
    h = login(api, "carol")
    r = api.post("/api/devices", json={"push_token": "ExponentPushTokenGARBAGE"}, headers=h)
    assert r.status_code == 400 and r.json()["code"] == "invalid_push_token"
    assert r.headers["content-type"].startswith("application/problem+json")
    assert (
        api.post(
            "/api/devices", json={"push_token": "ExpoPushToken[a]", "platform": "nokia"}, headers=h
        ).status_code
        == 400
    )
    assert api.post("/api/devices", json={"push_token": "ExpoPushToken[a]"}).status_code == 401


def test_upload_with_push_token_registers_the_device(api: TestClient, clip: Path) -> None:
    h = login(api, "dave")
    with clip.open("rb") as f:
        r = api.post(
            "/api/upload",
            files={"video": ("swing.mp4", f, "video/mp4")},
            data={"push_token": "ExpoPushToken[up1]"},
            headers=h,
        )
    assert r.status_code == 202, r.text
    [device] = api.get("/api/devices", headers=h).json()["devices"]
    assert device["push_token"] == "ExpoPushToken[up1]"
    job_id = r.json()["job_id"]
    assert api.get(f"/api/jobs/{job_id}/notifications", headers=h).json() == {
        "job_id": job_id,
        "notifications": [],
    }
    assert api.get(f"/api/jobs/{job_id}/notifications", headers=login(api, "eve")).status_code == 404


def test_upload_with_a_malformed_push_token_is_refused_and_leaves_no_job(api: TestClient, clip: Path) -> None:
    h = login(api, "frank")
    with clip.open("rb") as f:
        r = api.post(
            "/api/upload",
            files={"video": ("swing.mp4", f, "video/mp4")},
            data={"push_token": "not-a-token"},
            headers=h,
        )
    assert r.status_code == 400 and r.json()["code"] == "invalid_push_token"
    assert api.get("/api/jobs", headers=h).json()["jobs"] == []
    assert api.get("/api/devices", headers=h).json()["devices"] == []


def test_another_user_cannot_take_over_a_registered_push_token(api: TestClient, clip: Path) -> None:
    """Push tokens are not secret: knowing one must not move, reveal or re-enable another user's device."""
    rt: Runtime = api.app.state.runtime  # type: ignore[attr-defined]
    assert rt.notifier is not None
    a, b = login(api, "owner"), login(api, "other")
    token = "ExponentPushToken[owned-by-a]"
    r = api.post("/api/devices", json={"push_token": token, "platform": "ios"}, headers=a)
    assert r.status_code == 201
    mine = r.json()
    r = api.post("/api/devices", json={"push_token": token, "platform": "android"}, headers=b)
    assert r.status_code == 409 and r.json()["code"] == "push_token_in_use"
    assert r.headers["content-type"].startswith("application/problem+json")
    assert mine["id"] not in r.text and mine["created_at"] not in r.text
    assert api.get("/api/devices", headers=a).json()["devices"] == [mine]  # A's device untouched
    assert api.get("/api/devices", headers=b).json()["devices"] == []
    # An upload naming A's token is refused too, before any job exists.
    with clip.open("rb") as f:
        r = api.post(
            "/api/upload",
            files={"video": ("swing.mp4", f, "video/mp4")},
            data={"push_token": token},
            headers=b,
        )
    assert r.status_code == 409 and r.json()["code"] == "push_token_in_use"
    assert api.get("/api/jobs", headers=b).json()["jobs"] == []
    # A disable that Expo reported (DeviceNotRegistered) is not cleared by the other user …
    with rt.engine.begin() as conn:
        assert rt.notifier.devices.disable(conn, mine["id"], "DeviceNotRegistered")
    assert api.post("/api/devices", json={"push_token": token}, headers=b).status_code == 409
    [still] = api.get("/api/devices", headers=a).json()["devices"]
    assert still["active"] is False and still["disabled_reason"] == "DeviceNotRegistered"
    # … only by the owner, whose registration of the same token is the same row.
    r = api.post("/api/devices", json={"push_token": token}, headers=a)
    assert r.status_code == 200 and r.json()["id"] == mine["id"] and r.json()["active"] is True
    # Once A removes the device (signing out), the token is free: B gets a row of its own.
    assert api.delete(f"/api/devices/{mine['id']}", headers=a).status_code == 204
    r = api.post("/api/devices", json={"push_token": token}, headers=b)
    assert r.status_code == 201 and r.json()["id"] != mine["id"]
    assert api.get("/api/devices", headers=a).json()["devices"] == []


def test_a_tus_upload_naming_another_users_token_is_refused_like_multipart(
    api: TestClient, clip: Path
) -> None:
    a, b = login(api, "tusowner"), login(api, "tusother")
    token = "ExponentPushToken[tus-owned-by-a]"
    mine = api.post("/api/devices", json={"push_token": token}, headers=a).json()
    data = clip.read_bytes()
    tus = {"Tus-Resumable": "1.0.0"}

    def metadata(push_token: str) -> str:
        fields = {"filename": "c.mp4", "push_token": push_token}
        return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in fields.items())

    # At creation, before any byte: the same 409 as POST /api/upload, and A keeps the device.
    r = api.post(
        "/api/uploads/",
        headers={**b, **tus, "Upload-Length": str(len(data)), "Upload-Metadata": metadata(token)},
    )
    assert r.status_code == 409 and r.json()["code"] == "push_token_in_use", r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert api.get("/api/devices", headers=a).json()["devices"] == [mine]

    # A token taken by another user between creation and the last byte: the upload still completes
    # (every byte is in), and the device stays with its owner.
    late = "ExponentPushToken[taken-during-the-upload]"
    r = api.post(
        "/api/uploads/",
        headers={**b, **tus, "Upload-Length": str(len(data)), "Upload-Metadata": metadata(late)},
    )
    assert r.status_code == 201, r.text
    theirs = api.post("/api/devices", json={"push_token": late}, headers=a).json()
    r = api.patch(
        r.headers["location"],
        headers={**b, **tus, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"},
        content=data,
    )
    assert r.status_code == 204 and r.headers["upload-job-id"]
    assert api.get("/api/devices", headers=b).json()["devices"] == []
    assert api.get("/api/devices", headers=a).json()["devices"] == [mine, theirs]
