"""Create, check and revoke users and their API tokens."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from reelq.cache import TTLCache
from reelq.db.engine import reader
from reelq.db.schema import api_tokens, users
from reelq.errors import BadRequest, Conflict, NotFound
from reelq.ids import new_id
from reelq.timeutil import now

TOKEN_PREFIX = "rq_"
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$")


@dataclass(frozen=True)
class User:
    id: str
    name: str


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class UserStore:
    def __init__(self, engine: Engine, cache_seconds: float = 0.0) -> None:
        self.engine = engine
        # token hash → user; a revocation reaches other processes within ``cache_seconds``.
        self.cache: TTLCache[str, User] = TTLCache(cache_seconds)

    def create(self, name: str) -> tuple[User, str]:
        """Create a user and return it with its first token (the only time the token is visible)."""
        if not _NAME_RE.match(name):
            raise BadRequest(
                "user names are 1-100 letters, digits, '.', '_', '@' or '-'", code="invalid_name"
            )
        user = User(new_id(), name)
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(users).values(id=user.id, name=name, created_at=now(), disabled=False))
        except IntegrityError as exc:
            raise Conflict(f"user {name!r} already exists", code="user_exists") from exc
        return user, self.issue_token(name)

    def by_name(self, name: str) -> User | None:
        with reader(self.engine).connect() as conn:
            row = conn.execute(select(users.c.id, users.c.name).where(users.c.name == name)).first()
        return User(row.id, row.name) if row else None

    def all(self) -> list[User]:
        with reader(self.engine).connect() as conn:
            return [
                User(r.id, r.name)
                for r in conn.execute(select(users.c.id, users.c.name).order_by(users.c.name))
            ]

    def issue_token(self, name: str) -> str:
        user = self.by_name(name)
        if user is None:
            raise NotFound(f"no user named {name!r}", code="user_not_found")
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self.engine.begin() as conn:
            conn.execute(
                insert(api_tokens).values(
                    id=new_id(), user_id=user.id, token_hash=hash_token(token), created_at=now()
                )
            )
        return token

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
        return self.cache.get(hash_token(token))

    def authenticate(self, token: str) -> User | None:
        if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
            return None
        digest = hash_token(token)
        hit = self.cache.get(digest)
        if hit is not None:
            return hit
        q = (
            select(users.c.id, users.c.name)
            .join(api_tokens, api_tokens.c.user_id == users.c.id)
            .where(
                api_tokens.c.token_hash == digest,
                api_tokens.c.revoked_at.is_(None),
                users.c.disabled.is_(False),
            )
        )
        with reader(self.engine).connect() as conn:
            row = conn.execute(q).first()
        if row is None:
            return None
        user = User(row.id, row.name)
        self.cache.put(digest, user)
        return user
