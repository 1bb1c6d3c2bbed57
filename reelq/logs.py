"""Structured logs: one line per lifecycle step, with job id, user and file as fields."""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

from reelq.timeutil import now, rfc3339

_RESERVED = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in record.__dict__.items() if k not in _RESERVED and not k.startswith("_")}


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        parts = [rfc3339(record.created) or "", record.levelname, record.getMessage()]
        parts += [f"{k}={_text(v)}" for k, v in _fields(record).items()]
        line = " ".join(parts)
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "ts": rfc3339(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
            **_fields(record),
        }
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        return json.dumps(data, default=str)


def _text(value: Any) -> str:
    """A field's value as one token of the line: quoted (JSON) when it is empty, has a space, ``=`` or
    ``"``, or any character that is not printable (CR, LF, TAB would otherwise start a forged line)."""
    s = str(value)
    return json.dumps(s) if (not s or " " in s or "=" in s or '"' in s or not s.isprintable()) else s


def configure(level: str = "INFO", fmt: str = "text") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger("reelq")
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    root.propagate = False
    logging.getLogger("huey").setLevel(logging.WARNING)


def event(logger: logging.Logger, name: str, level: int = logging.INFO, **fields: Any) -> None:
    """Log ``name`` (e.g. ``job.claimed``) with ``fields`` attached to the record."""
    logger.log(level, name, extra={k: v for k, v in fields.items() if v is not None})


__all__ = ["JsonFormatter", "TextFormatter", "configure", "event", "now"]
