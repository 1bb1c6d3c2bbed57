"""An admin's server-wide webhook receives every user's job events; each payload names the job's user."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from reelq.app import create_app
from reelq.ids import new_id
from reelq.jobs.states import JobStatus
from reelq.runtime import Runtime
from reelq.testing.oidc import LocalIssuer

from support import fast_settings


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class Receiver:
    def __init__(self) -> None:
        self.got: list[dict[str, Any]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                receiver.got.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def finish(rt: Runtime, user_id: str) -> str:
    """One job driven to completed through the real store (what a worker does, minus analysis)."""
    job_id = new_id()
    rt.store.insert(
        {
            "id": job_id,
            "user_id": user_id,
            "analyzer": "probe",
            "max_attempts": 3,
            "file_name": "a.mp4",
            "file_size": 10,
            "file_sha256": "0" * 64,
            "content_type": "video/mp4",
            "source_path": f"users/{user_id}/jobs/{job_id}/source.mp4",
        }
    )
    lease = new_id()
    assert rt.store.claim(job_id, lease, "test", 30) is not None
    rt.store.finish(job_id, lease, JobStatus.COMPLETED, result={"ok": True})
    return job_id


def test_server_wide_webhook_gets_every_users_events_with_the_user(
    tmp_path: Path, receiver: Receiver, issuer: LocalIssuer
) -> None:
    settings = fast_settings(
        tmp_path / "data",
        embedded_worker=False,
        webhook_allow_private=True,
        auth_issuer=issuer.issuer,
        auth_audience="reelq-tests",
    )
    with TestClient(create_app(settings)) as c:
        rt: Runtime = c.app.state.runtime  # type: ignore[attr-defined]
        _, admin_token = rt.users.create("root", admin=True)
        admin = bearer(admin_token)
        r = c.post("/api/admin/webhooks", headers=admin, json={"url": receiver.url})
        assert r.status_code == 201, r.text
        assert r.json()["secret"].startswith("whsec_") and r.json()["all_users"] is True
        hook_id = r.json()["id"]
        assert [h["id"] for h in c.get("/api/admin/webhooks", headers=admin).json()["webhooks"]] == [hook_id]

        classic, _ = rt.users.create("classic")
        login = issuer.token(sub="app|ann")
        assert c.get("/api/jobs", headers=bearer(login)).status_code == 200  # creates the login user
        ann = rt.users.cached(login)
        assert ann is not None
        # a plain user's own webhook still sees only its own jobs
        _, plain_token = rt.users.create("plain")
        own = c.post("/api/webhooks", headers=bearer(plain_token), json={"url": receiver.url + "/own"})
        assert own.status_code == 201

        jobs = {finish(rt, classic.id): classic.id, finish(rt, ann.id): ann.id}
        assert rt.notifier is not None
        rt.notifier.send_pending()
        assert {e["data"]["job_id"] for e in receiver.got} == set(jobs)
        assert len(receiver.got) == 2  # the plain user's endpoint got nothing of theirs
        for e in receiver.got:
            user = e["data"]["user"]
            assert user["id"] == jobs[e["data"]["job_id"]]
            if user["id"] == ann.id:
                assert (user["issuer"], user["subject"]) == (issuer.issuer, "app|ann")
            else:
                assert user["name"] == "classic" and user["subject"] is None

        plain = bearer(plain_token)
        assert c.get("/api/admin/webhooks", headers=plain).status_code == 404
        assert c.delete(f"/api/admin/webhooks/{hook_id}", headers=admin).status_code == 204
        assert c.get("/api/admin/webhooks", headers=admin).json()["webhooks"] == []


@pytest.mark.parametrize("change", [{"admin": False}, {"disabled": True}])
def test_a_demoted_or_disabled_admins_server_wide_webhook_gets_nothing(
    tmp_path: Path, receiver: Receiver, change: dict[str, bool]
) -> None:
    settings = fast_settings(tmp_path / "data", embedded_worker=False, webhook_allow_private=True)
    with TestClient(create_app(settings)) as c:
        rt: Runtime = c.app.state.runtime  # type: ignore[attr-defined]
        ops, ops_token = rt.users.create("ops", admin=True)
        _, root_token = rt.users.create("root", admin=True)
        r = c.post("/api/admin/webhooks", headers=bearer(ops_token), json={"url": receiver.url})
        assert r.status_code == 201, r.text
        victim, _ = rt.users.create("victim")
        assert rt.notifier is not None

        queued = finish(rt, victim.id)  # its row is written while ops is still an admin, sent after
        r = c.patch(f"/api/admin/users/{ops.id}", headers=bearer(root_token), json=change)
        assert r.status_code == 200, r.text
        finish(rt, victim.id)
        rt.notifier.send_pending()
        assert receiver.got == []
        states = {(n["state"], n["error"]["code"]) for n in rt.notifier.outbox.history(queued)}
        assert states == {("skipped", "owner_not_admin")}
        # the other admins still see the hook and can remove it
        assert [h["id"] for h in c.get("/api/admin/webhooks", headers=bearer(root_token)).json()["webhooks"]]

        back = {"admin": True} if "admin" in change else {"disabled": False}
        assert c.patch(f"/api/admin/users/{ops.id}", headers=bearer(root_token), json=back).status_code == 200
        job_id = finish(rt, victim.id)
        rt.notifier.send_pending()
        assert [e["data"]["job_id"] for e in receiver.got] == [job_id]  # an admin again: events resume
