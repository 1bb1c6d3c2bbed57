"""tus 1.0.0 conformance at /api/uploads/: every status the spec names, plus reelq's own rules."""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from reelq.app import create_app
from reelq.db.schema import tus_uploads
from reelq.runtime import Runtime

from support import fast_settings, make_user

TUS = {"Tus-Resumable": "1.0.0"}
STREAM = {"Content-Type": "application/offset+octet-stream"}


def b64(value: str) -> str:
    return base64.b64encode(value.encode()).decode()


def meta(**values: str) -> str:
    return ",".join(f"{k} {b64(v)}" for k, v in values.items())


@pytest.fixture
def make_client(tmp_path: Path) -> Iterator[object]:
    clients: list[TestClient] = []

    def build(**overrides: object) -> TestClient:
        settings = fast_settings(tmp_path / f"data{len(clients)}", embedded_worker=False, **overrides)
        c = TestClient(create_app(settings))
        c.__enter__()
        clients.append(c)
        return c

    yield build
    for c in clients:
        c.__exit__(None, None, None)


@pytest.fixture
def c(make_client) -> TestClient:  # type: ignore[no-untyped-def]
    return make_client()  # type: ignore[no-any-return]


@pytest.fixture
def auth(c: TestClient) -> dict[str, str]:
    return make_user(c, "alice")


@pytest.fixture(scope="module")
def video(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    from reelq.testing import make_clip

    return make_clip(tmp_path_factory.mktemp("tus") / "clip.mp4", seconds=1.0).read_bytes()


def rt(c: TestClient) -> Runtime:
    return c.app.state.runtime  # type: ignore[attr-defined,no-any-return]


def create(c: TestClient, auth: dict[str, str], length: int, **extra: str) -> str:
    r = c.post("/api/uploads/", headers={**auth, **TUS, "Upload-Length": str(length), **extra})
    assert r.status_code == 201, r.text
    return r.headers["location"]


def patch(c: TestClient, auth: dict[str, str], url: str, offset: int, data: bytes, **extra: str):  # type: ignore[no-untyped-def]
    return c.patch(
        url, content=data, headers={**auth, **TUS, **STREAM, "Upload-Offset": str(offset), **extra}
    )


def head(c: TestClient, auth: dict[str, str], url: str):  # type: ignore[no-untyped-def]
    return c.head(url, headers={**auth, **TUS})


def offset_of(c: TestClient, auth: dict[str, str], url: str) -> int:
    r = head(c, auth, url)
    assert r.status_code == 200
    return int(r.headers["upload-offset"])


def data_file(c: TestClient, url: str) -> Path:
    return rt(c).tus.finisher.data_path(url.rsplit("/", 1)[1])


def jobs_of(c: TestClient, auth: dict[str, str]) -> list[dict[str, object]]:
    r = c.get("/api/jobs", headers=auth)
    assert r.status_code == 200
    return r.json()["jobs"]  # type: ignore[no-any-return]


# -- discovery and CORS -------------------------------------------------------------------------
def test_options_discovery_needs_no_auth(c: TestClient) -> None:
    r = c.options("/api/uploads/")
    assert r.status_code == 204
    assert r.headers["tus-version"] == "1.0.0"
    assert set(r.headers["tus-extension"].split(",")) == {
        "creation",
        "creation-with-upload",
        "expiration",
        "checksum",
        "termination",
    }
    assert int(r.headers["tus-max-size"]) == rt(c).settings.max_upload_bytes
    assert "sha1" in r.headers["tus-checksum-algorithm"].split(",")


def test_cors_preflight_and_exposed_headers(c: TestClient, auth: dict[str, str]) -> None:
    origin = {"Origin": "https://app.example"}
    r = c.options(
        "/api/uploads/",
        headers={
            **origin,
            "Access-Control-Request-Method": "PATCH",
            "Access-Control-Request-Headers": "upload-offset",
        },
    )
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] in ("*", "https://app.example")
    r = c.post("/api/uploads/", headers={**auth, **TUS, **origin, "Upload-Length": "10"})
    exposed = {h.strip().lower() for h in r.headers["access-control-expose-headers"].split(",")}
    assert {
        "location",
        "upload-offset",
        "upload-length",
        "upload-job-id",
        "tus-resumable",
        "upload-expires",
    } <= exposed


