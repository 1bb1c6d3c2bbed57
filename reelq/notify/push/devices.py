"""A user's Expo push tokens: register (idempotent), list, delete, disable when Expo says so."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, Select, String, bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from reelq.db.schema import devices
from reelq.errors import BadRequest, Conflict, NotFound
from reelq.ids import new_id
from reelq.timeutil import now as _now
from reelq.timeutil import rfc3339

PLATFORMS = ("ios", "android", "web")
MAX_TOKEN_LENGTH = 255
# The official Node SDK's rule: both bracketed prefixes, or a bare UUID (Expo's newer token shape).
_BRACKETED_PATTERN = r"(ExponentPushToken|ExpoPushToken)\[[A-Za-z0-9_\-:.]{1,220}\]"
_UUID_PATTERN = r"[A-Za-z\d]{8}-[A-Za-z\d]{4}-[A-Za-z\d]{4}-[A-Za-z\d]{4}-[A-Za-z\d]{12}"
_BRACKETED = re.compile(f"^{_BRACKETED_PATTERN}$")
_UUID = re.compile(f"^{_UUID_PATTERN}$")
# What validate_push_token accepts (it strips surrounding white space), for the OpenAPI document
PUSH_TOKEN_PATTERN = rf"^\s*(?:{_BRACKETED_PATTERN}|{_UUID_PATTERN})\s*$"


def is_expo_push_token(token: object) -> bool:
    return isinstance(token, str) and (bool(_BRACKETED.match(token)) or bool(_UUID.match(token)))


def validate_push_token(token: object) -> str:
    """The token, stripped; 400 ``invalid_push_token`` unless it looks like an Expo push token."""
    value = token.strip() if isinstance(token, str) else token
    if not isinstance(value, str) or len(value) > MAX_TOKEN_LENGTH or not is_expo_push_token(value):
        raise BadRequest(
            "push_token must look like ExponentPushToken[…] or ExpoPushToken[…]", code="invalid_push_token"
        )
    return value


@dataclass(frozen=True)
class Device:
    id: str
    user_id: str
    push_token: str
    platform: str | None
    project: str | None
    created_at: float
    last_seen_at: float
    disabled_at: float | None
    disabled_reason: str | None

    @property
    def active(self) -> bool:
        return self.disabled_at is None

    @classmethod
    def from_row(cls, row: Any) -> Device:
        m = row._mapping
        return cls(**{k: m[k] for k in cls.__dataclass_fields__})


class DeviceStore:
    def __init__(self, engine: Engine, clock: Callable[[], float] = _now) -> None:
        self.engine = engine
        self.clock = clock

    def register(self, user_id: str, token: str, platform: str | None = None) -> tuple[Device, bool]:
        """Register ``token`` for ``user_id``; returns (device, created).

        A token belongs to at most one user. Its owner may register it again at any time (that
        re-enables it after ``DeviceNotRegistered``: the app got the token again, so it is live). Another
        user gets 409 ``push_token_in_use`` and the owner's row is left exactly as it was: tokens are
        not secret, so knowing one must not move someone's phone, show their device, or clear a
        disable that Expo reported. The owner releases a token by deleting the device (an app does so
        at sign-out); the next user to register it then gets a new row with its own id.
        """
        token = validate_push_token(token)
        if platform is not None and platform not in PLATFORMS:
            raise BadRequest(f"platform must be one of {', '.join(PLATFORMS)}", code="invalid_platform")
        try:
            return self._register(user_id, token, platform)
        except IntegrityError:  # two first registrations of one token raced: the loser sees the winner's row
            return self._register(user_id, token, platform)

    def check_available(self, user_id: str, token: str) -> None:
        """409 ``push_token_in_use`` when ``token`` belongs to another user (uploads check this before any
        byte, so an app learns at once that its push would not arrive)."""
        with self.engine.connect() as conn:
            row = conn.execute(select(devices.c.user_id).where(devices.c.push_token == token)).first()
        if row is not None and row.user_id != user_id:
            raise _in_use()

    def _register(self, user_id: str, token: str, platform: str | None) -> tuple[Device, bool]:
        t = self.clock()
        with self.engine.begin() as conn:
            row = conn.execute(select(devices).where(devices.c.push_token == token)).first()
            if row is not None and row.user_id != user_id:
                raise _in_use()
            if row is None:
                device_id = new_id()
                conn.execute(
                    insert(devices).values(
                        id=device_id,
                        user_id=user_id,
                        push_token=token,
                        platform=platform,
                        created_at=t,
                        last_seen_at=t,
                    )
                )
                created = True
            else:
                device_id, created = row.id, False
                values: dict[str, Any] = {"last_seen_at": t, "disabled_at": None, "disabled_reason": None}
                if platform is not None:
                    values["platform"] = platform
                conn.execute(update(devices).where(devices.c.id == device_id).values(**values))
            got = conn.execute(select(devices).where(devices.c.id == device_id)).one()
        return Device.from_row(got), created

    def for_user(self, user_id: str) -> list[Device]:
        q = select(devices).where(devices.c.user_id == user_id).order_by(devices.c.id)
        with self.engine.connect() as conn:
            return [Device.from_row(r) for r in conn.execute(q)]

    def get(self, device_id: str) -> Device | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(devices).where(devices.c.id == device_id)).first()
        return Device.from_row(row) if row else None

    def by_ids(self, ids: Iterable[str]) -> dict[str, Device]:
        wanted = list(set(ids))
        if not wanted:
            return {}
        with self.engine.connect() as conn:
            rows = conn.execute(select(devices).where(devices.c.id.in_(wanted))).all()
        return {r.id: Device.from_row(r) for r in rows}

    def delete(self, user_id: str, device_id: str) -> None:
        with self.engine.begin() as conn:
            res = conn.execute(delete(devices).where(devices.c.id == device_id, devices.c.user_id == user_id))
        if not res.rowcount:
            raise NotFound(f"no device {device_id[:64]!r}", code="device_not_found")

    @staticmethod
    def active_ids_query() -> Select[tuple[str]]:
        """Ids of the active devices of the user bound as ``b_user``."""
        return select(devices.c.id).where(
            devices.c.user_id == bindparam("b_user", type_=String), devices.c.disabled_at.is_(None)
        )

    def disable(self, conn: Connection, device_id: str, reason: str) -> bool:
        res = conn.execute(
            update(devices)
            .where(devices.c.id == device_id, devices.c.disabled_at.is_(None))
            .values(disabled_at=self.clock(), disabled_reason=reason)
        )
        return bool(res.rowcount)

    def set_project(self, conn: Connection, device_id: str, project: str) -> None:
        conn.execute(update(devices).where(devices.c.id == device_id).values(project=project[:200]))


def _in_use() -> Conflict:
    return Conflict(
        "this push token is registered to another account; it can be registered here once "
        "that account removes the device (DELETE /api/devices/{id}, e.g. when the app signs out)",
        code="push_token_in_use",
    )


def device_out(device: Device) -> dict[str, Any]:
    return {
        "id": device.id,
        "push_token": device.push_token,
        "platform": device.platform,
        "active": device.active,
        "created_at": rfc3339(device.created_at),
        "last_seen_at": rfc3339(device.last_seen_at),
        "disabled_reason": device.disabled_reason,
    }
