"""POST /api/upload: the happy path and every kind of bad input."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from reelq.app import create_app
from reelq.runtime import Runtime

from support import fast_settings, make_user


def rt_of(client: TestClient) -> Runtime:
    return client.app.state.runtime  # type: ignore[attr-defined,no-any-return]


def files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix not in (".db", ".db-wal", ".db-shm"))


def upload(client: TestClient, headers: dict[str, str], data: bytes, name: str = "clip.mp4", **form: str):  # type: ignore[no-untyped-def]
    return client.post("/api/upload", headers=headers, files={"video": (name, data, "video/mp4")}, data=form)


def test_upload_answers_202_with_job_id_and_location(api_only: TestClient, clip: Path) -> None:
    auth = make_user(api_only)
    r = upload(api_only, auth, clip.read_bytes(), metadata='{"take": 3}')
    assert r.status_code == 202, r.text
    body = r.json()
    assert body["status"] == "queued"
    assert r.headers["location"] == body["status_url"] == f"/api/results/job/{body['job_id']}"
    assert int(r.headers["retry-after"]) > 0
    job = api_only.get(body["status_url"], headers=auth).json()
    assert job["file"]["name"] == "clip.mp4"
    assert job["file"]["size"] == clip.stat().st_size
    assert job["file"]["content_type"] == "video/mp4"
    assert job["metadata"] == {"take": 3}
    import hashlib

    assert job["file"]["sha256"] == hashlib.sha256(clip.read_bytes()).hexdigest()


def test_file_alias_field_is_accepted(api_only: TestClient, clip: Path) -> None:
    auth = make_user(api_only)
    r = api_only.post("/api/upload", headers=auth, files={"file": ("c.mov", clip.read_bytes())})
    assert r.status_code == 202


def test_no_token_is_401_and_leaves_nothing(api_only: TestClient, clip: Path) -> None:
    r = upload(api_only, {}, clip.read_bytes())
    assert r.status_code == 401
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["code"] == "unauthorized"
    assert upload(api_only, {"Authorization": "Bearer rq_nope"}, clip.read_bytes()).status_code == 401
    assert files_under(rt_of(api_only).layout.root) == []


def test_revoked_token_is_401(api_only: TestClient, clip: Path) -> None:
    auth = make_user(api_only, "bob")
    rt_of(api_only).users.revoke("bob")
    assert upload(api_only, auth, clip.read_bytes()).status_code == 401


def test_text_file_named_mp4_is_415(api_only: TestClient) -> None:
    auth = make_user(api_only)
    r = upload(api_only, auth, b"just some notes, not a video\n" * 100, name="notes.mp4")
    assert r.status_code == 415 and r.json()["code"] == "unsupported_media"
    assert files_under(rt_of(api_only).layout.root) == []
    assert api_only.get("/api/jobs", headers=auth).json()["jobs"] == []


def test_short_text_file_is_415(api_only: TestClient) -> None:
    auth = make_user(api_only)
    assert upload(api_only, auth, b"hi").status_code == 415


def test_empty_file_is_400(api_only: TestClient) -> None:
    auth = make_user(api_only)
    r = upload(api_only, auth, b"")
    assert r.status_code == 400 and r.json()["code"] == "empty_file"
    assert files_under(rt_of(api_only).layout.root) == []


def test_no_file_part_is_400(api_only: TestClient) -> None:
    auth = make_user(api_only)
    r = api_only.post("/api/upload", headers=auth, data={"push_token": "x"}, files={"other": ("a", b"b")})
    assert r.status_code == 400 and r.json()["code"] == "missing_file"
    r = api_only.post("/api/upload", headers={**auth, "content-type": "application/json"}, content=b"{}")
    assert r.status_code == 400 and r.json()["code"] == "bad_request"


def test_bad_metadata_and_unknown_analyzer_are_400(api_only: TestClient, clip: Path) -> None:
    auth = make_user(api_only)
    r = upload(api_only, auth, clip.read_bytes(), metadata="{not json")
    assert r.status_code == 400 and r.json()["code"] == "bad_metadata"
    r = upload(api_only, auth, clip.read_bytes(), metadata="[1, 2]")
    assert r.status_code == 400 and r.json()["code"] == "bad_metadata"
    r = upload(api_only, auth, clip.read_bytes(), analyzer="nonexistent")
    assert r.status_code == 400 and r.json()["code"] == "unknown_analyzer"
    assert files_under(rt_of(api_only).layout.root) == []


def test_over_the_size_limit_is_413(tmp_path: Path, clip: Path) -> None:
    settings = fast_settings(tmp_path / "d", max_upload_bytes=50_000, embedded_worker=False)
    with TestClient(create_app(settings)) as client:
        auth = make_user(client)
        r = upload(client, auth, clip.read_bytes())  # ~170 kB, Content-Length above the limit
        assert r.status_code == 413 and r.json()["code"] == "upload_too_large"
        assert files_under(rt_of(client).layout.root) == []


def test_over_the_size_limit_while_streaming_is_413(tmp_path: Path, clip: Path) -> None:
    """No Content-Length (chunked): the limit is enforced on the bytes as they arrive."""
    settings = fast_settings(tmp_path / "d", max_upload_bytes=50_000, embedded_worker=False)
    boundary = "XyZ"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="video"; filename="a.mp4"\r\n\r\n'.encode()
        + clip.read_bytes()
        + f"\r\n--{boundary}--\r\n".encode()
    )

    def chunks():  # type: ignore[no-untyped-def]
        for i in range(0, len(body), 8192):
            yield body[i : i + 8192]

    with TestClient(create_app(settings)) as client:
        auth = make_user(client)
        r = client.post(
            "/api/upload",
            headers={**auth, "content-type": f"multipart/form-data; boundary={boundary}"},
            content=chunks(),
        )
        assert r.status_code == 413
        assert files_under(rt_of(client).layout.root) == []


def test_idempotency_key_replays_and_rejects_another_file(
    api_only: TestClient, clip: Path, tmp_path: Path
) -> None:
    from reelq.testing import make_clip

    auth = make_user(api_only)
    key = {"Idempotency-Key": "upload-42"}
    first = upload(api_only, {**auth, **key}, clip.read_bytes())
    again = upload(api_only, {**auth, **key}, clip.read_bytes())
    assert first.status_code == 202 and again.status_code == 200
    assert first.json()["job_id"] == again.json()["job_id"]
    other = make_clip(tmp_path / "other.mp4", seconds=1.0)
    r = upload(api_only, {**auth, **key}, other.read_bytes())
    assert r.status_code == 409 and r.json()["code"] == "idempotency_key_reused"
    assert len(api_only.get("/api/jobs", headers=auth).json()["jobs"]) == 1
    # the same key from another user is another job
    bob = make_user(api_only, "bob")
    assert upload(api_only, {**bob, **key}, clip.read_bytes()).status_code == 202
    # exactly one source file per job, no leftovers from the replays
    sources = [p for p in files_under(rt_of(api_only).layout.root) if p.name.startswith("source.")]
    assert len(sources) == 2


def test_hostile_file_name_is_stored_safely(api_only: TestClient, clip: Path, tmp_path: Path) -> None:
    auth = make_user(api_only)
    r = upload(api_only, auth, clip.read_bytes(), name="../../etc/passwd.mp4")
    assert r.status_code == 202
    job = api_only.get(r.json()["status_url"], headers=auth).json()
    assert job["file"]["name"] == "passwd.mp4"
    root = rt_of(api_only).layout.root
    stored = files_under(root)
    assert [p.name for p in stored] == ["source.mp4"]
    assert stored[0].parent.name == job["job_id"]
    assert not (root.parent / "etc").exists() and not (tmp_path / "etc").exists()


@pytest.mark.parametrize("bad", ["not-an-id", "..%2F..%2Fetc%2Fpasswd", "1%20OR%201=1", "0" * 36])
def test_job_id_that_is_not_an_id_is_404(api_only: TestClient, bad: str) -> None:
    auth = make_user(api_only)
    r = api_only.get(f"/api/results/job/{bad}", headers=auth)
    assert r.status_code == 404
    assert r.json()["code"] in ("job_not_found", "not_found")


def test_another_users_job_is_404(api_only: TestClient, clip: Path) -> None:
    alice = make_user(api_only, "alice")
    bob = make_user(api_only, "bob")
    job_id = upload(api_only, alice, clip.read_bytes()).json()["job_id"]
    for method, path in [
        ("GET", f"/api/results/job/{job_id}"),
        ("POST", f"/api/jobs/{job_id}/cancel"),
        ("POST", f"/api/jobs/{job_id}/retry"),
        ("DELETE", f"/api/jobs/{job_id}"),
        ("GET", f"/api/jobs/{job_id}/artifacts/poster.jpg"),
        ("GET", f"/api/jobs/{job_id}/events"),
    ]:
        r = api_only.request(method, path, headers=bob)
        assert r.status_code == 404, (method, path, r.status_code)
        assert r.json()["code"] == "job_not_found"
    assert api_only.get("/api/jobs", headers=bob).json()["jobs"] == []
    assert api_only.get(f"/api/results/job/{job_id}", headers=alice).json()["status"] == "queued"