# -- the happy path ------------------------------------------------------------------------------
def test_chunked_upload_creates_one_job_with_the_same_bytes(
    c: TestClient, auth: dict[str, str], video: bytes
) -> None:
    url = create(
        c, auth, len(video), **{"Upload-Metadata": meta(filename="../../swing.mp4", metadata='{"hole": 7}')}
    )
    assert url.startswith("/api/uploads/")
    offset, job_id = 0, None
    while offset < len(video):
        r = patch(c, auth, url, offset, video[offset : offset + 40_000])
        assert r.status_code == 204, r.text
        offset = int(r.headers["upload-offset"])
        job_id = r.headers.get("upload-job-id")
        if offset < len(video):
            assert job_id is None and "upload-expires" in r.headers
    assert job_id
    r = head(c, auth, url)
    assert r.headers["upload-job-id"] == job_id and r.headers["cache-control"] == "no-store"
    assert r.headers["upload-offset"] == r.headers["upload-length"] == str(len(video))
    # A retried final PATCH (empty body at the final offset) answers the same job, never a second one.
    r = patch(c, auth, url, len(video), b"")
    assert r.status_code == 204 and r.headers["upload-job-id"] == job_id
    job = c.get(f"/api/results/job/{job_id}", headers=auth).json()
    assert job["file"]["sha256"] == hashlib.sha256(video).hexdigest()
    assert job["file"]["name"] == "swing.mp4" and job["file"]["content_type"] == "video/mp4"
    assert job["metadata"] == {"hole": 7}
    stored = rt(c).layout.absolute(rt(c).store.get(job_id).source_path)  # type: ignore[union-attr]
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == hashlib.sha256(video).hexdigest()
    assert [j["job_id"] for j in jobs_of(c, auth)] == [job_id]
    assert not data_file(c, url).exists()


def test_creation_with_upload_and_method_override(c: TestClient, auth: dict[str, str], video: bytes) -> None:
    r = c.post(
        "/api/uploads/",
        content=video[:1000],
        headers={**auth, **TUS, **STREAM, "Upload-Length": str(len(video))},
    )
    assert r.status_code == 201 and r.headers["upload-offset"] == "1000"
    url = r.headers["location"]
    r = c.post(
        url,
        content=video[1000:],
        headers={**auth, **TUS, **STREAM, "Upload-Offset": "1000", "X-HTTP-Method-Override": "PATCH"},
    )
    assert r.status_code == 204 and r.headers["upload-job-id"]
    # A whole file in the creation request: 201 with the job at once.
    r = c.post(
        "/api/uploads/", content=video, headers={**auth, **TUS, **STREAM, "Upload-Length": str(len(video))}
    )
    assert (
        r.status_code == 201 and r.headers["upload-job-id"] and r.headers["upload-offset"] == str(len(video))
    )
    assert len(jobs_of(c, auth)) == 2


def test_head_echoes_metadata_and_works_without_any(c: TestClient, auth: dict[str, str]) -> None:
    plain = create(c, auth, 100)
    r = head(c, auth, plain)
    assert r.status_code == 200 and r.headers["upload-offset"] == "0" and r.headers["upload-length"] == "100"
    assert "upload-metadata" not in r.headers and "upload-expires" in r.headers
    raw = meta(filename="a.mov", filetype="video/quicktime")
    r = head(c, auth, create(c, auth, 100, **{"Upload-Metadata": raw}))
    assert r.headers["upload-metadata"] == raw


