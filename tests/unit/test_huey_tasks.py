"""The queue's Huey runs a task with no revocation round trips (reelq cancels jobs in their rows)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reelq.queue.huey_app import make_huey


@pytest.mark.parametrize("scheme", ["sqlite", "redis"])
def test_executing_a_task_reads_and_clears_no_revocation_flag(tmp_path: Path, scheme: str) -> None:
    url = f"sqlite:///{tmp_path / 'q.db'}" if scheme == "sqlite" else "redis://127.0.0.1:6379/0?queue=rv-test"
    huey = make_huey(url)
    calls: list[str] = []
    storage: Any = huey.storage
    for name in ("peek_data", "peek_many", "pop_data", "delete_data"):
        original = getattr(storage, name)

        def counted(*args: Any, _name: str = name, _original: Any = original, **kw: Any) -> Any:
            calls.append(_name)
            return _original(*args, **kw)

        setattr(storage, name, counted)
    ran: list[int] = []
    task = huey.task()(lambda n: ran.append(n))
    task(7)
    huey.execute(huey.dequeue())
    assert ran == [7]
    assert calls == []
    huey.flush()
