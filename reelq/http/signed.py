"""The app's artifact URL signer, made on first use from its settings (see ``reelq.auth.signing``)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from reelq.auth.signing import UrlSigner, signer_for
from reelq.runtime import Runtime


def signer_of(request: Request) -> UrlSigner:
    return signer_of_state(request.app.state)


def signer_of_state(state: Any) -> UrlSigner:
    found = getattr(state, "url_signer", None)
    if isinstance(found, UrlSigner):
        return found
    rt: Runtime = state.runtime
    s = rt.settings
    secret = s.signing_secret.get_secret_value() if s.signing_secret is not None else None
    made = signer_for(s.data_dir, secret, s.artifact_url_seconds)
    state.url_signer = made
    return made
