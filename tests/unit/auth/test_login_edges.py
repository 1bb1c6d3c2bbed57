"""Login-token (JWT) edge cases: the console takes them, the account is named by the configured issuer
only, user claims with control characters are refused, and what deleting a login user means."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from reelq.auth.jwt import JwtConfig, JwtVerifier
from reelq.errors import Unauthorized
from reelq.runtime import Runtime
from reelq.testing.oidc import LocalIssuer


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def rt_of(client: TestClient) -> Runtime:
    return client.app.state.runtime  # type: ignore[attr-defined,no-any-return]


def test_the_console_signs_in_with_a_login_token(app_client: TestClient, issuer: LocalIssuer) -> None:
    token = issuer.token(sub="auth0|ann")
    assert len(token) > 300  # an RS256 token is longer than any reelq token
    r = app_client.post("/console/sign-in", data={"token": token}, follow_redirects=False)
    assert r.status_code == 303, r.text
    page = app_client.get("/console/", follow_redirects=False)
    assert page.status_code == 200, page.text
    user = rt_of(app_client).users.cached(token)
    assert user is not None and user.subject == "auth0|ann"


def test_the_console_refuses_an_expired_login_token_with_its_sign_in_page(
    app_client: TestClient, issuer: LocalIssuer
) -> None:
    r = app_client.post("/console/sign-in", data={"token": issuer.token(ttl=-60)}, follow_redirects=False)
    assert r.status_code == 401
    assert "text/html" in r.headers["content-type"]


def verifier(issuer: LocalIssuer, **changes: object) -> JwtVerifier:
    values: dict[str, object] = {
        "issuer": None,
        "jwks_url": issuer.issuer + "/jwks.json",
        "audience": ("reelq-tests",),
        "algorithms": ("RS256", "ES256"),
    }
    values.update(changes)
    return JwtVerifier(JwtConfig(**values))  # type: ignore[arg-type]


def test_with_only_a_jwks_url_the_tokens_own_iss_does_not_choose_the_account(issuer: LocalIssuer) -> None:
    v = verifier(issuer)
    names = {
        v.verify(issuer.token(sub="ann", iss=iss)).issuer
        for iss in ("https://evil.example", issuer.issuer, None)
    }
    assert names == {issuer.issuer + "/jwks.json"}  # one account for "ann", whatever the token says


def test_with_only_a_jwks_url_and_no_audience_a_warning_is_logged(
    issuer: LocalIssuer, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("WARNING", logger="reelq.auth"):
        verifier(issuer, audience=())
    assert [r.message for r in caplog.records] == ["auth.tokens_not_narrowed"]
    caplog.clear()
    with caplog.at_level("WARNING", logger="reelq.auth"):
        verifier(issuer)  # an audience narrows the tokens
    assert caplog.records == []


@pytest.mark.parametrize("sub", ["ann\x00", "ann\nroot", "\x7f", "a\u0085b", "\ud800"])
def test_a_user_claim_with_control_characters_is_refused(issuer: LocalIssuer, sub: str) -> None:
    with pytest.raises(Unauthorized) as caught:
        verifier(issuer).verify(issuer.token(sub=sub))
    assert caught.value.code == "invalid_token"


def test_a_nul_in_the_user_claim_is_401_on_the_api(app_client: TestClient, issuer: LocalIssuer) -> None:
    r = app_client.get("/api/jobs", headers=bearer(issuer.token(sub="ann\x00root")))
    assert r.status_code == 401 and r.json()["code"] == "invalid_token"


def test_deleting_a_login_user_erases_it_and_disabling_it_bans_it(
    app_client: TestClient, issuer: LocalIssuer, clip: Path
) -> None:
    """Documented in docs/auth.md: delete erases (the next token of that subject starts an empty
    account), disable blocks."""
    rt = rt_of(app_client)
    _, root = rt.users.create("root", admin=True)
    token = issuer.token(sub="ann")
    with clip.open("rb") as f:
        r = app_client.post("/api/upload", headers=bearer(token), files={"video": ("c.mp4", f, "video/mp4")})
    assert r.status_code == 202, r.text
    first = rt.users.cached(token)
    assert first is not None
    assert app_client.delete(f"/api/admin/users/{first.id}", headers=bearer(root)).status_code == 204
    again = app_client.get("/api/jobs", headers=bearer(token))
    assert again.status_code == 200 and again.json()["jobs"] == []
    second = rt.users.cached(token)
    assert second is not None and second.id != first.id
    r = app_client.patch(f"/api/admin/users/{second.id}", headers=bearer(root), json={"disabled": True})
    assert r.status_code == 200
    assert app_client.get("/api/jobs", headers=bearer(token)).status_code == 401
    assert app_client.get("/api/jobs", headers=bearer(issuer.token(sub="ann", ttl=900))).status_code == 401


def test_a_console_session_ends_when_its_login_token_expires(
    app_client: TestClient, issuer: LocalIssuer
) -> None:
    import time

    token = issuer.token(sub="auth0|short", ttl=2)
    r = app_client.post("/console/sign-in", data={"token": token}, follow_redirects=False)
    assert r.status_code == 303
    assert app_client.get("/console/", follow_redirects=False).status_code == 200
    time.sleep(2.5)  # past exp (the fixture allows no leeway; the token cache never outlives exp)
    r = app_client.get("/console/", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/console/sign-in"
