"""What a notification channel is (Expo push, webhooks, and any later one).

The outbox asks every channel for the targets and the payload of a finished job inside the job's
transaction; the notifier asks every channel to deliver what is due. A channel is one folder under
``reelq/notify/`` and one entry in ``Notifier.build``; nothing shared names a channel.
"""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy import Connection, Select

from reelq.jobs.models import Job


class Channel(Protocol):
    name: str

    def targets_query(self) -> Select[tuple[str]]:
        """The ids of a user's active targets, for the user bound as ``b_user``.

        The outbox reads every channel's targets in one query, inside the job's terminal transaction.
        """
        ...

    def payload(self, conn: Connection, job: Job, event: str) -> dict[str, Any]:
        """What is stored in the outbox row and later sent to every target; ``conn`` is the job's terminal
        transaction, for what the payload needs to read (a webhook names the job's user)."""
        ...

    def deliver_due(self, max_rows: int | None = None) -> int:
        """Send what is due; returns how many rows were handled."""
        ...
