"""Outbox rows in the terminal transaction, the sender, tickets, receipts: real SQLite + the fake Expo."""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import insert, select

from reelq.db.schema import devices, notifications
from reelq.ids import new_id
from reelq.jobs.models import Job
from reelq.jobs.states import JobStatus
from reelq.notify.push.throttle import SlidingWindow
from reelq.notify.service import Notifier
from reelq.runtime import Runtime
from reelq.testing.fake_expo import FakeExpo

A, B, C = "ExponentPushToken[aaa]", "ExpoPushToken[bbb]", "ExponentPushToken[ccc]"
Finish = Callable[..., Job]


def n(rt: Runtime) -> Notifier:
    assert rt.notifier is not None
    return rt.notifier


def rows(rt: Runtime, job_id: str | None = None) -> list[dict[str, object]]:
    q = select(notifications).order_by(notifications.c.id)
    if job_id:
        q = q.where(notifications.c.job_id == job_id)
    with rt.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(q)]


def test_terminal_transition_writes_one_row_per_active_device_and_sends_the_payload(
    rt: Runtime, fake: FakeExpo, user: str, finish: Finish
) -> None:
    for t in (A, B, C):
        fake.register(t)
        n(rt).devices.register(user, t, "ios")
    third = n(rt).devices.for_user(user)[2].id
    with rt.engine.begin() as conn:
        n(rt).devices.disable(conn, third, "test")
    job = finish(user)
    written = rows(rt, job.id)
    assert [r["state"] for r in written] == ["pending", "pending"]  # committed with the job, not sent yet
    assert not fake.delivered
    n(rt).send_pending()
    assert [r["state"] for r in rows(rt, job.id)] == ["sent", "sent"]
    assert len(fake.send_requests()) == 1  # both devices in one request
    [msg] = fake.messages_for(A)
    assert msg["data"] == {"jobId": job.id, "status": "completed", "url": f"reelq://results/{job.id}"}
    assert msg["title"] == "Analysis ready" and msg["body"] == "swing.mov has been analysed"
    assert msg["priority"] == "high" and msg["channelId"] == "default" and msg["sound"] == "default"
    assert fake.messages_for(C) == []
    # Nothing is sent twice: the rows are settled.
    n(rt).send_pending()
    assert len(fake.delivered) == 2


def test_failures_notify_with_a_reason_and_cancel_does_not(
    rt: Runtime, fake: FakeExpo, user: str, finish: Finish
) -> None:
    fake.register(A)
    n(rt).devices.register(user, A)
    job = finish(user, JobStatus.FAILED, name="clip.mov")
    n(rt).send_pending()
    [msg] = fake.messages_for(A)
    assert msg["title"] == "Analysis failed"
    assert msg["body"] == "clip.mov: The file is not a readable video."
    assert msg["data"]["status"] == "failed" and msg["data"]["error"] == "unreadable_video"
    queued = rt.store.insert(
        {
            "id": new_id(),
            "user_id": user,
            "analyzer": "probe",
            "max_attempts": 1,
            "file_name": "x.mp4",
            "file_size": 1,
            "file_sha256": "0" * 64,
            "content_type": "video/mp4",
            "source_path": "x",
        }
    )
    rt.store.cancel(queued.id)
    assert rows(rt, queued.id) == []
    assert len(rows(rt, job.id)) == 1


def test_a_second_terminal_hook_call_adds_no_row(rt: Runtime, user: str, finish: Finish) -> None:
    n(rt).devices.register(user, A)
    job = finish(user)
    with rt.engine.begin() as conn:
        n(rt).outbox.on_terminal(conn, job)
    assert len(rows(rt, job.id)) == 1


def test_429_then_200_sends_exactly_once(rt: Runtime, fake: FakeExpo, user: str, finish: Finish) -> None:
    fake.register(A)
    n(rt).devices.register(user, A)
    fake.inject(429, {"errors": [{"code": "TOO_MANY_REQUESTS", "message": "Exceeded 600"}]})
    job = finish(user)
    n(rt).send_pending()
    assert [r.status for r in fake.send_requests()] == [429, 200]
    assert len(fake.messages_for(A)) == 1
    assert rows(rt, job.id)[0]["state"] == "sent"


def test_html_503s_past_the_retries_reschedule_the_row_not_lose_it(
    rt: Runtime, fake: FakeExpo, user: str, finish: Finish
) -> None:
    fake.register(A)
    n(rt).devices.register(user, A)
    for _ in range(4):  # 1 try + 3 retries
        fake.inject(
            503, "<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>", "text/html"
        )
    job = finish(user)
    n(rt).push.send_due(max_batches=1)
    [row] = rows(rt, job.id)
    assert row["state"] == "pending" and row["error_code"] == "expo_unavailable" and row["attempts"] == 1
    n(rt).send_pending()  # the next tick (retry delay is 0 in these settings)
    [row] = rows(rt, job.id)
    assert row["state"] == "sent" and row["error_code"] is None and row["attempts"] == 2
    assert len(fake.messages_for(A)) == 1


