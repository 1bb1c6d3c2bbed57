"""The Expo client against the fake Expo service over real HTTP."""

from __future__ import annotations

import pytest

from reelq.notify.push.expo import ExpoClient, ExpoRequestError, ExpoUnavailable, chunk_messages
from reelq.testing.expo_shapes import HTML_502
from reelq.testing.fake_expo import FakeExpo

A, B, C = "ExponentPushToken[aaa]", "ExpoPushToken[bbb]", "ExponentPushToken[ccc]"


def msg(to: str | list[str], **extra: object) -> dict[str, object]:
    return {"to": to, "title": "Analysis ready", "body": "done", "data": {"jobId": "j1"}, **extra}


def test_tickets_map_by_position_and_device_not_registered_has_no_id(
    fake: FakeExpo, expo: ExpoClient
) -> None:
    fake.register(A)
    fake.register(B, registered=False)
    tickets = expo.send([msg(A), msg(B), msg("ExponentPushToken-garbage")])
    assert [t.ok for t in tickets] == [True, False, False]
    assert tickets[0].id and tickets[1].id is None
    assert tickets[1].error == "DeviceNotRegistered"
    assert tickets[1].details["expoPushToken"] == B
    assert "not a valid Expo push token" in (tickets[2].message or "")


def test_single_message_gets_a_single_ticket_object(fake: FakeExpo, expo: ExpoClient) -> None:
    fake.register(A)
    [ticket] = expo.send([msg(A)])
    assert ticket.ok
    # The one-object answer shape is what a single-object body gets; our client always sends a list.
    assert isinstance(fake.send_requests()[0].body, list)


def test_429_then_200_retries_once_with_backoff(fake: FakeExpo, expo: ExpoClient) -> None:
    fake.register(A)
    fake.inject(429, {"errors": [{"code": "TOO_MANY_REQUESTS", "message": "Exceeded 600 notifications"}]})
    [ticket] = expo.send([msg(A)])
    assert ticket.ok
    assert len(fake.send_requests()) == 2
    assert len(expo.delays) == 1 and expo.delays[0] > 0  # type: ignore[attr-defined]
    assert len(fake.messages_for(A)) == 1


def test_503_with_an_html_body_is_retried_not_a_parse_crash(fake: FakeExpo, expo: ExpoClient) -> None:
    fake.register(A)
    fake.inject(503, "no healthy upstream", "text/plain")
    fake.inject(502, HTML_502, "text/html")
    [ticket] = expo.send([msg(A)])
    assert ticket.ok
    assert [r.status for r in fake.send_requests()] == [503, 502, 200]


def test_retries_run_out_as_expo_unavailable(fake: FakeExpo, expo: ExpoClient) -> None:
    for _ in range(4):
        fake.inject(503, "<html><body>503 Service Unavailable</body></html>", "text/html")
    with pytest.raises(ExpoUnavailable, match="503"):
        expo.send([msg(A)])
    assert len(fake.send_requests()) == 4


def test_a_dropped_connection_is_retried(fake: FakeExpo, expo: ExpoClient) -> None:
    fake.register(A)
    fake.drop_next = 1
    assert expo.send([msg(A)])[0].ok
    assert len(fake.messages_for(A)) == 1


def test_validation_error_is_not_retried(fake: FakeExpo, expo: ExpoClient) -> None:
    with pytest.raises(ExpoRequestError) as info:
        expo.send([msg(A, interruptionLevel="timeSensitive")])
    assert info.value.code == "VALIDATION_ERROR" and info.value.status == 400
    assert len(fake.send_requests()) == 1


def test_errors_inside_a_200_are_errors(fake: FakeExpo, expo: ExpoClient) -> None:
    fake.inject(200, {"errors": [{"code": "PUSH_TOO_MANY_NOTIFICATIONS", "message": "divide"}]})
    with pytest.raises(ExpoRequestError, match="PUSH_TOO_MANY_NOTIFICATIONS"):
        expo.send([msg(A)])


def test_wrong_ticket_count_is_not_trusted(fake: FakeExpo, expo: ExpoClient) -> None:
    fake.inject(200, {"data": [{"status": "ok", "id": "x"}]})
    with pytest.raises(ExpoUnavailable, match="1 tickets for 2"):
        expo.send([msg(A), msg(C)])


def test_the_fake_refuses_more_than_100_recipients_and_chunking_avoids_it(
    fake: FakeExpo, expo: ExpoClient
) -> None:
    tokens = [f"ExponentPushToken[t{i}]" for i in range(250)]
    for t in tokens:
        fake.register(t)
    with pytest.raises(ValueError):
        expo.send([msg(tokens[:101])])
    chunks = chunk_messages([msg(tokens[:30]), *[msg(t) for t in tokens[30:]]])
    assert [sum(len(m["to"]) if isinstance(m["to"], list) else 1 for m in c) for c in chunks] == [
        100,
        100,
        50,
    ]
    for c in chunks:
        assert len(expo.send(c)) == sum(len(m["to"]) if isinstance(m["to"], list) else 1 for m in c)
    assert sorted(d.token for d in fake.delivered) == sorted(tokens)
    assert [r.recipients for r in fake.send_requests()] == [100, 100, 50]


def test_large_bodies_are_gzipped_small_ones_not(fake: FakeExpo, expo: ExpoClient) -> None:
    fake.register(A)
    expo.send([msg(A)])
    expo.send([msg(A, body="x" * 2000)])
    small, large = fake.send_requests()
    assert not small.gzip and "content-encoding" not in small.headers
    assert large.gzip and large.headers["content-encoding"] == "gzip"
    assert fake.messages_for(A)[1]["body"] == "x" * 2000


def test_access_token_goes_on_send_and_on_receipts(fake: FakeExpo, expo: ExpoClient) -> None:
    fake.access_token = "s3cret"
    fake.register(A)
    with pytest.raises(ExpoRequestError) as info:
        expo.send([msg(A)])
    assert info.value.code == "UNAUTHORIZED"
    authed = ExpoClient(expo.http, fake.url, access_token="s3cret", retry_base=0.01)
    [ticket] = authed.send([msg(A)])
    assert ticket.id is not None
    assert authed.get_receipts([ticket.id]) == {ticket.id: authed.get_receipts([ticket.id])[ticket.id]}
    assert [r.headers.get("authorization") for r in fake.requests[1:]] == ["Bearer s3cret"] * 3


def test_receipts_absent_until_ready_then_errors_per_device(fake: FakeExpo, expo: ExpoClient) -> None:
    fake.receipt_delay_s = 900
    fake.register(A)
    fake.register(B, receipt_error="DeviceNotRegistered")
    tickets = expo.send([msg(A), msg(B)])
    ids = [t.id for t in tickets if t.id]
    assert expo.get_receipts(ids) == {}  # not yet: absent, not an error
    fake.advance(901)
    receipts = expo.get_receipts([*ids, "unknown-id"])
    assert set(receipts) == set(ids)
    assert receipts[ids[0]].ok and receipts[ids[1]].error == "DeviceNotRegistered"
    fake.advance(24 * 3600)
    assert expo.get_receipts(ids) == {}  # Expo forgets receipts after a day
    with pytest.raises(ValueError):
        expo.get_receipts([str(i) for i in range(1001)])
