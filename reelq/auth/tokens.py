"""Create, check and revoke users and their API tokens; login tokens (JWT) map to users here too."""

from __future__ import annotations

import hashlib
import math
import re
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Engine, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from reelq.auth.algorithms import looks_like_jwt
from reelq.cache import TTLCache
from reelq.config import MAX_TOKEN_CHARS
from reelq.db.engine import reader
from reelq.db.schema import api_tokens, users
from reelq.errors import BadRequest, Conflict, NotFound
from reelq.ids import new_id
from reelq.timeutil import now

if TYPE_CHECKING:
    from reelq.auth.jwt import Identity, JwtVerifier

TOKEN_PREFIX = "rq_"
__all__ = ["MAX_TOKEN_CHARS", "NAME_PATTERN", "TOKEN_PREFIX", "User", "UserStore", "hash_token"]
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$"  # user names; also in the OpenAPI document
_NAME_RE = re.compile(NAME_PATTERN)


@dataclass(frozen=True)
class User:
    id: str
    name: str
    admin: bool = False
    issuer: str | None = None  # set for users of the app's identity provider
    subject: str | None = None


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class UserStore:
    def __init__(
        self, engine: Engine, cache_seconds: float = 0.0, verifier: JwtVerifier | None = None
    ) -> None:
        self.engine = engine
        self.verifier = verifier  # login tokens (JWT) of the app's identity provider, when configured
        # token hash → (user, the token's own expiry); a revocation reaches other processes within
        # ``cache_seconds``, and no token outlives its expiry in the cache.
        self.cache: TTLCache[str, tuple[User, float]] = TTLCache(cache_seconds)

    def create(self, name: str, *, admin: bool = False) -> tuple[User, str]:
        """Create a user and return it with its first token (the only time the token is visible)."""
        if not _NAME_RE.match(name):
            raise BadRequest(
                "user names are 1-100 letters, digits, '.', '_', '@' or '-'", code="invalid_name"
            )
        user = User(new_id(), name, admin)
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(users).values(id=user.id, name=name, created_at=now(), disabled=False, admin=admin)
                )
        except IntegrityError as exc:
            raise Conflict(f"user {name!r} already exists", code="user_exists") from exc
        return user, self.issue_token(name)

    def by_name(self, name: str) -> User | None:
        with reader(self.engine).connect() as conn:
            row = conn.execute(select(*_USER_COLUMNS).where(users.c.name == name)).first()
        return _user_of(row) if row else None

    def all(self) -> list[User]:
        with reader(self.engine).connect() as conn:
            return [_user_of(r) for r in conn.execute(select(*_USER_COLUMNS).order_by(users.c.name))]

    def issue_token(self, name: str, expires_at: float | None = None) -> str:
        user = self.by_name(name)
        if user is None:
            raise NotFound(f"no user named {name!r}", code="user_not_found")
        return self.issue_token_for(user.id, expires_at)[1]

    def issue_token_for(self, user_id: str, expires_at: float | None = None) -> tuple[str, str]:
        """A new token of the user: (token id, token). Only its hash is stored."""
        token, token_id = TOKEN_PREFIX + secrets.token_urlsafe(32), new_id()
        with self.engine.begin() as conn:
            conn.execute(
                insert(api_tokens).values(
                    id=token_id,
                    user_id=user_id,
                    token_hash=hash_token(token),
                    created_at=now(),
                    expires_at=expires_at,
                )
            )
        return token_id, token

    def revoke(self, name: str) -> int:
        """Revoke every token of the user; returns how many were active."""
        user = self.by_name(name)
        if user is None:
            raise NotFound(f"no user named {name!r}", code="user_not_found")
        with self.engine.begin() as conn:
            res = conn.execute(
                update(api_tokens)
                .where(api_tokens.c.user_id == user.id, api_tokens.c.revoked_at.is_(None))
                .values(revoked_at=now())
            )
        self.cache.clear()
        return int(res.rowcount)

    def cached(self, token: str) -> User | None:
        """The user of ``token`` if it was authenticated moments ago (no database round trip)."""
        hit = self.cache.get(hash_token(token))
        if hit is None or hit[1] <= now():
            return None
        return hit[0]

    def authenticate(self, token: str) -> User | None:
        """The user of a reelq token or a login token (JWT); None when the token is not valid.

        A login token that fails verification raises :class:`Unauthorized` with a specific ``code``
        (``token_expired`` …) so that a client knows to refresh it.
        """
        hit = self.cached(token)
        if hit is not None:
            return hit
        if self.verifier is not None and looks_like_jwt(token):
            identity = self.verifier.verify(token)
            user = self.for_identity(identity)
            if user is not None:
                self.cache.put(hash_token(token), (user, identity.expires_at))
            return user
        if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
            return None
        digest = hash_token(token)
        at = now()
        q = (
            select(*_USER_COLUMNS, api_tokens.c.expires_at)
            .join(api_tokens, api_tokens.c.user_id == users.c.id)
            .where(
                api_tokens.c.token_hash == digest,
                api_tokens.c.revoked_at.is_(None),
                or_(api_tokens.c.expires_at.is_(None), api_tokens.c.expires_at > at),
                users.c.disabled.is_(False),
            )
        )
        with reader(self.engine).connect() as conn:
            row = conn.execute(q).first()
        if row is None:
            return None
        user = _user_of(row)
        self.cache.put(digest, (user, row.expires_at if row.expires_at is not None else math.inf))
        return user

    def for_identity(self, identity: Identity) -> User | None:
        """The user of a login identity, created on first use; None when an admin disabled it."""
        where = (users.c.issuer == identity.issuer, users.c.subject == identity.subject)
        with reader(self.engine).connect() as conn:
            row = conn.execute(select(*_USER_COLUMNS, users.c.disabled).where(*where)).first()
        if row is None:
            name = "idp:" + hashlib.sha256(f"{identity.issuer}\0{identity.subject}".encode()).hexdigest()[:24]
            values = {"id": new_id(), "name": name, "created_at": now(), "disabled": False, "admin": False}
            try:
                with self.engine.begin() as conn:
                    conn.execute(
                        insert(users).values(**values, issuer=identity.issuer, subject=identity.subject)
                    )
            except IntegrityError:  # another request or process created it first
                pass
            with reader(self.engine).connect() as conn:
                row = conn.execute(select(*_USER_COLUMNS, users.c.disabled).where(*where)).first()
        if row is None or row.disabled:
            return None
        return _user_of(row)


_USER_COLUMNS = (users.c.id, users.c.name, users.c.admin, users.c.issuer, users.c.subject)


def _user_of(row: object) -> User:
    r: object = row
    return User(r.id, r.name, bool(r.admin), r.issuer, r.subject)  # type: ignore[attr-defined]
