"""The console's security: sessions, ownership, CSRF, cookie flags, escaping."""

from __future__ import annotations

import time
from pathlib import Path

from console_helpers import is_sign_in_redirect, sign_in, upload, wait_status
from fastapi.testclient import TestClient
from starlette.routing import Route

from reelq.config import Settings
from reelq.web import live, pages
from reelq.web.session import COOKIE, csrf_token

SOME_ID = "01a22b30-2875-700e-bb0a-33ae208f86d9"
PUBLIC = {"/", "/console/sign-in"}


def console_routes() -> list[tuple[str, str]]:
    out = []
    for route in [*pages.router.routes, *live.router.routes]:
        if isinstance(route, Route) and route.path.startswith("/console") and route.path not in PUBLIC:
            path = route.path.replace("{job_id}", SOME_ID).replace("{upload_id}", SOME_ID)
            path = path.replace("{name}", "poster.jpg")
            for method in sorted(route.methods or ()):
                if method != "HEAD":
                    out.append((method, path))
    return out


def test_every_console_route_needs_a_session(client: TestClient) -> None:
    routes = console_routes()
    assert len(routes) >= 12, routes  # pages, actions, admin, streams, artifacts, tus
    for method, path in routes:
        r = client.request(method, path, follow_redirects=False, headers={"Tus-Resumable": "1.0.0"})
        assert is_sign_in_redirect(r) or r.status_code == 401, (method, path, r.status_code)
    # a token that is not valid is no session either
    client.cookies.set(COOKIE, "rq_not-a-token")
    assert is_sign_in_redirect(client.get("/console/", follow_redirects=False))


def test_sign_in_sets_an_httponly_samesite_cookie_and_keeps_the_token_out_of_urls(client: TestClient) -> None:
    rt = client.app.state.runtime  # type: ignore[attr-defined]
    _, token = rt.users.create("alice")
    r = client.post("/console/sign-in", data={"token": token}, follow_redirects=False)
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}={token};")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Secure" not in cookie
    assert "Max-Age=604800" in cookie and "Path=/" in cookie
    assert token not in r.headers["location"]
    page = client.get("/console/")
    assert token not in page.text  # not in the page either (the CSRF token is derived, not the token)
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY" and page.headers["cache-control"] == "no-store"


def test_the_cookie_is_secure_over_https(settings: object) -> None:
    from reelq.app import create_app

    with TestClient(create_app(settings), base_url="https://testserver") as c:  # type: ignore[arg-type]
        _, token = c.app.state.runtime.users.create("alice")  # type: ignore[attr-defined]
        r = c.post("/console/sign-in", data={"token": token}, follow_redirects=False)
        assert "Secure" in r.headers["set-cookie"]


def test_a_wrong_token_does_not_sign_in(client: TestClient) -> None:
    r = client.post("/console/sign-in", data={"token": "rq_wrong"}, follow_redirects=False)
    assert r.status_code == 401
    assert "set-cookie" not in r.headers
    assert "not valid" in r.text


def test_a_revoked_token_ends_the_session(client: TestClient) -> None:
    sign_in(client, "alice")
    assert client.get("/console/").status_code == 200
    rt = client.app.state.runtime  # type: ignore[attr-defined]
    rt.users.revoke("alice")
    rt.users.cache.clear()
    assert is_sign_in_redirect(client.get("/console/", follow_redirects=False))


def test_another_users_job_is_not_found(client: TestClient, clip: Path) -> None:
    bob_token, _ = sign_in(client, "bob")
    job_id = upload(client, bob_token, clip)
    wait_status(client, bob_token, job_id, {"completed"})
    assert client.get(f"/console/jobs/{job_id}").status_code == 200
    assert client.get(f"/console/jobs/{job_id}/artifacts/poster.jpg").status_code == 200
    assert client.get(f"/console/jobs/{job_id}/result.json").json()["analyzer"]["name"] == "video"
    original = client.get(f"/console/jobs/{job_id}/source", headers={"Range": "bytes=0-99"})
    assert original.status_code == 206 and len(original.content) == 100
    assert original.headers["content-type"] == "video/mp4"

    _, csrf = sign_in(client, "mallory")
    paths = [f"/console/jobs/{job_id}", f"/console/jobs/{job_id}/artifacts/poster.jpg"]
    paths += [f"/console/jobs/{job_id}/result.json", f"/console/jobs/{job_id}/source"]
    for path in paths:
        r = client.get(path)
        assert r.status_code == 404, path
        assert "clip.mp4" not in r.text
    assert client.get(f"/console/jobs/{job_id}/events").status_code == 404
    for action in ("cancel", "retry", "delete"):
        r = client.post(f"/console/jobs/{job_id}/{action}", data={"csrf_token": csrf})
        assert r.status_code == 404, action
    assert client.get("/console/").text.count(job_id) == 0
    # bob's job is untouched
    wait_status(client, bob_token, job_id, {"completed"})


