"""The identity provider's key set while it hangs or refuses: one fetch in flight, failures back off, and no
request waits longer than the fetch timeout (a real local issuer over HTTP, real keys)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from reelq.auth.jwt import JwtConfig, JwtVerifier
from reelq.errors import Unauthorized, Unavailable
from reelq.testing.oidc import LocalIssuer

TIMEOUT = 0.5


@pytest.fixture
def issuer() -> Iterator[LocalIssuer]:
    iss = LocalIssuer(audience="reelq-tests")
    iss.add_key("rsa")
    iss.start()
    yield iss
    iss.stop()


def verifier_of(issuer: LocalIssuer, **changes: object) -> JwtVerifier:
    values: dict[str, object] = {
        "issuer": issuer.issuer,
        "jwks_url": None,
        "audience": ("reelq-tests",),
        "algorithms": ("RS256", "ES256"),
        "timeout": TIMEOUT,
        "jwks_refresh_seconds": 0.0,
    }
    values.update(changes)
    return JwtVerifier(JwtConfig(**values))  # type: ignore[arg-type]


def verify_all(verifier: JwtVerifier, tokens: list[str]) -> list[tuple[float, BaseException | None]]:
    """Verify every token on its own thread at once; (seconds taken, error) per token."""
    out: list[tuple[float, BaseException | None]] = [(0.0, None)] * len(tokens)
    start = threading.Barrier(len(tokens))

    def one(i: int) -> None:
        start.wait()
        t0 = time.monotonic()
        try:
            verifier.verify(tokens[i])
            out[i] = (time.monotonic() - t0, None)
        except (Unauthorized, Unavailable) as exc:
            out[i] = (time.monotonic() - t0, exc)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(tokens))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return out


def test_a_hanging_jwks_is_fetched_once_and_no_request_waits_past_the_timeout(issuer: LocalIssuer) -> None:
    issuer.jwks_mode = "hang"
    verifier = verifier_of(issuer)
    results = verify_all(verifier, [issuer.token(sub=f"u{i}") for i in range(20)])
    assert all(isinstance(err, Unavailable) for _, err in results), results
    assert all(err.code == "identity_provider_unavailable" for _, err in results)  # type: ignore[union-attr]
    assert max(took for took, _ in results) < TIMEOUT + 0.4, results
    assert issuer.jwks_fetches == 1


def test_after_a_failed_fetch_requests_fail_fast_without_asking_the_provider(issuer: LocalIssuer) -> None:
    issuer.jwks_mode = "hang"
    verifier = verifier_of(issuer)
    with pytest.raises(Unavailable):
        verifier.verify(issuer.token())
    time.sleep(0.1)  # the fetch has given up
    fetches = issuer.jwks_fetches
    t0 = time.monotonic()
    for i in range(30):
        with pytest.raises(Unavailable):
            verifier.verify(issuer.token(sub=f"u{i}"))
    assert time.monotonic() - t0 < 0.5  # no request waited on the provider
    assert issuer.jwks_fetches == fetches  # backing off: no request reached it


def test_a_refusing_jwks_is_not_fetched_per_request(issuer: LocalIssuer) -> None:
    issuer.jwks_mode = "refuse"
    verifier = verifier_of(issuer)
    for i in range(30):
        with pytest.raises(Unavailable):
            verifier.verify(issuer.token(sub=f"u{i}"))
    assert issuer.jwks_fetches == 1


def test_the_keys_are_fetched_again_after_the_back_off(issuer: LocalIssuer) -> None:
    from reelq.auth import jwks

    issuer.jwks_mode = "refuse"
    verifier = verifier_of(issuer)
    with pytest.raises(Unavailable):
        verifier.verify(issuer.token())
    issuer.jwks_mode = "ok"
    time.sleep(jwks.BACKOFF_FIRST_SECONDS + 0.1)
    assert verifier.verify(issuer.token(sub="ann")).subject == "ann"


def test_known_keys_serve_without_waiting_while_a_refresh_hangs(issuer: LocalIssuer) -> None:
    verifier = verifier_of(issuer, jwks_cache_seconds=0.1)
    assert verifier.verify(issuer.token(sub="ann")).subject == "ann"
    issuer.jwks_mode = "hang"
    time.sleep(0.2)  # the key set is stale: the next request starts a refresh, and does not wait for it
    results = verify_all(verifier, [issuer.token(sub=f"u{i}") for i in range(10)])
    assert [err for _, err in results] == [None] * 10
    assert max(took for took, _ in results) < 0.3, results
