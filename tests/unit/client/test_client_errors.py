"""problem+json answers become typed errors with code, status, retryable and retry_after."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from reelq_client import errors
from reelq_client._base import RetryPolicy, retryable_exception, retryable_status


def problem(status: int, code: str, **headers: str) -> httpx.Response:
    body = {
        "type": f"https://reelq.dev/problems/{code}",
        "title": "T",
        "status": status,
        "detail": "D",
        "code": code,
    }
    return httpx.Response(status, json=body, headers={"content-type": "application/problem+json", **headers})


@pytest.mark.parametrize(
    ("status", "cls", "retryable"),
    [
        (400, errors.BadRequest, False),
        (401, errors.Unauthorized, False),
        (404, errors.NotFound, False),
        (409, errors.Conflict, False),
        (410, errors.Gone, False),
        (413, errors.TooLarge, False),
        (415, errors.UnsupportedMedia, False),
        (423, errors.Locked, True),
        (429, errors.RateLimited, True),
        (460, errors.ChecksumMismatch, True),
        (500, errors.ServerError, True),
        (502, errors.ServerError, True),
        (503, errors.Unavailable, True),
        (507, errors.InsufficientStorage, True),
    ],
)
def test_each_status_has_its_class(status: int, cls: type[errors.ReelqClientError], retryable: bool) -> None:
    exc = errors.from_response(problem(status, "some_code"))
    assert type(exc) is cls
    assert (exc.status, exc.code, exc.detail, exc.title, exc.retryable) == (
        status,
        "some_code",
        "D",
        "T",
        retryable,
    )
    assert str(exc) == f"{status} some_code: D"


def test_an_answer_without_problem_json_still_has_a_status_and_a_code() -> None:
    exc = errors.from_response(httpx.Response(413, text="<html>nginx</html>"))
    assert isinstance(exc, errors.TooLarge) and exc.code == "upload_too_large" and exc.problem == {}
    other = errors.from_response(httpx.Response(418))
    assert type(other) is errors.ReelqClientError and other.status == 418


def test_retry_after_in_seconds_or_as_a_date() -> None:
    assert errors.from_response(problem(429, "rate_limited", **{"Retry-After": "7"})).retry_after == 7.0
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    seconds = errors.from_response(problem(503, "unavailable", **{"Retry-After": later})).retry_after
    assert seconds is not None and 25 <= seconds <= 31
    assert errors.from_response(problem(429, "x", **{"Retry-After": "soon"})).retry_after is None
    assert errors.from_response(problem(429, "x")).retry_after is None


def test_delay_honours_retry_after_with_a_little_jitter_and_backs_off_otherwise() -> None:
    policy = RetryPolicy(base=0.5, cap=4.0)
    waits = [policy.delay(0, 3.0) for _ in range(200)]
    assert min(waits) >= 3.0 and max(waits) <= 3.6 and len(set(waits)) > 100
    assert all(0.25 <= policy.delay(0, None) <= 0.5 for _ in range(100))
    assert all(0.25 <= policy.delay(10, None) <= 4.0 for _ in range(100))  # capped


def test_what_is_retried() -> None:
    assert retryable_status(429, "POST") and retryable_status(503, "POST") and retryable_status(423, "PATCH")
    assert retryable_status(502, "GET") and not retryable_status(502, "POST")  # the POST may have happened
    assert not retryable_status(404, "GET") and not retryable_status(500, "GET")
    req = httpx.Request("POST", "http://x")
    assert retryable_exception(httpx.ConnectError("refused", request=req), "POST")  # never sent
    assert not retryable_exception(httpx.ReadTimeout("slow", request=req), "POST")
    assert retryable_exception(httpx.ReadTimeout("slow", request=req), "GET")


def test_the_wait_loop_pauses_only_when_an_answer_came_at_once_with_nothing_new() -> None:
    from reelq_client._base import Pacer

    pacer = Pacer()
    assert pacer.pause(True, 0.01, 2.0) == 0.0  # something changed
    assert pacer.pause(False, 0.01, 2.0) == 2.0  # nothing new, at once: wait Retry-After
    assert pacer.pause(False, 0.01, None) == 1.0
    assert pacer.pause(False, 0.01, 60.0) == 5.0  # capped
    assert pacer.pause(False, 30.0, 2.0) == 0.0  # the server held it: a real long-poll
