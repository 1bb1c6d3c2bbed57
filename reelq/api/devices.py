"""``/api/devices``: the Expo push tokens of the caller's devices."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from reelq.api.schemas import PROBLEMS, Problem
from reelq.auth.tokens import User
from reelq.http.deps import current_user, runtime
from reelq.notify.push.devices import device_out
from reelq.notify.service import Notifier
from reelq.runtime import Runtime

router = APIRouter(prefix="/api", tags=["notifications"], responses=PROBLEMS)


class DeviceIn(BaseModel):
    push_token: str = Field(description="ExponentPushToken[…] or ExpoPushToken[…]", max_length=255)
    platform: str | None = Field(None, description="ios | android | web")


class DeviceOut(BaseModel):
    id: str
    push_token: str
    platform: str | None
    active: bool = Field(description="false once Expo answered DeviceNotRegistered (until re-registered)")
    created_at: str
    last_seen_at: str
    disabled_reason: str | None


class DeviceList(BaseModel):
    devices: list[DeviceOut]


def notifier(rt: Annotated[Runtime, Depends(runtime)]) -> Notifier:
    return rt.notifier


UserDep = Annotated[User, Depends(current_user)]
NotifierDep = Annotated[Notifier, Depends(notifier)]


@router.post(
    "/devices",
    status_code=201,
    response_model=DeviceOut,
    summary="Register this device's Expo push token (idempotent)",
    responses={200: {"model": DeviceOut, "description": "Already registered"}, 400: {"model": Problem}},
)
def register_device(body: DeviceIn, user: UserDep, n: NotifierDep) -> JSONResponse:
    device, created = n.devices.register(user.id, body.push_token, body.platform)
    return JSONResponse(device_out(device), status_code=201 if created else 200)


@router.get("/devices", response_model=DeviceList, summary="The caller's devices")
def list_devices(user: UserDep, n: NotifierDep) -> dict[str, Any]:
    return {"devices": [device_out(d) for d in n.devices.for_user(user.id)]}


@router.delete("/devices/{device_id}", status_code=204, summary="Forget a device (no more pushes to it)")
def delete_device(device_id: str, user: UserDep, n: NotifierDep) -> Response:
    n.devices.delete(user.id, device_id)
    return Response(status_code=204)
