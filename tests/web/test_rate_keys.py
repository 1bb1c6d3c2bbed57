"""Console requests count under the session, signed artifact URLs under their job: neither spends the
anonymous per-address budget that strangers share."""

from __future__ import annotations

from pathlib import Path

from console_helpers import sign_in
from fastapi.testclient import TestClient

from reelq.app import create_app
from reelq.http.state import edge_of
from reelq.ids import new_id

from support import fast_settings


def test_console_and_signed_urls_are_not_anonymous(tmp_path: Path) -> None:
    settings = fast_settings(
        tmp_path / "data",
        embedded_worker=False,
        limit_anonymous_requests_per_second=3,
        limit_requests_per_second=1000,
    )
    app = create_app(settings)
    with TestClient(app) as c:
        sign_in(c, "alice")
        for path in ("/console/", "/console/static/console.js"):
            codes = {c.get(path).status_code for _ in range(12)}
            assert codes == {200}, path
        job = new_id()
        url = f"/api/jobs/{job}/artifacts/poster.jpg?{edge_of(app.state).signer.query(job, 'poster.jpg')}"
        c.cookies.clear()
        codes = {c.get(url).status_code for _ in range(12)}
        assert codes == {404}  # the job does not exist: refused by the route, not by a rate limit
        # a stranger still has the small budget of an address
        codes = {c.get("/api/jobs").status_code for _ in range(12)}
        assert 429 in codes
