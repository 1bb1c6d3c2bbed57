"""The app's artifact URL signer (made once with the edge state; see ``reelq.auth.signing``)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from reelq.auth.signing import UrlSigner
from reelq.http.state import edge_of


def signer_of(request: Request) -> UrlSigner:
    return signer_of_state(request.app.state)


def signer_of_state(state: Any) -> UrlSigner:
    return edge_of(state).signer
