"""Fixtures of the job store tests: a store on a fake clock, and a user."""

from __future__ import annotations

import pytest

from reelq.jobs.store import JobStore
from reelq.runtime import Runtime

from support import Clock


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(runtime: Runtime, clock: Clock) -> JobStore:
    return JobStore(runtime.engine, clock=clock)


@pytest.fixture
def user_id(runtime: Runtime) -> str:
    user, _ = runtime.users.create("alice")
    return user.id
