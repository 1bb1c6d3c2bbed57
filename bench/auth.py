"""Authenticated status polls per second: a login token (RS256 JWT from a local OIDC issuer) against a
reelq API token, on the same server, loaded the same way in the same run.

    ./dev bench auth [--seconds 5] [--connections 4] [--rounds 3]

Target: JWT ≥ 0.8× the API token (median of the rounds). A JWT is verified once and then answered from
the per-token auth cache (REELQ_AUTH_CACHE_SECONDS); the per-token request limit is on (set very high)
so its counting is part of both paths. Also reports the cost of one uncached verification.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import httpx
from _common import emit, free_port, load, median, reelq, reelq_env, start_reelq

from reelq.auth.jwt import JwtConfig, JwtVerifier
from reelq.testing import make_clip
from reelq.testing.oidc import LocalIssuer


def verify_cost(issuer: LocalIssuer, n: int = 300) -> float:
    """Microseconds of one full RS256 verification (key set already fetched), without any cache."""
    config = JwtConfig(issuer.issuer, None, (issuer.audience,), ("RS256",))
    verifier = JwtVerifier(config)
    tokens = [issuer.token(sub=f"u{i}") for i in range(n)]
    verifier.verify(tokens[0])
    start = time.perf_counter()
    for token in tokens:
        verifier.verify(token)
    return (time.perf_counter() - start) / n * 1e6


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--connections", type=int, default=4)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()

    issuer = LocalIssuer(audience="reelq-bench")
    issuer.add_key("rsa")
    issuer.start()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        env = reelq_env(
            data,
            REELQ_ANALYZER="reelq.testing.analyzers:noop",
            REELQ_AUTH_ISSUER=issuer.issuer,
            REELQ_AUTH_AUDIENCE="reelq-bench",
            REELQ_LIMIT_REQUESTS_PER_SECOND="1000000",
        )
        api_token = reelq(env, "users", "create", "bench")
        jwt_token = issuer.token(sub="bench-login", ttl=3600)
        port = free_port()
        server = start_reelq(env, port)
        clip = make_clip(Path(tmp) / "clip.mp4", seconds=1.0).read_bytes()
        base = f"http://127.0.0.1:{port}"
        requests: dict[str, bytes] = {}
        try:
            for kind, token in (("api", api_token), ("jwt", jwt_token)):
                auth = {"Authorization": f"Bearer {token}"}
                r = httpx.post(
                    f"{base}/api/upload", headers=auth, files={"video": ("c.mp4", clip)}, timeout=30
                )
                r.raise_for_status()
                job_id = r.json()["job_id"]
                httpx.get(f"{base}/api/results/job/{job_id}?wait=10", headers=auth, timeout=30)
                head = f"GET /api/results/job/{job_id} HTTP/1.1\r\nHost: x\r\n"
                requests[kind] = f"{head}Authorization: Bearer {token}\r\n\r\n".encode()
            rows = [["round", "API token req/s", "JWT req/s", "ratio"]]
            api_rates, jwt_rates, ratios = [], [], []
            load(port, requests["api"], 1.0, args.connections)  # warm-up
            load(port, requests["jwt"], 1.0, args.connections)
            for i in range(args.rounds):
                api, bad1 = load(port, requests["api"], args.seconds, args.connections)
                jwt, bad2 = load(port, requests["jwt"], args.seconds, args.connections)
                if bad1 or bad2:
                    raise SystemExit(f"non-200 answers: API token {bad1}, JWT {bad2}")
                api_rates.append(api)
                jwt_rates.append(jwt)
                ratios.append(jwt / api)
                rows.append([str(i + 1), f"{api:.0f}", f"{jwt:.0f}", f"{jwt / api:.2f}"])
        finally:
            server.terminate()
            server.wait()
    cost = verify_cost(issuer)
    issuer.stop()
    ratio = median(ratios)
    rows.append(["median", f"{median(api_rates):.0f}", f"{median(jwt_rates):.0f}", f"{ratio:.2f}"])
    rows.append(["uncached RS256 verification", "", f"{cost:.0f} µs", ""])
    emit(
        rows,
        {
            "bench": "auth",
            "api_token_rps": round(median(api_rates)),
            "jwt_rps": round(median(jwt_rates)),
            "ratio": round(ratio, 3),
            "uncached_verify_us": round(cost),
            "target_ratio": 0.8,
            "pass": ratio >= 0.8,
        },
    )


if __name__ == "__main__":
    main()
