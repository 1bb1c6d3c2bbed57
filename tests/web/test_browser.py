"""The console in Debian's Chromium (Playwright) against a real `reelq serve`.

Skipped with a message when /usr/bin/chromium is missing, a failure with ``CI=true`` (``.ci/run`` installs
it). With ``REELQ_SCREENSHOTS=DIR`` the pages are also saved there (docs/images/console-*.png come from this).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from reelq.testing import make_clip
from reelq.testing.corpus import basic

from support import TEST_ANALYZERS, Server, base_env, ci, cli, poll_job, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    # skipped where Chromium is absent, a failure in CI (.ci/run installs it)
    why = "browser tests need Debian's Chromium: apt-get install -y chromium"
    if ci():
        pytest.fail(why, pytrace=False)
    pytest.skip(why, allow_module_level=True)

from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402

expect.set_options(timeout=30_000)

SLOW = "reelq.testing.analyzers:slow"
EXPLODE = "reelq.testing.analyzers:explode"
FLAKY = "reelq.testing.analyzers:flaky"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("console")
    env = base_env(
        root / "data",
        REELQ_ANALYZERS=TEST_ANALYZERS,
        REELQ_TEST_ANALYZER_SECONDS="60",
        REELQ_CONSOLE_ADMINS="root",
        REELQ_MAX_ATTEMPTS="1",
    )
    s = Server(env, "serve", log=root / "serve.log").start(wait=False)
    s.wait_ready(timeout=120)  # a loaded machine starts Python slowly
    yield s
    s.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    d = tmp_path_factory.mktemp("clips")
    # city.mp4 is the corpus clip with two cuts, a still stretch and a silent one to draw
    city = d / "city.mp4"
    shutil.move(basic(d).path, city)
    return [make_clip(d / "beach.mp4", seconds=2.0), city]


def token_for(server: Server, name: str) -> str:
    existing = cli(server.env, "users", "token", name, check=False)
    if existing.returncode == 0:
        return existing.stdout.strip()
    return cli(server.env, "users", "create", name).stdout.strip()


def signed_in(browser: Browser, server: Server, name: str, width: int = 1100) -> Page:
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.set_default_timeout(30_000)
    page.goto(server.url + "/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("API token").fill(token_for(server, name))
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Upload videos")).to_be_visible()
    return page


def shot(page: Page, name: str, tmp_path: Path) -> None:
    page.screenshot(path=str(tmp_path / f"console-{name}.png"), full_page=True)
    target = os.environ.get("REELQ_SCREENSHOTS")
    if target:
        shutil.copy(tmp_path / f"console-{name}.png", Path(target) / f"console-{name}.png")


def api(server: Server, name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(server, name)}"}


def api_upload(server: Server, name: str, clip: Path, **fields: str) -> str:
    with clip.open("rb") as f:
        r = httpx.post(
            server.url + "/api/upload",
            headers=api(server, name),
            files={"video": (clip.name, f)},
            data=fields,
        )
    assert r.status_code == 202, r.text
    return str(r.json()["job_id"])


def test_upload_two_clips_watch_them_complete_and_open_the_results(
    browser: Browser, server: Server, clips: list[Path], tmp_path: Path
) -> None:
    page = signed_in(browser, server, "alice")
    expect(page.get_by_text("No jobs yet")).to_be_visible()
    shot(page, "empty", tmp_path)
    page.evaluate("window.__notReloaded = true")
    page.set_input_files("#files", [str(c) for c in clips])
    bars = page.locator("#uploads progress")
    expect(bars).to_have_count(2)
    for i in range(2):
        expect(bars.nth(i)).to_have_js_property("value", 100, timeout=30_000)
    expect(page.locator("#uploads li.done")).to_have_count(2)
    rows = page.locator("#jobs tbody tr")
    expect(rows).to_have_count(2)
    # queued → completed in the list, live (no reload: the marker set above survives)
    for name in ("beach.mp4", "city.mp4"):
        row = rows.filter(has_text=name)
        expect(row.locator("[data-status]")).to_have_text("Done", timeout=60_000)
    assert page.evaluate("window.__notReloaded") is True
    # each finished row shows its poster, length and summary (arrived live, then after a reload too)
    for _ in range(2):
        for name in ("beach.mp4", "city.mp4"):
            row = rows.filter(has_text=name)
            thumb = row.locator("img.list-poster")
            expect(thumb).to_have_count(1)
            wait_for(lambda t=thumb: t.evaluate("i => i.complete && i.naturalWidth > 0"), 10, what="a poster")
            expect(row.locator(".duration")).to_have_text(re.compile(r"^\d+\.\d s$"))
            expect(row.locator(".list-summary")).not_to_be_empty()
        page.reload()
    shot(page, "jobs", tmp_path)
    # search by name, and filter by status
    page.get_by_label("Name").fill("CITY")
    page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("city.mp4")
    page.get_by_label("Status").select_option("failed")
    page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(0)
    expect(page.locator("#empty")).to_contain_text("No failed jobs with “CITY” in their name")
    page.goto(server.url + "/console/")

    rows.filter(has_text="city.mp4").get_by_role("link", name="city.mp4").click()
    expect(page.get_by_role("heading", name="city.mp4")).to_be_visible()
    poster = page.locator("img.poster")
    expect(poster).to_be_visible()
    scenes = page.locator("img.scene")
    assert scenes.count() >= 1
    for img in [poster, *scenes.all()]:
        img.scroll_into_view_if_needed()
        wait_for(lambda img=img: img.evaluate("i => i.complete && i.naturalWidth > 0"), 10, what="thumbnail")
    charts = page.locator("svg.chart")
    expect(charts).to_have_count(3)  # motion, brightness, loudness
    for svg in charts.all():
        assert int(svg.get_attribute("data-points") or 0) >= 4
        points = svg.locator("polyline").first.get_attribute("points") or ""
        assert len(points.split()) >= 4
    findings = page.locator(".findings li")
    assert findings.count() >= 3
    expect(page.locator(".findings")).to_contain_text("LUFS")
    assert page.locator("svg.chart line.cut").count() >= 2  # the corpus clip's two cuts, on each chart
    assert page.locator("svg.chart rect.span-still").count() >= 1
    assert page.locator("svg.chart rect.span-silent").count() >= 1
    raw = page.locator("pre.raw")
    expect(raw).to_be_hidden()
    page.get_by_text("Raw result (JSON)").click()
    expect(raw).to_be_visible()
    expect(raw).to_contain_text('"timelines"')
    # values on hover and on keyboard focus
    first_chart = charts.first
    readout = page.locator("figure .readout").first
    first_chart.hover(position={"x": 60, "y": 60})
    expect(readout).to_contain_text(" s: ")
    first_chart.focus()
    page.keyboard.press("End")
    last = readout.text_content()
    page.keyboard.press("Home")
    expect(readout).to_contain_text("0.")
    assert readout.text_content() != last
    # the player of the original seeks to a cut when its marker is clicked
    player = page.locator("video#player")
    expect(player).to_be_visible()
    page.wait_for_function("() => document.getElementById('player').readyState >= 1")
    cut = page.locator("button.marker-cut").nth(1)
    at = float(cut.get_attribute("data-seek") or "nan")
    assert at > 0.5
    cut.click()
    wait_for(lambda: abs(player.evaluate("v => v.currentTime") - at) < 0.1, 10, what="the player to seek")
    # … and to a chart's cut line when it is clicked
    line = page.locator("svg.chart line.cut").first
    line_at = float(line.get_attribute("data-t") or "nan")
    line.dispatch_event("click")
    wait_for(lambda: abs(player.evaluate("v => v.currentTime") - line_at) < 0.1, 10, what="a chart to seek")
    tick = page.locator("svg.chart text.tick").first
    desktop = tick.bounding_box()
    shot(page, "job", tmp_path)
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 400  # no sideways scrolling on a phone
    phone = tick.bounding_box()
    assert desktop and phone
    # chart labels keep their size and shape at phone width (not squashed with the plot)
    assert abs(phone["height"] - desktop["height"]) < 1 and abs(phone["width"] - desktop["width"]) < 1
    assert phone["height"] >= 10
    strip = page.locator("ol.strip")
    assert strip.evaluate("s => s.scrollWidth <= s.clientWidth + 1")  # scenes wrap, no hidden sideways scroll
    shot(page, "job-phone", tmp_path)
    page.close()


def test_cancel_a_slow_job_from_its_page(browser: Browser, server: Server, clips: list[Path]) -> None:
    page = signed_in(browser, server, "carol")
    job_id = api_upload(server, "carol", clips[0], analyzer=SLOW)
    page.goto(f"{server.url}/console/jobs/{job_id}")
    status = page.locator("#job [data-status]")
    expect(status).to_have_text("Being analysed", timeout=30_000)
    page.get_by_role("button", name="Cancel").focus()  # by keyboard
    page.keyboard.press("Enter")
    expect(status).to_have_text("Cancelled", timeout=30_000)
    expect(page.get_by_role("button", name="Retry")).to_be_visible()
    assert poll_job(server.url, api(server, "carol"), job_id, {"cancelled"})["status"] == "cancelled"
    page.close()


def test_admin_sees_a_worker_and_retries_a_failure(
    browser: Browser, server: Server, clips: list[Path], tmp_path: Path
) -> None:
    broken = api_upload(server, "dave", clips[0], analyzer=EXPLODE)  # a bug: another try cannot pass
    job_id = api_upload(server, "dave", clips[0], analyzer=FLAKY)  # a transient failure
    poll_job(server.url, api(server, "dave"), broken, {"failed"})
    first = poll_job(server.url, api(server, "dave"), job_id, {"failed"})
    page = signed_in(browser, server, "root")
    page.get_by_role("link", name="Admin").click()
    expect(page.get_by_role("heading", name="Workers")).to_be_visible()
    expect(page.locator("tr.worker")).to_have_count(1)
    expect(page.locator("tr.worker")).to_contain_text("ago")
    expect(page.locator("#day ~ figure svg.chart")).to_have_count(2)  # finished per hour, failure rate
    no_retry = page.locator(f'li.failed-job[data-job="{broken}"]')
    expect(no_retry.get_by_role("button", name="Retry")).to_have_count(0)
    expect(no_retry.locator(".not-retryable")).to_be_visible()
    failed = page.locator(f'li.failed-job[data-job="{job_id}"]')
    expect(failed).to_contain_text(clips[0].name)
    # live: a job that finishes while the page is open appears without a reload
    page.evaluate("window.__notReloaded = true")
    before = page.locator("#updated").text_content()
    late = api_upload(server, "dave", clips[0], analyzer=EXPLODE)
    expect(page.locator(f'li.failed-job[data-job="{late}"]')).to_be_visible(timeout=30_000)
    assert page.evaluate("window.__notReloaded") is True
    assert page.locator("#updated").text_content() != before
    shot(page, "admin", tmp_path)
    failed.get_by_role("button", name=f"Retry {clips[0].name}").click()
    expect(page.get_by_role("heading", name="Workers")).to_be_visible()

    def failed_again() -> dict[str, Any] | None:
        body: dict[str, Any] = httpx.get(
            f"{server.url}/api/results/job/{job_id}", headers=api(server, "dave")
        ).json()
        again = body["status"] == "failed" and body["finished_at"] != first["finished_at"]
        return body if again else None

    wait_for(failed_again, 30, 0.2, "the retried job to run (and fail) again")
    # a user who is not an admin has no admin page
    other = signed_in(browser, server, "alice")
    expect(other.get_by_role("link", name="Admin")).to_have_count(0)
    assert other.goto(f"{server.url}/console/admin").status == 404  # type: ignore[union-attr]
    page.close()
    other.close()


def test_pause_and_resume_an_upload(browser: Browser, server: Server, clips: list[Path]) -> None:
    page = signed_in(browser, server, "erin")
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(  # a slow uplink, so there is time to pause
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 20, "downloadThroughput": -1, "uploadThroughput": 40_000},
    )
    page.set_input_files("#files", [str(clips[1])])
    item = page.locator("#uploads li")
    bar = item.locator("progress")
    page.wait_for_function(
        "() => { const b = document.querySelector('#uploads progress'); return b && b.value > 0; }"
    )
    item.get_by_role("button", name="Pause").click()
    expect(item.locator(".upload-state")).to_have_text("Paused")
    paused_at = bar.evaluate("b => b.value")
    assert 0 < paused_at < 100
    page.wait_for_timeout(1000)
    assert bar.evaluate("b => b.value") == paused_at  # nothing moves while paused
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    item.get_by_role("button", name="Resume").click()
    expect(bar).to_have_js_property("value", 100)
    expect(item).to_contain_text("Uploaded")
    page.close()


def test_a_refused_upload_shows_as_refused(browser: Browser, server: Server, tmp_path: Path) -> None:
    notes = tmp_path / "notes.mp4"  # named like a video, but text: the server answers 415
    notes.write_bytes(b"these are meeting notes, not a video\n" * 2000)
    page = signed_in(browser, server, "fran")
    page.set_input_files("#files", [str(notes)])
    item = page.locator("#uploads li")
    expect(item).to_have_attribute("data-state", "refused")
    expect(item).to_have_class("upload refused")
    expect(item.locator(".upload-state")).to_contain_text("Refused:")
    expect(item.locator(".upload-state")).to_contain_text("video")  # the server's reason, in its words
    expect(item.get_by_role("button", name="Resume")).to_have_count(0)  # another try cannot pass
    expect(item.locator("progress")).to_have_count(0)  # no full bar that looks like success
    assert page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('tus::')).length") == 0
    page.close()


def test_an_upload_resumes_after_a_reload_from_its_offset(
    browser: Browser, server: Server, clips: list[Path]
) -> None:
    clip = clips[1]
    total = clip.stat().st_size
    page = signed_in(browser, server, "gail")
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 20, "downloadThroughput": -1, "uploadThroughput": 40_000},
    )
    dialogs: list[str] = []

    def leave(dialog: Any) -> None:
        dialogs.append(dialog.type)
        dialog.accept()

    page.on("dialog", leave)
    page.set_input_files("#files", [str(clip)])
    page.wait_for_function(
        "() => { const b = document.querySelector('#uploads progress'); return b && b.value >= 20; }"
    )
    page.reload()
    assert dialogs == ["beforeunload"]  # leaving mid-upload asks first
    expect(page.get_by_role("heading", name="Upload videos")).to_be_visible()
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    sent: list[tuple[str, dict[str, str]]] = []
    heads: list[int] = []
    page.on("request", lambda r: sent.append((r.method, r.headers)) if "/console/uploads" in r.url else None)
    page.on(
        "response",
        lambda r: (
            heads.append(int(r.headers["upload-offset"]))
            if r.request.method == "HEAD" and "/console/uploads" in r.url
            else None
        ),
    )
    page.set_input_files("#files", [str(clip)])  # the same file, picked again
    item = page.locator("#uploads li")
    expect(item).to_have_attribute("data-state", "done")
    assert [m for m, _ in sent if m == "POST"] == []  # no new upload was made
    assert len(heads) == 1 and 0 < heads[0] < total  # the server had part of it
    patches = [h for m, h in sent if m == "PATCH"]
    assert int(patches[0]["upload-offset"]) == heads[0]  # and the rest was sent from there
    # the fingerprint is dropped once the upload is done
    assert page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('tus::')).length") == 0
    page.close()
