"""A local OpenID Connect issuer for tests and benchmarks: discovery + JWKS over real HTTP on 127.0.0.1.

Keys are generated here with ``cryptography``; tokens are signed with PyJWT. The server can rotate keys,
go down and come back, and counts JWKS fetches, so tests can show what the verifier fetched and when.
Its JWKS endpoint can also misbehave while the server stays up: ``jwks_mode = "hang"`` holds each request
open (until :meth:`stop` or ``jwks_mode`` changes back), ``"refuse"`` answers 503 at once.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

_ALG_OF = {"rsa": "RS256", "ec": "ES256", "ed25519": "EdDSA"}


class LocalIssuer:
    def __init__(self, audience: str = "reelq-tests") -> None:
        self.audience = audience
        self.keys: dict[str, tuple[str, Any]] = {}  # kid → (alg, private key)
        self.published: list[str] = []  # kids in the JWKS
        self.jwks_fetches = 0
        self.jwks_mode = "ok"  # "ok", "hang" or "refuse"
        self._released = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self.port = 0

    # -- keys --------------------------------------------------------------------------------------
    def add_key(self, kind: str = "rsa", *, publish: bool = True) -> str:
        private: Any
        if kind == "rsa":
            private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        elif kind == "ec":
            private = ec.generate_private_key(ec.SECP256R1())
        else:
            private = ed25519.Ed25519PrivateKey.generate()
        kid = f"{kind}-{len(self.keys) + 1}"
        self.keys[kid] = (_ALG_OF[kind], private)
        if publish:
            self.published.append(kid)
        return kid

    def jwks(self) -> dict[str, Any]:
        out = []
        for kid in self.published:
            alg, private = self.keys[kid]
            public = private.public_key()
            algo: Any = {"RS256": RSAAlgorithm, "ES256": ECAlgorithm, "EdDSA": OKPAlgorithm}[alg]
            jwk: dict[str, Any] = algo.to_jwk(public, as_dict=True)
            out.append({**jwk, "kid": kid, "alg": alg, "use": "sig"})
        return {"keys": out}

    def public_pem(self, kid: str) -> bytes:
        from cryptography.hazmat.primitives import serialization

        public = self.keys[kid][1].public_key()
        pem: bytes = public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return pem

    # -- tokens ------------------------------------------------------------------------------------
    def token(self, sub: str = "user-1", kid: str | None = None, ttl: float = 600, **claims: Any) -> str:
        """A signed token; ``claims`` override the defaults (``exp=None`` drops a claim)."""
        kid = kid or self.published[0]
        alg, private = self.keys[kid]
        at = int(time.time())
        payload: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": sub,
            "iat": at,
            "exp": at + int(ttl),
        }
        payload.update(claims)
        payload = {k: v for k, v in payload.items() if v is not None}
        return jwt.encode(payload, private, algorithm=alg, headers={"kid": kid})

    # -- the server --------------------------------------------------------------------------------
    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> LocalIssuer:
        owner = self
        self._released.clear()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path == "/.well-known/openid-configuration":
                    body: dict[str, Any] = {
                        "issuer": owner.issuer,
                        "jwks_uri": owner.issuer + "/jwks.json",
                        "id_token_signing_alg_values_supported": ["RS256", "ES256", "EdDSA"],
                    }
                elif self.path == "/jwks.json":
                    owner.jwks_fetches += 1
                    while owner.jwks_mode == "hang" and not owner._released.wait(0.05):
                        pass
                    if owner.jwks_mode != "ok":
                        with contextlib.suppress(OSError):  # the client may have given up waiting
                            self.send_error(503)
                        return
                    body = owner.jwks()
                else:
                    self.send_error(404)
                    return
                data = json.dumps(body).encode()
                with contextlib.suppress(OSError):  # the client may have given up waiting
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, name="local-issuer", daemon=True).start()
        return self

    def stop(self) -> None:
        """Take the server down (connections are refused until :meth:`start` on the same port)."""
        self._released.set()  # hanging requests end
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