# -- every refusal happens before a body byte is stored ------------------------------------------
def test_412_wrong_or_missing_version_stores_nothing(
    c: TestClient, auth: dict[str, str], video: bytes
) -> None:
    r = c.post("/api/uploads/", headers={**auth, "Upload-Length": "10"})
    assert r.status_code == 412 and r.headers["tus-version"] == "1.0.0"
    url = create(c, auth, len(video))
    r = c.patch(
        url, content=video[:100], headers={**auth, **STREAM, "Upload-Offset": "0", "Tus-Resumable": "0.2.2"}
    )
    assert r.status_code == 412 and r.headers["tus-version"] == "1.0.0"
    assert r.headers["content-type"] == "application/problem+json"
    assert offset_of(c, auth, url) == 0


def test_401_bad_token_stores_nothing(c: TestClient, auth: dict[str, str], video: bytes) -> None:
    url = create(c, auth, len(video))
    for bad in ({}, {"Authorization": "Bearer nope"}):
        r = c.patch(url, content=video[:100], headers={**bad, **TUS, **STREAM, "Upload-Offset": "0"})
        assert r.status_code == 401 and r.json()["code"] == "unauthorized"
        assert c.head(url, headers={**bad, **TUS}).status_code == 401
        assert c.post("/api/uploads/", headers={**bad, **TUS, "Upload-Length": "5"}).status_code == 401
    assert offset_of(c, auth, url) == 0
    assert not data_file(c, url).exists() or data_file(c, url).stat().st_size == 0


def test_415_wrong_content_type_stores_nothing(c: TestClient, auth: dict[str, str], video: bytes) -> None:
    url = create(c, auth, len(video))
    r = c.patch(
        url, content=video[:100], headers={**auth, **TUS, "Content-Type": "text/plain", "Upload-Offset": "0"}
    )
    assert r.status_code == 415
    assert offset_of(c, auth, url) == 0


def test_409_offset_mismatch(c: TestClient, auth: dict[str, str], video: bytes) -> None:
    url = create(c, auth, len(video))
    assert patch(c, auth, url, 0, video[:500]).status_code == 204
    for wrong in (0, 499, 501):
        r = patch(c, auth, url, wrong, video[wrong : wrong + 10])
        assert r.status_code == 409 and r.json()["code"] == "offset_mismatch"
    assert offset_of(c, auth, url) == 500


@pytest.mark.parametrize(
    ("value", "status", "code"),
    [
        ("-1", 400, "invalid_upload_length"),
        ("abc", 400, "invalid_upload_length"),
        ("1e9", 400, "invalid_upload_length"),
        ("0", 400, "empty_file"),
        ("9" * 40, 413, "upload_too_large"),
        (str(2**31 + 1), 413, "upload_too_large"),
    ],
)
def test_bad_upload_length(c: TestClient, auth: dict[str, str], value: str, status: int, code: str) -> None:
    r = c.post("/api/uploads/", headers={**auth, **TUS, "Upload-Length": value})
    assert (r.status_code, r.json()["code"]) == (status, code)


def test_missing_length_and_deferred_length_are_refused(c: TestClient, auth: dict[str, str]) -> None:
    assert c.post("/api/uploads/", headers={**auth, **TUS}).status_code == 400
    assert c.post("/api/uploads/", headers={**auth, **TUS, "Upload-Defer-Length": "1"}).status_code == 400


@pytest.mark.parametrize(
    "raw",
    [
        "filename not*base64!",
        "filename YS5tcDQ=,filename YS5tcDQ=",
        "filename YS5tcDQ=,,x",
        "a b c",
        "filename /w==",
    ],
)
def test_bad_metadata_is_400(c: TestClient, auth: dict[str, str], raw: str) -> None:
    r = c.post("/api/uploads/", headers={**auth, **TUS, "Upload-Length": "10", "Upload-Metadata": raw})
    assert r.status_code == 400 and r.json()["code"] == "bad_metadata"


def test_bad_analyzer_or_job_metadata_is_refused_at_creation(c: TestClient, auth: dict[str, str]) -> None:
    r = c.post(
        "/api/uploads/",
        headers={**auth, **TUS, "Upload-Length": "10", "Upload-Metadata": meta(analyzer="nope")},
    )
    assert r.status_code == 400 and r.json()["code"] == "unknown_analyzer"
    r = c.post(
        "/api/uploads/",
        headers={**auth, **TUS, "Upload-Length": "10", "Upload-Metadata": meta(metadata="[1]")},
    )
    assert r.status_code == 400 and r.json()["code"] == "bad_metadata"