def test_a_post_without_the_csrf_token_is_refused(client: TestClient, clip: Path) -> None:
    token, csrf = sign_in(client, "alice")
    job_id = upload(client, token, clip, analyzer="reelq.testing.analyzers:slow")
    for data in ({}, {"csrf_token": "0" * 64}, {"csrf_token": csrf_token("rq_someone-else")}):
        r = client.post(f"/console/jobs/{job_id}/delete", data=data)
        assert r.status_code == 403, data
        assert "form token" in r.text
    # the right token from another site (Origin) is refused too
    r = client.post(
        f"/console/jobs/{job_id}/delete",
        data={"csrf_token": csrf},
        headers={"Origin": "https://evil.example"},
    )
    assert r.status_code == 403
    assert client.get(f"/console/jobs/{job_id}").status_code == 200  # still there
    r = client.post("/console/sign-out", data={})
    assert r.status_code == 403
    # tus through the console needs the header as well
    r = client.post("/console/uploads/", headers={"Tus-Resumable": "1.0.0", "Upload-Length": "10"})
    assert r.status_code == 403
    # with the token it works
    r = client.post(f"/console/jobs/{job_id}/delete", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303
    assert client.get(f"/console/jobs/{job_id}").status_code == 404


def test_sign_in_from_another_site_is_refused(client: TestClient) -> None:
    _, token = client.app.state.runtime.users.create("alice")  # type: ignore[attr-defined]
    r = client.post(
        "/console/sign-in",
        data={"token": token},
        headers={"Origin": "https://evil.example"},
        follow_redirects=False,
    )
    assert r.status_code == 403
    assert "set-cookie" not in r.headers
    # this site's own origin is fine, also as https behind a TLS-terminating proxy
    for origin in ("http://testserver", "https://testserver"):
        r = client.post(
            "/console/sign-in", data={"token": token}, headers={"Origin": origin}, follow_redirects=False
        )
        assert r.status_code == 303, origin


def test_markup_in_a_file_name_and_metadata_is_shown_as_text(client: TestClient, clip: Path) -> None:
    token, _ = sign_in(client, "alice")
    evil = '<img src=x onerror="alert(1)">'
    job_id = upload(
        client,
        token,
        clip,
        name="<script>alert(1)</script>.mp4",
        metadata=f'{{"title": "{evil.replace(chr(34), chr(92) + chr(34))}"}}',
    )
    wait_status(client, token, job_id, {"completed"})
    for path in (f"/console/jobs/{job_id}", "/console/"):
        html = client.get(path).text
        assert "<script>alert" not in html and "<img src=x" not in html, path
    page = client.get(f"/console/jobs/{job_id}").text
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in page


def test_the_admin_page_is_only_for_admins(settings: Settings) -> None:
    from reelq.app import create_app

    with TestClient(create_app(settings.model_copy(update={"console_admins": ["root", "ops"]}))) as c:
        alice, csrf = sign_in(c, "alice")
        assert c.get("/api/admin/users", headers={"Authorization": f"Bearer {alice}"}).status_code == 404
        assert c.get("/console/admin").status_code == 404
        assert "Admin" not in c.get("/console/").text.split("<main")[0]
        assert c.post(f"/console/admin/jobs/{SOME_ID}/retry", data={"csrf_token": csrf}).status_code == 404
        root, _ = sign_in(c, "root")
        # one admin rule for both faces: a name in REELQ_CONSOLE_ADMINS is an admin on the API too
        assert c.get("/api/admin/users", headers={"Authorization": f"Bearer {root}"}).status_code == 200
        page = c.get("/console/admin")
        assert page.status_code == 200
        assert "Workers" in page.text
        assert 'href="/console/admin"' in c.get("/console/").text


def test_an_unknown_job_page_says_what_to_do(client: TestClient) -> None:
    sign_in(client, "alice")
    r = client.get(f"/console/jobs/{SOME_ID}")
    assert r.status_code == 404
    assert "Go to your jobs" in r.text and r.headers["content-type"].startswith("text/html")
    started = time.monotonic()
    r = client.get("/console/jobs/not-an-id")
    assert r.status_code == 404 and time.monotonic() - started < 5


def test_a_finished_jobs_event_stream_ends_at_once_for_its_owner(client: TestClient, clip: Path) -> None:
    token, _ = sign_in(client, "alice")
    job_id = upload(client, token, clip)
    wait_status(client, token, job_id, {"completed"})
    r = client.get(f"/console/jobs/{job_id}/events")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    assert r.text.startswith("event: end\n") and '"status": "completed"' in r.text


def test_a_malformed_request_gets_a_page_not_an_error(client: TestClient) -> None:
    r = client.post("/console/sign-in", data={f"f{i}": "x" for i in range(10)})
    assert r.status_code == 400 and "not understood" in r.text
    # a long token is checked like any other (a login token is longer than 300 characters)
    r = client.post("/console/sign-in", data={"token": "rq_" + "x" * 400})
    assert r.status_code == 401 and "not valid" in r.text
    sign_in(client, "alice")
    r = client.get("/console/?status=nonsense")
    assert r.status_code == 400 and "unknown status" in r.text
