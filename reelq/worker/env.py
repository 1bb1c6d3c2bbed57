"""The environment of an analysis process (kept light: the start-up check imports it too)."""

from __future__ import annotations

import os

_SECRET_HINTS = ("TOKEN", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL", "_KEY", "DATABASE_URL", "REDIS_URL")


def child_env(environ: dict[str, str] | None = None) -> dict[str, str]:
    """The analysis process's environment: no reelq settings and nothing that looks like a secret.

    An analyzer reads a user's file; whatever it can see could end up in a result.
    """
    environ = dict(os.environ) if environ is None else environ
    return {
        k: v
        for k, v in environ.items()
        if (not k.startswith("REELQ_") or k.startswith("REELQ_TEST_"))
        and not any(hint in k.upper() for hint in _SECRET_HINTS)
    }
