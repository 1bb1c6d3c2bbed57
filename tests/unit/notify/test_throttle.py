"""The push throttle counts a send from its start until a window after its answer."""

from __future__ import annotations

from reelq.notify.push.throttle import SlidingWindow


class FakeTime:
    def __init__(self) -> None:
        self.t = 0.0

    def clock(self) -> float:
        return self.t

    def sleep(self, s: float) -> None:
        self.t += s


def test_never_more_than_the_limit_within_a_window() -> None:
    ft = FakeTime()
    w = SlidingWindow(550, clock=ft.clock, sleep=ft.sleep)
    starts = []
    for _ in range(30):
        w.acquire(100)
        starts.append(ft.t)
    for i, s in enumerate(starts):
        in_window = sum(100 for other in starts if s <= other < s + 1.0)
        assert in_window <= 550, (i, in_window)
    assert starts[-1] >= 4.0  # 3000 notifications at 550/s take more than 4 s


def test_a_slow_answer_keeps_its_send_counted() -> None:
    """A request that reaches the server late must not let the next burst join it in one server second."""
    ft = FakeTime()
    w = SlidingWindow(200, clock=ft.clock, sleep=ft.sleep)
    with w.reserve(100):
        ft.t += 5.0  # the answer takes 5 s: the server may have counted it at any moment until now
        with w.reserve(100):
            pass  # still fits: 200
    # both answered at t=5: nothing more until t=6
    w.acquire(100)
    assert ft.t >= 6.0
