"""The push_token of tus Upload-Metadata registers the uploader's device, and a bad one is refused early."""

from __future__ import annotations

import base64
from pathlib import Path

from fastapi.testclient import TestClient

from reelq.runtime import Runtime

from support import make_user

TUS = {"Tus-Resumable": "1.0.0"}


def meta(**values: str) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in values.items())


def test_tus_push_token_registers_the_device(api_only: TestClient, clip: Path) -> None:
    auth = make_user(api_only)
    data = clip.read_bytes()
    token = "ExponentPushToken[tusdevice123]"
    r = api_only.post(
        "/api/uploads/",
        headers={
            **auth,
            **TUS,
            "Upload-Length": str(len(data)),
            "Upload-Metadata": meta(filename="c.mp4", push_token=token),
        },
    )
    assert r.status_code == 201, r.text
    r = api_only.patch(
        r.headers["location"],
        headers={**auth, **TUS, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"},
        content=data,
    )
    assert r.status_code == 204 and r.headers["upload-job-id"]
    devices = api_only.get("/api/devices", headers=auth).json()
    listed = devices["devices"] if isinstance(devices, dict) else devices
    assert [d["push_token"] for d in listed] == [token]
    rt: Runtime = api_only.app.state.runtime  # type: ignore[attr-defined]
    job = rt.store.get(r.headers["upload-job-id"])
    assert job is not None and "push_token" not in job.metadata


def test_tus_malformed_push_token_is_refused_at_creation(api_only: TestClient) -> None:
    auth = make_user(api_only)
    r = api_only.post(
        "/api/uploads/",
        headers={**auth, **TUS, "Upload-Length": "1000", "Upload-Metadata": meta(push_token="not a token")},
    )
    assert r.status_code == 400 and r.json()["code"] == "invalid_push_token"
