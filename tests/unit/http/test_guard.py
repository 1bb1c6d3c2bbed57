"""The body guard: a caller before any body byte, a size limit and an idle deadline on every body."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from fastapi.testclient import TestClient
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse
from starlette.types import Message, Receive, Scope, Send

from reelq.app import create_app
from reelq.http.guard import BodyGuard

from support import fast_settings, make_user


def test_json_routes_refuse_a_stranger_before_the_body_and_bound_a_caller_body(tmp_path: Path) -> None:
    app = create_app(fast_settings(tmp_path / "data", embedded_worker=False, max_json_body_bytes=4096))
    with TestClient(app) as c:
        junk = b"{" * 200_000  # not JSON: parsing it first would answer 400
        for path in ("/api/admin/users", "/api/devices", "/api/webhooks"):
            r = c.post(path, content=junk, headers={"Content-Type": "application/json"})
            assert r.status_code == 401, (path, r.text)
            assert r.headers["connection"] == "close"
        auth = make_user(c)
        r = c.post("/api/devices", content=junk, headers={**auth, "Content-Type": "application/json"})
        assert r.status_code == 413 and r.json()["code"] == "body_too_large"

        def chunks() -> Any:
            for _ in range(10):
                yield b" " * 1000

        r = c.post("/api/devices", content=chunks(), headers={**auth, "Content-Type": "application/json"})
        assert r.status_code == 413 and r.json()["code"] == "body_too_large"
        ok = c.post("/api/devices", json={"push_token": "ExponentPushToken[abc]"}, headers=auth)
        assert ok.status_code in (200, 201), ok.text


async def test_a_body_that_stops_arriving_is_answered_408(tmp_path: Path) -> None:
    settings = fast_settings(tmp_path / "data", upload_idle_seconds=0.2)
    owner = SimpleNamespace(state=SimpleNamespace(runtime=SimpleNamespace(settings=settings)))

    async def route(scope: Scope, receive: Receive, send: Send) -> None:
        try:
            body = await Request(scope, receive).body()
        except ClientDisconnect:  # what the route sees when the guard ends the body
            body = b""
        await JSONResponse({"got": len(body)})(scope, receive, send)

    calls = 0

    async def trickle() -> Message:
        nonlocal calls
        calls += 1
        if calls == 1:
            return {"type": "http.request", "body": b"{", "more_body": True}
        await asyncio.sleep(3600)  # the client stops sending
        raise AssertionError

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/healthz",
        "headers": [(b"content-type", b"application/json"), (b"transfer-encoding", b"chunked")],
    }
    await asyncio.wait_for(BodyGuard(route, owner)(scope, trickle, send), 2.0)
    assert sent[0]["status"] == 408
    assert json.loads(sent[1]["body"])["code"] == "body_timeout"
    assert len([m for m in sent if m["type"] == "http.response.start"]) == 1  # the route's answer is dropped
