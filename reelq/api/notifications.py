"""``GET /api/jobs/{job_id}/notifications``: what the job's outbox did (sent, ticket, receipt, error)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from reelq.api.devices import NotifierDep, UserDep
from reelq.api.schemas import PROBLEMS
from reelq.http.deps import runtime
from reelq.runtime import Runtime

router = APIRouter(prefix="/api", tags=["notifications"], responses=PROBLEMS)


class NotificationError(BaseModel):
    code: str
    message: str | None


class NotificationOut(BaseModel):
    id: str = Field(description="Also the `webhook-id` header of a webhook delivery")
    channel: str = Field(description="push | webhook")
    target_id: str = Field(description="device id or webhook id")
    event: str = Field(description="job.completed | job.failed")
    state: str = Field(description="pending | sending | sent (ticket ok) | delivered | failed | skipped")
    attempts: int
    created_at: str
    sent_at: str | None
    ticket_id: str | None = Field(description="Expo push ticket (receipt) id")
    receipt_checked_at: str | None
    error: NotificationError | None


class NotificationList(BaseModel):
    job_id: str
    notifications: list[NotificationOut]


@router.get(
    "/jobs/{job_id}/notifications",
    response_model=NotificationList,
    summary="Notification history of a job: pushes and webhooks, tickets, receipts, errors",
)
def job_notifications(
    job_id: str, user: UserDep, n: NotifierDep, rt: Annotated[Runtime, Depends(runtime)]
) -> dict[str, Any]:
    job = rt.service.get(user.id, job_id)  # 404 for another user's job
    return {"job_id": job.id, "notifications": n.outbox.history(job.id)}