def test_body_past_upload_length_is_refused_and_stored_bytes_stay(
    c: TestClient, auth: dict[str, str], video: bytes
) -> None:
    url = create(c, auth, 1000)
    assert patch(c, auth, url, 0, video[:600]).status_code == 204
    r = patch(c, auth, url, 600, video[600:1100])  # declared Content-Length says too much
    assert r.status_code == 413 and r.json()["code"] == "exceeds_upload_length"

    def chunked() -> Iterator[bytes]:  # no Content-Length: found out while streaming
        yield video[600:900]
        yield video[900:1200]

    r = c.patch(url, content=chunked(), headers={**auth, **TUS, **STREAM, "Upload-Offset": "600"})
    assert r.status_code == 413
    assert offset_of(c, auth, url) == 600
    assert data_file(c, url).read_bytes() == video[:600]
    r = patch(c, auth, url, 600, video[600:1000])
    assert r.status_code == 204 and r.headers["upload-offset"] == "1000"


def test_checksums_sha1_sha256_md5_and_460(c: TestClient, auth: dict[str, str], video: bytes) -> None:
    url = create(c, auth, len(video))
    good = video[:1000]
    r = patch(c, auth, url, 0, good, **{"Upload-Checksum": checksum_header("sha1", b"something else")})
    assert r.status_code == 460 and r.json()["code"] == "checksum_mismatch"
    assert offset_of(c, auth, url) == 0 and data_file(c, url).stat().st_size == 0
    offset = 0
    for algorithm in ("sha1", "sha256", "md5"):
        part = video[offset : offset + 1000]
        r = patch(c, auth, url, offset, part, **{"Upload-Checksum": checksum_header(algorithm, part)})
        assert r.status_code == 204, (algorithm, r.text)
        offset += 1000
    assert offset_of(c, auth, url) == 3000
    r = patch(c, auth, url, 3000, video[3000:3010], **{"Upload-Checksum": "crc32 AAAAAA=="})
    assert r.status_code == 400 and r.json()["code"] == "unsupported_checksum_algorithm"
    r = patch(c, auth, url, 3000, video[3000:3010], **{"Upload-Checksum": "sha1 !!!"})
    assert r.status_code == 400
    assert offset_of(c, auth, url) == 3000


# -- ownership, termination, expiry, limits --------------------------------------------------------
def test_another_users_upload_is_404(c: TestClient, auth: dict[str, str], video: bytes) -> None:
    url = create(c, auth, len(video))
    bob = make_user(c, "bob")
    assert head(c, bob, url).status_code == 404
    r = patch(c, bob, url, 0, video[:100])
    assert r.status_code == 404 and r.json()["code"] == "upload_not_found"
    assert c.delete(url, headers={**bob, **TUS}).status_code == 404
    assert head(c, auth, "/api/uploads/01234567-89ab-7def-8123-456789abcdef").status_code == 404
    assert head(c, auth, "/api/uploads/..%2F..%2Fetc").status_code == 404
    assert offset_of(c, auth, url) == 0


def test_termination_then_patch_is_410(c: TestClient, auth: dict[str, str], video: bytes) -> None:
    url = create(c, auth, len(video))
    assert patch(c, auth, url, 0, video[:1000]).status_code == 204
    assert data_file(c, url).exists()
    r = c.post(url, headers={**auth, **TUS, "X-HTTP-Method-Override": "DELETE"})
    assert r.status_code == 204
    assert not data_file(c, url).exists()
    r = patch(c, auth, url, 1000, video[1000:2000])
    assert r.status_code == 410 and r.json()["code"] == "upload_terminated"
    assert head(c, auth, url).status_code == 410
    assert "upload-offset" not in head(c, auth, url).headers
    assert jobs_of(c, auth) == []


