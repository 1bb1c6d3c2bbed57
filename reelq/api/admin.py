"""``/api/admin/``: users, their tokens, limits and usage, and any job — for admin tokens only.

A token that is not an admin's gets 404 on every route here, as if the admin API did not exist.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool
from starlette.concurrency import run_in_threadpool

from reelq.api.schemas import job_out
from reelq.auth.accounts import Accounts, make_server_wide, server_wide_ids
from reelq.auth.tokens import User
from reelq.errors import JobNotFound, NotFound, Unavailable
from reelq.http.deps import current_caller, runtime_of
from reelq.ids import is_id
from reelq.notify.webhook.store import WebhookStore, webhook_out
from reelq.runtime import Runtime


async def admin_user(request: Request) -> User:
    caller = await current_caller(request)
    if not caller.admin:  # the edge's one admin rule (reelq.http.caller.is_admin)
        raise NotFound("not found")
    return caller.user


router = APIRouter(prefix="/api/admin", tags=["admin"], dependencies=[Depends(admin_user)])


def accounts_of(rt: Runtime) -> Accounts:
    return Accounts(rt.users, rt.limiter, rt.service, rt.layout, rt.tus.finisher.data_path)


def _accounts(request: Request) -> Accounts:
    return accounts_of(runtime_of(request))


AccountsDep = Annotated[Accounts, Depends(_accounts)]


def _json_integer(value: object) -> object:
    """A JSON integer (``3`` or ``3.0``), never ``true`` or ``"3"`` (pydantic would convert those)."""
    if isinstance(value, bool | str):
        raise ValueError("must be an integer")
    return value


JsonInt = Annotated[int, BeforeValidator(_json_integer)]


class LimitsIn(BaseModel):
    """Per-user overrides; ``null`` returns a limit to the server's setting, 0 means no limit. Unknown
    names and values that are not integers (``true``, ``"5"``) are refused, not ignored or coerced."""

    model_config = ConfigDict(extra="forbid")

    storage_bytes: JsonInt | None = Field(None, ge=0)
    jobs_per_day: JsonInt | None = Field(None, ge=0)
    concurrent_jobs: JsonInt | None = Field(None, ge=0)
    uploads_per_minute: JsonInt | None = Field(None, ge=0)
    requests_per_second: JsonInt | None = Field(None, ge=0)


class UserCreate(BaseModel):
    name: str = Field(..., min_length=1, max_length=100)
    admin: StrictBool = False
    limits: LimitsIn | None = None


class UserPatch(BaseModel):
    disabled: StrictBool | None = None
    admin: StrictBool | None = None
    limits: LimitsIn | None = None


class TokenCreate(BaseModel):
    expires_in: JsonInt | None = Field(
        None, ge=60, le=10 * 365 * 86400, description="Seconds until it expires"
    )


def _limits(body: LimitsIn | None) -> dict[str, int | None] | None:
    return body.model_dump(exclude_unset=True) if body is not None else None


@router.get("/users", summary="Users, by id")
def list_users(
    accounts: AccountsDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
) -> dict[str, Any]:
    page, next_cursor = accounts.page(limit, cursor)
    return {"users": page, "next_cursor": next_cursor}


@router.post("/users", status_code=201, summary="Create a user; its first token is in the answer, once")
def create_user(body: UserCreate, accounts: AccountsDep) -> dict[str, Any]:
    user, token = accounts.create(body.name, admin=body.admin, limits=_limits(body.limits))
    return {**user, "token": token}


@router.get("/users/{user_id}", summary="One user")
def get_user(user_id: str, accounts: AccountsDep) -> dict[str, Any]:
    return accounts.get(user_id)


@router.patch("/users/{user_id}", summary="Disable or enable a user, make it admin, set its limits")
def patch_user(user_id: str, body: UserPatch, accounts: AccountsDep) -> dict[str, Any]:
    return accounts.update(user_id, disabled=body.disabled, admin=body.admin, limits=_limits(body.limits))


@router.delete("/users/{user_id}", status_code=204, summary="Delete a user with its jobs and files")
def delete_user(user_id: str, accounts: AccountsDep) -> Response:
    accounts.delete(user_id)
    return Response(status_code=204)


@router.get("/users/{user_id}/usage", summary="Stored bytes, active and daily jobs, effective limits")
def user_usage(user_id: str, accounts: AccountsDep) -> dict[str, Any]:
    accounts.get(user_id)
    return accounts.limiter.usage(user_id)


@router.get("/users/{user_id}/tokens", summary="A user's tokens (never the secrets)")
def list_tokens(user_id: str, accounts: AccountsDep) -> dict[str, Any]:
    return {"tokens": accounts.tokens(user_id)}


@router.post("/users/{user_id}/tokens", status_code=201, summary="Issue a token (shown once)")
def issue_token(user_id: str, accounts: AccountsDep, body: TokenCreate | None = None) -> dict[str, Any]:
    return accounts.issue_token(user_id, body.expires_in if body else None)


@router.delete("/users/{user_id}/tokens/{token_id}", status_code=204, summary="Revoke one token")
def revoke_token(user_id: str, token_id: str, accounts: AccountsDep) -> Response:
    accounts.revoke_token(user_id, token_id)
    return Response(status_code=204)


@router.get("/jobs/{job_id}", summary="Any user's job, with its owner")
async def get_job(job_id: str, request: Request) -> dict[str, Any]:
    rt = runtime_of(request)
    job = await run_in_threadpool(rt.store.get, job_id) if is_id(job_id) else None
    if job is None:
        raise JobNotFound(f"no job {job_id[:64]!r}")
    return {**job_out(job), "user_id": job.user_id}


# -- server-wide webhooks ---------------------------------------------------------------------------
class ServerWebhookIn(BaseModel):
    url: str = Field(description="https:// endpoint that receives every user's job events", max_length=2000)


def _hooks(rt: Runtime) -> WebhookStore:
    if rt.notifier is None:
        raise Unavailable("notifications are not set up", code="notifications_unavailable")
    return rt.notifier.webhooks


@router.post("/webhooks", status_code=201, summary="A server-wide webhook: every user's job events")
def create_server_webhook(
    body: ServerWebhookIn, request: Request, admin: Annotated[User, Depends(admin_user)]
) -> dict[str, Any]:
    rt = runtime_of(request)
    hook = _hooks(rt).create(admin.id, body.url)
    make_server_wide(rt.engine, hook.id)
    return {**webhook_out(hook, with_secret=True), "all_users": True}


@router.get("/webhooks", summary="The server-wide webhooks")
def list_server_webhooks(request: Request) -> dict[str, Any]:
    rt = runtime_of(request)
    hooks = [_hooks(rt).get(hook_id) for hook_id in server_wide_ids(rt.engine)]
    return {"webhooks": [{**webhook_out(h), "all_users": True} for h in hooks if h is not None]}


@router.delete("/webhooks/{webhook_id}", status_code=204, summary="Remove a server-wide webhook")
def delete_server_webhook(webhook_id: str, request: Request) -> Response:
    rt = runtime_of(request)
    hook = _hooks(rt).get(webhook_id) if webhook_id in server_wide_ids(rt.engine) else None
    if hook is None:
        raise NotFound(f"no webhook {webhook_id[:64]!r}", code="webhook_not_found")
    _hooks(rt).delete(hook.user_id, hook.id)
    return Response(status_code=204)