def test_device_not_registered_ticket_disables_the_device_and_it_is_never_sent_to_again(
    rt: Runtime, fake: FakeExpo, user: str, finish: Finish
) -> None:
    fake.register(A)
    fake.register(B, registered=False)
    n(rt).devices.register(user, A)
    n(rt).devices.register(user, B)
    job = finish(user)
    n(rt).send_pending()
    by_token = {d.push_token: d for d in n(rt).devices.for_user(user)}
    assert by_token[A].active and not by_token[B].active
    assert by_token[B].disabled_reason == "DeviceNotRegistered"
    states = {r["target_id"]: (r["state"], r["error_code"]) for r in rows(rt, job.id)}
    assert states[by_token[B].id] == ("failed", "DeviceNotRegistered")
    second = finish(user)
    n(rt).send_pending()
    assert [r["target_id"] for r in rows(rt, second.id)] == [by_token[A].id]
    assert len(fake.messages_for(A)) == 2
    assert [r.recipients for r in fake.send_requests()] == [2, 1]


def test_device_not_registered_receipt_disables_the_device(
    rt: Runtime, fake: FakeExpo, user: str, finish: Finish
) -> None:
    fake.register(A)
    fake.register(B, receipt_error="DeviceNotRegistered")
    fake.receipt_delay_s = 0.3
    n(rt).devices.register(user, A)
    n(rt).devices.register(user, B)
    job = finish(user)
    n(rt).tick()  # sends; receipts are due at once (delay 0) but the fake has none yet
    assert len(fake.receipt_requests()) == 1
    assert {r["state"] for r in rows(rt, job.id)} == {"sent"}
    time.sleep(0.35)
    with rt.engine.begin() as conn:  # the recheck is scheduled later; make it due now
        conn.execute(notifications.update().values(receipt_due_at=0))
    n(rt).tick()
    by_token = {d.push_token: d for d in n(rt).devices.for_user(user)}
    assert not by_token[B].active and by_token[A].active
    states = {r["target_id"]: (r["state"], r["error_code"]) for r in rows(rt, job.id)}
    assert states == {by_token[A].id: ("delivered", None), by_token[B].id: ("failed", "DeviceNotRegistered")}
    finish(user)
    n(rt).send_pending()
    assert len(fake.messages_for(B)) == 1 and len(fake.messages_for(A)) == 2


def test_receipts_are_fetched_in_batches_of_at_most_1000(
    rt: Runtime, fake: FakeExpo, user: str, finish: Finish
) -> None:
    tokens = [f"ExponentPushToken[r{i}]" for i in range(2100)]
    t = time.time()
    with rt.engine.begin() as conn:
        conn.execute(
            insert(devices),
            [
                {"id": new_id(), "user_id": user, "push_token": tok, "created_at": t, "last_seen_at": t}
                for tok in tokens
            ],
        )
    for tok in tokens:
        fake.register(tok)
    fake.rate_limit_per_s = 10**6
    n(rt).push.throttle = SlidingWindow(10**6)
    job = finish(user)
    n(rt).send_pending()
    assert max(r.recipients for r in fake.send_requests()) == 100
    n(rt).receipts.check_due()
    assert [len(r.body["ids"]) for r in fake.receipt_requests()] == [1000, 1000, 100]
    assert {r["state"] for r in rows(rt, job.id)} == {"delivered"}


def test_mixed_projects_are_split_along_the_error_details(
    rt: Runtime, fake: FakeExpo, user: str, finish: Finish
) -> None:
    fake.register(A, project="@owner/new-app")
    fake.register(B, project="@owner/old-app")
    n(rt).devices.register(user, A)
    n(rt).devices.register(user, B)
    finish(user)
    n(rt).send_pending()
    assert [r.status for r in fake.send_requests()] == [400, 200, 200]
    assert len(fake.messages_for(A)) == 1 and len(fake.messages_for(B)) == 1
    # The projects are remembered: the next job goes out as two requests straight away.
    finish(user)
    n(rt).send_pending()
    assert [r.status for r in fake.send_requests()][3:] == [200, 200]


def test_a_send_whose_worker_died_is_claimed_again_after_its_lease(
    rt: Runtime, fake: FakeExpo, user: str, finish: Finish
) -> None:
    fake.register(A)
    n(rt).devices.register(user, A)
    job = finish(user)
    n(rt).push.config.lease_seconds = 0.2
    claimed = n(rt).outbox.claim("push", 100, 0.2)  # a worker takes the row … and dies before sending
    assert len(claimed) == 1
    n(rt).send_pending()
    assert fake.delivered == []  # still leased: nobody else sends it
    time.sleep(0.25)
    n(rt).send_pending()
    assert len(fake.messages_for(A)) == 1
    [row] = rows(rt, job.id)
    assert row["state"] == "sent" and row["attempts"] == 2
    # The dead worker's late answer cannot overwrite the new outcome: its lease token is gone.
    with rt.engine.begin() as conn:
        from reelq.notify.outbox import State

        assert not n(rt).outbox.finish(conn, claimed[0], State.FAILED, error_code="late")


def test_a_finish_that_wrote_no_notification_asks_no_one_to_send(
    rt: Runtime, fake: FakeExpo, user: str, finish: Finish, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """The trigger after a finish costs nothing when the job has no device and no webhook to tell."""
    sends: list[int] = []
    notifier = n(rt)
    monkeypatch.setattr(notifier, "_enqueue", lambda: sends.append(1))  # the task that would send
    notifier.trigger(finish(user))
    assert sends == []  # no device: nothing was written, nothing to send
    fake.register(A)
    notifier.devices.register(user, A)
    notifier.trigger(finish(user))
    assert sends == [1]
