"""One job, three surfaces: the CLI, the console page and the Python client show the same summary and
findings, the analyzer's own words (a real `reelq serve`, the real `reelq results` command)."""

from __future__ import annotations

import html
import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from analysis_media import moving_picture, tone, write

from reelq.client import Client

from support import Server, base_env, cli

pytestmark = pytest.mark.e2e

FINDING = re.compile(r'<li class="finding-(ok|info|warn)" data-code="([^"]+)">([^<]*)</li>')
SUMMARY = re.compile(r'<p class="summary">([^<]*)</p>')


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data = tmp_path_factory.mktemp("findings-server")
    server = Server(base_env(data / "data", REELQ_LOG_LEVEL="WARNING"), "serve", log=data / "serve.log")
    server.start(wait=False)
    server.wait_ready(timeout=120)
    yield server
    server.stop()


def test_cli_console_and_client_show_the_same_findings(server: Server, tmp_path: Path) -> None:
    # a heavily compressed clip with a pause in its sound: findings of every level
    picture = moving_picture()
    sound = tone(3.0, amplitude=0.2)
    sound[48000:96000] = 0.0
    clip = write(
        tmp_path / "low.mp4", [picture(i) for i in range(90)], bit_rate=30_000, audio=sound.reshape(1, -1)
    )
    token = cli(server.env, "users", "create", f"u{time.monotonic_ns()}").stdout.strip()
    with Client(server.url, token) as client:
        job = client.upload(clip)
        done = client.wait_for(job.job_id, timeout=120)
    assert done.status.value == "completed", done
    result = done.result
    assert isinstance(result, dict)
    expected = [(f["level"], f["text"]) for f in result["findings"]]
    assert {"ok", "info", "warn"} <= {level for level, _ in expected}
    assert any(f["code"] == "compression.heavy" for f in result["findings"])

    # the CLI, as a user runs it
    env = {**server.env, "REELQ_URL": server.url, "REELQ_TOKEN": token}
    out = cli(env, "results", job.job_id).stdout.splitlines()
    assert f"  summary    {result['summary']}" in out
    printed = [
        (line[2:12].strip(), line[13:]) for line in out if line[2:12].strip() in ("ok", "info", "warn")
    ]
    assert printed == expected

    # the console page, signed in with the same token
    with httpx.Client(base_url=server.url, timeout=30) as browser:
        signed = browser.post("/console/sign-in", data={"token": token}, follow_redirects=False)
        assert signed.status_code == 303, signed.text
        page = browser.get(f"/console/jobs/{job.job_id}").text
    shown = [(level, html.unescape(text)) for level, _code, text in FINDING.findall(page)]
    assert shown == expected
    codes = [code for _level, code, _text in FINDING.findall(page)]
    assert codes == [f["code"] for f in result["findings"]]
    # scene pictures are labelled with the scene's span, not the thumbnail's time
    for i, scene in enumerate(result["scenes"]):
        assert f'alt="Scene {i + 1}: {scene["start"]:.1f}–{scene["end"]:.1f} s"' in page
    summary = SUMMARY.search(page)
    assert summary is not None and html.unescape(summary.group(1)) == result["summary"]
