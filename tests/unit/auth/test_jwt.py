"""Login tokens (JWT) of the app's identity provider: accepted, mapped to users, and every kind refused."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path

import jwt
import pytest
from fastapi.testclient import TestClient

from reelq.runtime import Runtime
from reelq.testing.oidc import LocalIssuer


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def rt_of(client: TestClient) -> Runtime:
    return client.app.state.runtime  # type: ignore[attr-defined,no-any-return]


def upload(client: TestClient, token: str, data: bytes):  # type: ignore[no-untyped-def]
    return client.post("/api/upload", headers=bearer(token), files={"video": ("c.mp4", data, "video/mp4")})


def assert_401(r, code: str) -> None:  # type: ignore[no-untyped-def]
    assert r.status_code == 401, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.headers["www-authenticate"] == "Bearer"
    assert r.json()["code"] == code


def poll(client: TestClient, token: str) -> object:
    return client.get("/api/jobs", headers=bearer(token))


@pytest.mark.parametrize("kid", ["rsa-1", "ec-2"])
def test_valid_token_uploads_and_maps_to_an_issuer_user(
    app_client: TestClient, issuer: LocalIssuer, clip: Path, kid: str
) -> None:
    token = issuer.token(sub="auth0|42", kid=kid)
    assert jwt.get_unverified_header(token)["alg"] == ("RS256" if kid == "rsa-1" else "ES256")
    r = upload(app_client, token, clip.read_bytes())
    assert r.status_code == 202, r.text
    job = app_client.get(r.json()["status_url"], headers=bearer(token))
    assert job.status_code == 200
    user = rt_of(app_client).users.cached(token)
    assert user is not None and (user.issuer, user.subject) == (issuer.issuer, "auth0|42")
    # a second token of the same subject is the same reelq user, created once
    again = issuer.token(sub="auth0|42", kid=kid, ttl=900)
    assert app_client.get(r.json()["status_url"], headers=bearer(again)).status_code == 200


def test_two_subjects_never_see_each_others_jobs(
    app_client: TestClient, issuer: LocalIssuer, clip: Path
) -> None:
    ann, ben = issuer.token(sub="ann"), issuer.token(sub="ben")
    job_id = upload(app_client, ann, clip.read_bytes()).json()["job_id"]
    r = app_client.get(f"/api/results/job/{job_id}", headers=bearer(ben))
    assert r.status_code == 404
    assert app_client.post(f"/api/jobs/{job_id}/cancel", headers=bearer(ben)).status_code == 404
    assert app_client.get("/api/jobs", headers=bearer(ben)).json()["jobs"] == []
    assert [j["job_id"] for j in app_client.get("/api/jobs", headers=bearer(ann)).json()["jobs"]] == [job_id]


def test_reelq_api_tokens_keep_working_beside_jwts(app_client: TestClient) -> None:
    _, token = rt_of(app_client).users.create("classic")
    assert poll(app_client, token).status_code == 200  # type: ignore[attr-defined]


def test_expired_token_is_401(app_client: TestClient, issuer: LocalIssuer) -> None:
    assert_401(poll(app_client, issuer.token(exp=int(time.time()) - 5)), "token_expired")


def test_not_yet_valid_token_is_401(app_client: TestClient, issuer: LocalIssuer) -> None:
    assert_401(poll(app_client, issuer.token(nbf=int(time.time()) + 300)), "token_not_yet_valid")


def test_wrong_audience_is_401(app_client: TestClient, issuer: LocalIssuer) -> None:
    assert_401(poll(app_client, issuer.token(aud="another-api")), "wrong_audience")


def test_wrong_issuer_is_401(app_client: TestClient, issuer: LocalIssuer) -> None:
    assert_401(poll(app_client, issuer.token(iss="https://evil.example")), "wrong_issuer")


def test_token_without_exp_is_401(app_client: TestClient, issuer: LocalIssuer) -> None:
    assert_401(poll(app_client, issuer.token(exp=None)), "invalid_token")


def test_unknown_kid_is_401_after_exactly_one_refresh(app_client: TestClient, issuer: LocalIssuer) -> None:
    assert poll(app_client, issuer.token()).status_code == 200  # type: ignore[attr-defined]
    fetches = issuer.jwks_fetches
    secret_kid = issuer.add_key("rsa", publish=False)  # a key the issuer never published
    assert_401(poll(app_client, issuer.token(kid=secret_kid)), "unknown_key")
    assert issuer.jwks_fetches == fetches + 1


def test_unknown_kid_refreshes_are_rate_limited(jwt_settings, issuer: LocalIssuer) -> None:  # type: ignore[no-untyped-def]
    from reelq.app import create_app

    settings = jwt_settings.model_copy(update={"auth_jwks_refresh_seconds": 60.0})
    with TestClient(create_app(settings)) as client:
        assert poll(client, issuer.token()).status_code == 200  # type: ignore[attr-defined]
        fetches = issuer.jwks_fetches
        for _ in range(5):
            assert_401(poll(client, issuer.token(kid=issuer.add_key("rsa", publish=False))), "unknown_key")
        assert issuer.jwks_fetches == fetches  # within the refresh interval: no fetch per bad token


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_alg_none_is_401(app_client: TestClient, issuer: LocalIssuer) -> None:
    claims = jwt.decode(issuer.token(), options={"verify_signature": False})
    unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT', 'kid': 'rsa-1'})}.{_b64(claims)}."
    assert_401(poll(app_client, unsigned), "invalid_token")


def test_hs256_signed_with_the_public_key_is_401(app_client: TestClient, issuer: LocalIssuer) -> None:
    claims = jwt.decode(issuer.token(), options={"verify_signature": False})
    pem = issuer.public_pem("rsa-1")
    header = {"alg": "HS256", "typ": "JWT", "kid": "rsa-1"}
    signing_input = f"{_b64(header)}.{_b64(claims)}".encode()
    import hashlib
    import hmac

    mac = hmac.new(pem, signing_input, hashlib.sha256).digest()
    forged = signing_input.decode() + "." + base64.urlsafe_b64encode(mac).rstrip(b"=").decode()
    assert_401(poll(app_client, forged), "invalid_token")


def test_tampered_payload_is_401(app_client: TestClient, issuer: LocalIssuer) -> None:
    header, _, signature = issuer.token(sub="ann").split(".")
    claims = jwt.decode(issuer.token(sub="ann"), options={"verify_signature": False})
    claims["sub"] = "admin"
    assert_401(poll(app_client, f"{header}.{_b64(claims)}.{signature}"), "invalid_token")


def test_key_rotation_is_picked_up_without_restart(app_client: TestClient, issuer: LocalIssuer) -> None:
    assert poll(app_client, issuer.token(sub="ann", kid="rsa-1")).status_code == 200  # type: ignore[attr-defined]
    new_kid = issuer.add_key("ed25519")  # the provider publishes a new key and signs with it
    issuer.published.remove("rsa-1")
    r = poll(app_client, issuer.token(sub="ann", kid=new_kid))
    assert r.status_code == 200, r.text  # type: ignore[attr-defined]


def test_jwks_server_down_keeps_cached_keys_working(jwt_settings, issuer: LocalIssuer) -> None:  # type: ignore[no-untyped-def]
    from reelq.app import create_app

    # short key-set cache and no token cache: every request verifies, and the key set is stale soon
    settings = jwt_settings.model_copy(update={"auth_jwks_cache_seconds": 0.2, "auth_cache_seconds": 0.0})
    with TestClient(create_app(settings)) as client:
        assert poll(client, issuer.token(sub="ann")).status_code == 200  # type: ignore[attr-defined]
        issuer.stop()
        time.sleep(0.3)
        r = poll(client, issuer.token(sub="ann", ttl=700))
        assert r.status_code == 200, r.text  # type: ignore[attr-defined]
        r = poll(client, issuer.token(sub="ben", kid="ec-2"))
        assert r.status_code == 200, r.text  # type: ignore[attr-defined]


def test_issuer_unreachable_before_any_key_is_503_not_401(jwt_settings, issuer: LocalIssuer) -> None:  # type: ignore[no-untyped-def]
    from reelq.app import create_app

    token = issuer.token()
    issuer.stop()
    with TestClient(create_app(jwt_settings)) as client:
        r = poll(client, token)
        assert r.status_code == 503  # type: ignore[attr-defined]
        assert r.json()["code"] == "identity_provider_unavailable"  # type: ignore[attr-defined]


def test_verification_is_cached_per_token(app_client: TestClient, issuer: LocalIssuer) -> None:
    token = issuer.token(sub="ann")
    assert poll(app_client, token).status_code == 200  # type: ignore[attr-defined]
    users = rt_of(app_client).users
    assert users.cached(token) is not None
    issuer.stop()  # nothing is fetched or verified again while cached
    assert poll(app_client, token).status_code == 200  # type: ignore[attr-defined]


def test_hs_and_none_cannot_be_configured() -> None:
    from reelq.config import Settings

    for bad in ("HS256", "none", "RS256,HS512"):
        with pytest.raises(ValueError):
            Settings(auth_algorithms=bad)  # type: ignore[call-arg]


def test_an_issuer_with_a_trailing_slash_is_matched_exactly(tmp_path: Path, issuer: LocalIssuer) -> None:
    """Auth0 writes ``iss`` with a trailing slash; discovery still works from that URL."""
    from reelq.app import create_app

    from support import fast_settings

    slash = issuer.issuer + "/"
    settings = fast_settings(
        tmp_path / "d", embedded_worker=False, auth_issuer=slash, auth_audience="reelq-tests"
    )
    with TestClient(create_app(settings)) as client:
        assert poll(client, issuer.token(iss=slash)).status_code == 200  # type: ignore[attr-defined]
        assert_401(poll(client, issuer.token()), "wrong_issuer")
