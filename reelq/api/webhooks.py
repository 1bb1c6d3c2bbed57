"""``/api/webhooks``: signed POSTs to the caller's endpoints on ``job.completed`` and ``job.failed``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from reelq.api.devices import NotifierDep, UserDep
from reelq.api.schemas import PROBLEMS, Problem
from reelq.errors import NotFound
from reelq.notify.webhook.store import webhook_out

router = APIRouter(prefix="/api", tags=["notifications"], responses=PROBLEMS)


class WebhookIn(BaseModel):
    url: str = Field(description="https:// endpoint that receives the events", max_length=2000)


class WebhookOut(BaseModel):
    id: str
    url: str
    active: bool = Field(description="false once the endpoint failed too many times in a row")
    created_at: str
    consecutive_failures: int
    last_error: str | None
    secret: str | None = Field(None, description="whsec_… signing secret; only in the creation answer")


class WebhookList(BaseModel):
    webhooks: list[WebhookOut]


@router.post(
    "/webhooks",
    status_code=201,
    response_model=WebhookOut,
    summary="Add an endpoint; the answer carries its signing secret (shown once)",
    responses={400: {"model": Problem}},
)
def create_webhook(body: WebhookIn, user: UserDep, n: NotifierDep) -> JSONResponse:
    hook = n.webhooks.create(user.id, body.url)
    return JSONResponse(webhook_out(hook, with_secret=True), status_code=201)


@router.get("/webhooks", response_model=WebhookList, summary="The caller's webhook endpoints")
def list_webhooks(user: UserDep, n: NotifierDep) -> dict[str, Any]:
    return {"webhooks": [webhook_out(h) for h in n.webhooks.for_user(user.id)]}


@router.get("/webhooks/{webhook_id}", response_model=WebhookOut, summary="One webhook endpoint")
def get_webhook(webhook_id: str, user: UserDep, n: NotifierDep) -> dict[str, Any]:
    hook = n.webhooks.get(webhook_id, user.id)
    if hook is None:
        raise NotFound(f"no webhook {webhook_id[:64]!r}", code="webhook_not_found")
    return webhook_out(hook)


@router.delete("/webhooks/{webhook_id}", status_code=204, summary="Remove a webhook endpoint")
def delete_webhook(webhook_id: str, user: UserDep, n: NotifierDep) -> Response:
    n.webhooks.delete(user.id, webhook_id)
    return Response(status_code=204)
