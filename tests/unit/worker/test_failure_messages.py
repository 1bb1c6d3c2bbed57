"""What a failed job tells its user and their phone: a code and a sentence, never exception text.

The exception itself (class, text, traceback) is kept for an administrator in the job's events.
"""

from __future__ import annotations

import errno
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import av
import pytest
from fastapi.testclient import TestClient

from reelq.app import create_app
from reelq.errors import PermanentJobError
from reelq.runtime import Runtime
from reelq.testing.fake_expo import FakeExpo
from reelq.worker.child import classify

from support import fast_settings, make_user, wait_for

TOKEN = "ExponentPushToken[failurephone1]"


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def server_log() -> Iterator[_Records]:
    records = _Records()
    logging.getLogger("reelq.worker").addHandler(records)
    yield records
    logging.getLogger("reelq.worker").removeHandler(records)


def test_failed_job_message_and_push_carry_no_exception_text(
    tmp_path: Path, clip: Path, server_log: _Records
) -> None:
    with FakeExpo() as fake:
        fake.register(TOKEN)
        settings = fast_settings(
            tmp_path / "d",
            analyzer="reelq.testing.analyzers:explode",
            expo_api_url=fake.url,
            expo_retry_base_seconds=0.01,
            notify_retry_base_seconds=0,
            expo_receipt_delay_seconds=0,
        )
        with TestClient(create_app(settings)) as client:
            auth = make_user(client)
            r = client.post(
                "/api/upload",
                headers=auth,
                files={"video": ("iphone.mov", clip.read_bytes())},
                data={"push_token": TOKEN},
            )
            assert r.status_code == 202, r.text
            job_id = r.json()["job_id"]
            job = wait_for(
                lambda: (
                    (b := client.get(f"/api/results/job/{job_id}", headers=auth).json())["status"] == "failed"
                    and b
                ),
                30,
                0.1,
                "the job to fail",
            )
            [push] = wait_for(lambda: fake.messages_for(TOKEN), 30, 0.1, "the push")
            rt: Runtime = client.app.state.runtime  # type: ignore[attr-defined]
            events = rt.store.events(job_id)

    error = job["error"]
    assert error["code"] == "analyzer_error" and error["retryable"] is False
    assert error["message"].endswith(".") and "not a problem with your video" in error["message"]
    for text in (error["message"], push["title"], push["body"], json.dumps(push["data"])):
        assert "ZeroDivisionError" not in text and "simulated analyzer bug" not in text
        assert "Traceback" not in text and "Error:" not in text
    assert push["body"].startswith("iphone.mov: ") and push["data"]["error"] == "analyzer_error"

    # the administrator's view (`reelq jobs show`) and the server log have the whole story
    [note] = [e for e in events if e["event"] == "job.attempt_failed"]
    assert note["detail"]["exception"] == "ZeroDivisionError"
    assert note["detail"]["text"] == "simulated analyzer bug"
    assert "reelq/testing/analyzers.py" in note["detail"]["traceback"]
    assert [e["event"] for e in events][-1] == "job.failed"
    logged = [r for r in server_log.records if r.getMessage() == "job.attempt_failed"]
    assert logged and logged[0].exception == "ZeroDivisionError"  # type: ignore[attr-defined]


def test_classification_of_what_ends_an_analysis() -> None:
    no_thread = av.BlockingIOError(errno.EAGAIN, "Resource temporarily unavailable")
    assert classify(av.MemoryError(errno.ENOMEM, "Cannot allocate memory"), True)[0] == "memory_limit"
    assert classify(MemoryError(), False)[0] == "memory_limit"
    assert classify(no_thread, True)[0] == "memory_limit"  # a thread stack refused under RLIMIT_AS
    assert classify(no_thread, False)[:3:2] == ("io_error", True)
    assert classify(FileNotFoundError(2, "No such file", "/srv/data/x"), False)[:3:2] == ("io_error", True)
    assert classify(PermanentJobError("no_video_frames", "Said plainly."), True) == (
        "no_video_frames",
        "Said plainly.",
        False,
    )
    code, message, retryable = classify(TypeError("system() takes at most 1 argument (2 given)"), False)
    assert (code, retryable) == ("analyzer_error", False)
    assert "system()" not in message and "TypeError" not in message
