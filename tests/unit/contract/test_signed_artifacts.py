"""Artifact URLs in results are signed: an <img> opens them without a token until they expire."""

from __future__ import annotations

import stat
import threading
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from reelq.app import create_app
from reelq.auth.signing import KEY_FILE, UrlSigner, load_key
from reelq.config import Settings

from support import make_user, wait_for


def completed(client: TestClient, auth: dict[str, str], clip: Path) -> dict[str, Any]:
    files = {"video": ("clip.mp4", clip.read_bytes())}
    r = client.post("/api/upload", headers=auth, files=files, data={"analyzer": "video"})
    assert r.status_code == 202, r.text
    job_id = r.json()["job_id"]

    def done() -> dict[str, Any] | None:
        body: dict[str, Any] = client.get(f"/api/results/job/{job_id}", headers=auth).json()
        return body if body["status"] in ("completed", "failed") else None

    job = wait_for(done, 90, 0.2, "the video job")
    assert job["status"] == "completed", job
    return job


def parts(url: str) -> tuple[str, dict[str, str]]:
    split = urlsplit(url)
    return split.path, {k: v[0] for k, v in parse_qs(split.query).items()}


@pytest.fixture
def video_job(client: TestClient, auth: dict[str, str], clip: Path) -> dict[str, Any]:
    return completed(client, auth, clip)


def test_result_urls_are_signed_and_open_without_a_token(
    client: TestClient, auth: dict[str, str], video_job: dict[str, Any]
) -> None:
    poster = video_job["result"]["thumbnails"]["poster"]["url"]
    path, query = parts(poster)
    assert path == f"/api/jobs/{video_job['job_id']}/artifacts/poster.jpg"
    assert set(query) == {"exp", "sig"}
    r = client.get(poster)  # no Authorization header, as an <img> would ask
    assert r.status_code == 200
    assert r.headers["content-type"] == "image/jpeg"
    assert r.content[:2] == b"\xff\xd8"
    # the bearer-token path still works, and without either credential it is 401
    assert client.get(path, headers=auth).content == r.content
    assert client.get(path).status_code == 401


def test_altered_signed_urls_are_403(
    client: TestClient, auth: dict[str, str], video_job: dict[str, Any], clip: Path
) -> None:
    job_id = video_job["job_id"]
    path, q = parts(video_job["result"]["thumbnails"]["poster"]["url"])
    other = completed(client, auth, clip)["job_id"]
    flipped = ("A" if q["sig"][0] != "A" else "B") + q["sig"][1:]
    for url in [
        f"{path}?exp={q['exp']}&sig={flipped}",  # altered signature
        f"{path}?exp={int(q['exp']) + 1}&sig={q['sig']}",  # later expiry
        f"/api/jobs/{job_id}/artifacts/scene-000.jpg?exp={q['exp']}&sig={q['sig']}",  # another file
        f"/api/jobs/{other}/artifacts/poster.jpg?exp={q['exp']}&sig={q['sig']}",  # another job
        f"{path}?exp={q['exp']}",  # half a signature
        f"{path}?sig={q['sig']}",
        f"{path}?exp={q['exp']}&sig=%C2%80",  # not ASCII (was a 500)
    ]:
        r = client.get(url)
        assert r.status_code == 403, url
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["code"] == "bad_signature"


def test_an_expired_signed_url_is_403(
    client: TestClient, video_job: dict[str, Any], settings: Settings
) -> None:
    job_id = video_job["job_id"]
    key = load_key(settings.data_dir)
    past = UrlSigner(key, 3600, clock=lambda: 1_000_000.0)
    url = f"/api/jobs/{job_id}/artifacts/poster.jpg?{past.query(job_id, 'poster.jpg')}"
    r = client.get(url)
    assert r.status_code == 403
    assert r.json()["code"] == "url_expired"
    fresh = UrlSigner(key, 3600)
    assert client.get(
        f"/api/jobs/{job_id}/artifacts/poster.jpg?{fresh.query(job_id, 'poster.jpg')}"
    ).is_success


def test_a_signed_url_of_a_deleted_job_is_404(
    client: TestClient, auth: dict[str, str], video_job: dict[str, Any]
) -> None:
    poster = video_job["result"]["thumbnails"]["poster"]["url"]
    assert client.delete(f"/api/jobs/{video_job['job_id']}", headers=auth).status_code == 204
    assert client.get(poster).status_code == 404


def test_urls_handed_out_stay_valid_at_least_half_their_lifetime() -> None:
    now = 1_700_000_123.0
    for offset in range(0, 3600, 97):
        signer = UrlSigner(b"k" * 32, 3600, clock=lambda o=offset: now + o)
        left = signer.expiry() - (now + offset)
        assert 1800 < left <= 3600
    # within one window the same URL is handed out (browsers can cache the image)
    a = UrlSigner(b"k" * 32, 3600, clock=lambda: 1_800_000_000.0).query("j", "poster.jpg")
    b = UrlSigner(b"k" * 32, 3600, clock=lambda: 1_800_000_010.0).query("j", "poster.jpg")
    assert a == b


def test_only_this_jobs_artifact_urls_are_signed() -> None:
    signer = UrlSigner(b"k" * 32, 3600)
    result = {
        "a": {"url": "/api/jobs/J/artifacts/x.jpg"},
        "b": [{"url": "/api/jobs/OTHER/artifacts/x.jpg"}, {"url": "https://example.com/x"}],
        "c": {"link": "/api/jobs/J/artifacts/x.jpg"},
    }
    out = signer.sign_result("J", result)
    assert out["a"]["url"].startswith("/api/jobs/J/artifacts/x.jpg?exp=")
    assert out["b"] == result["b"] and out["c"] == result["c"]
    assert result["a"]["url"] == "/api/jobs/J/artifacts/x.jpg"  # the stored result is not changed


def test_the_key_is_made_once_private_and_shared(tmp_path: Path) -> None:
    keys: list[bytes] = []
    threads = [threading.Thread(target=lambda: keys.append(load_key(tmp_path / "d"))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(keys)) == 1 and len(keys[0]) == 32
    assert stat.S_IMODE((tmp_path / "d" / KEY_FILE).stat().st_mode) == 0o600
    assert [p.name for p in (tmp_path / "d").iterdir()] == [KEY_FILE]  # no temporary file left
    assert load_key(tmp_path / "d") == keys[0]


def test_two_apps_on_one_data_dir_accept_each_others_urls(
    settings: Settings, client: TestClient, auth: dict[str, str], video_job: dict[str, Any]
) -> None:
    poster = video_job["result"]["thumbnails"]["poster"]["url"]
    with TestClient(create_app(settings.model_copy(update={"embedded_worker": False}))) as second:
        assert second.get(poster).status_code == 200
    elsewhere = settings.model_copy(
        update={"embedded_worker": False, "signing_secret": SecretStr("another secret")}
    )
    with TestClient(create_app(elsewhere)) as third:
        assert third.get(poster).status_code == 403
        token = make_user(third, "carol")
        assert third.get("/api/jobs", headers=token).status_code == 200