def test_expired_upload_is_swept_and_answers_410(make_client, video: bytes) -> None:  # type: ignore[no-untyped-def]
    c = make_client(upload_expiry_seconds=60)
    auth = make_user(c)
    url = create(c, auth, len(video))
    r = patch(c, auth, url, 0, video[:1000])
    assert r.status_code == 204 and r.headers["upload-expires"].endswith("GMT")
    store = rt(c).tus.store
    with store.engine.begin() as conn:  # its 60 s pass (a clock moved forward, not a sleep under load)
        conn.execute(tus_uploads.update().values(expires_at=time.time() - 1))
    r = patch(c, auth, url, 1000, video[1000:2000])  # expired even before the sweeper ran
    assert r.status_code == 410 and r.json()["code"] == "upload_expired"
    assert rt(c).tus.sweep() == 1
    assert not data_file(c, url).exists()
    assert head(c, auth, url).status_code == 410
    assert patch(c, auth, url, 1000, video[1000:2000]).json()["code"] == "upload_expired"


def test_per_user_limits(make_client) -> None:  # type: ignore[no-untyped-def]
    c = make_client(max_incomplete_uploads=2, max_incomplete_upload_bytes=10_000)
    alice, bob = make_user(c, "alice"), make_user(c, "bob")
    first = create(c, alice, 4000)
    create(c, alice, 4000)
    r = c.post("/api/uploads/", headers={**alice, **TUS, "Upload-Length": "10"})
    assert r.status_code == 429 and r.json()["code"] == "too_many_incomplete_uploads"
    assert c.delete(first, headers={**alice, **TUS}).status_code == 204
    r = c.post("/api/uploads/", headers={**alice, **TUS, "Upload-Length": "6001"})
    assert r.status_code == 413 and r.json()["code"] == "incomplete_uploads_too_large"
    create(c, alice, 6000)
    create(c, bob, 10_000)  # limits are per user


# -- not a video ---------------------------------------------------------------------------------
def test_not_a_video_is_refused_at_the_first_bytes(c: TestClient, auth: dict[str, str]) -> None:
    junk = b"%PDF-1.7\n" + b"x" * 3_000_000
    url = create(c, auth, len(junk))
    r = patch(c, auth, url, 0, junk[:2_000_000])
    assert r.status_code == 415 and r.json()["code"] == "unsupported_media"
    assert not data_file(c, url).exists()
    assert patch(c, auth, url, 0, junk[:10]).status_code == 410
    assert jobs_of(c, auth) == []


def test_tiny_non_video_is_refused_on_the_final_patch(c: TestClient, auth: dict[str, str]) -> None:
    url = create(c, auth, 100)
    assert patch(c, auth, url, 0, b"a" * 60).status_code == 204
    r = patch(c, auth, url, 60, b"b" * 40)
    assert r.status_code == 415 and r.json()["code"] == "unsupported_media"
    assert jobs_of(c, auth) == []


def test_push_token_registers_a_device_and_is_not_kept_in_metadata(
    c: TestClient, auth: dict[str, str], video: bytes
) -> None:
    token = "ExponentPushToken[abcdefghijklmnop]"
    r = c.post(
        "/api/uploads/",
        content=video,
        headers={
            **auth,
            **TUS,
            **STREAM,
            "Upload-Length": str(len(video)),
            "Upload-Metadata": meta(push_token=token),
        },
    )
    assert r.status_code == 201
    job = c.get(f"/api/results/job/{r.headers['upload-job-id']}", headers=auth).json()
    assert "push_token" not in job["metadata"]
    devices = c.get("/api/devices", headers=auth).json()
    assert token in str(devices)


def test_openapi_documents_the_tus_routes(c: TestClient) -> None:
    paths = c.get("/openapi.json").json()["paths"]
    assert {"post", "options"} <= set(paths["/api/uploads/"])
    assert {"head", "patch", "delete"} <= set(paths["/api/uploads/{upload_id}"])


def checksum_header(algorithm: str, data: bytes) -> str:
    """``Upload-Checksum`` value for ``data``."""
    return f"{algorithm} {base64.b64encode(hashlib.new(algorithm, data).digest()).decode()}"
