"""One intake step for every transport: what an upload asks for is checked here, once.

Multipart (``reelq.api.upload``) and tus (``reelq.uploads.tus``) only move bytes. Both call
:meth:`Intake.prepare` with the upload's fields (form fields, or the decoded ``Upload-Metadata``) before
the body is stored, :meth:`Intake.check_space` before they write, and :meth:`Intake.submit` once the file
is on disk. So the analyzer allowlist, the metadata rules, the push token check and the disk reserve are
the same whichever way the bytes came, and a refused upload leaves no job behind.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from reelq.analysis.registry import validate_request
from reelq.errors import BadRequest, InsufficientStorage
from reelq.files import Layout, StoredFile
from reelq.jobs.models import Job
from reelq.jobs.service import JobService
from reelq.notify.push.devices import validate_push_token

log = logging.getLogger("reelq.uploads")

MAX_METADATA_DEPTH = 32  # deep enough for any real client; far from the JSON encoder's recursion limit
_BAD_METADATA = "'metadata' must be a JSON object"


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("a number out of range")
    return value


def _depth_ok(value: Any) -> bool:
    """Iterative, so a deep value cannot exhaust the stack here either."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > MAX_METADATA_DEPTH:
                return False
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return True


def parse_metadata(raw: str | None) -> dict[str, Any]:
    """The upload's ``metadata`` field as a JSON object that any strict JSON encoder can write back.

    Refused with 400 ``bad_metadata``: anything but an object; NaN/Infinity and numbers out of float
    range (not JSON; they would break every later answer that contains them); lone surrogates (not
    UTF-8); nesting deeper than ``MAX_METADATA_DEPTH``.
    """
    if raw is None or raw == "":
        return {}
    try:
        value = json.loads(raw, parse_constant=_no_constant, parse_float=_finite)
    except (ValueError, RecursionError) as exc:
        raise BadRequest(f"{_BAD_METADATA}: it is not valid JSON", code="bad_metadata") from exc
    if not isinstance(value, dict):
        raise BadRequest(_BAD_METADATA, code="bad_metadata")
    if not _depth_ok(value):
        raise BadRequest(
            f"{_BAD_METADATA} nested at most {MAX_METADATA_DEPTH} levels deep", code="bad_metadata"
        )
    try:
        json.dumps(value, ensure_ascii=False, allow_nan=False).encode("utf-8")
    except (ValueError, UnicodeEncodeError) as exc:
        raise BadRequest(f"{_BAD_METADATA} without unpaired surrogates", code="bad_metadata") from exc
    return value


@dataclass(frozen=True)
class UploadRequest:
    """What an upload asked for, checked: the analyzer to run, its metadata, the device to notify."""

    analyzer: str
    metadata: dict[str, Any]
    push_token: str | None


class Intake:
    def __init__(
        self,
        service: JobService,
        layout: Layout,
        register_device: Callable[[str, str], object],
        *,
        default_analyzer: str,
        extra_analyzers: Iterable[str] = (),
        disk_reserve_bytes: int = 0,
        check_device: Callable[[str, str], object] | None = None,
    ) -> None:
        self.service = service
        self.check_device = check_device  # (user id, push token) → 409 when another user owns the token
        self.layout = layout
        self.register_device = register_device
        self.default_analyzer = default_analyzer
        self.extra_analyzers = tuple(extra_analyzers)
        self.disk_reserve_bytes = disk_reserve_bytes

    def prepare(self, fields: Mapping[str, str], user_id: str | None = None) -> UploadRequest:
        """Check the upload's fields (400 with a stable code) before any byte; with ``user_id``, also that
        no other user owns the push token (409 ``push_token_in_use``, for multipart and tus alike)."""
        analyzer = validate_request(
            fields.get("analyzer"), default=self.default_analyzer, extra=self.extra_analyzers
        )
        metadata = parse_metadata(fields.get("metadata"))
        raw_token = fields.get("push_token")
        push_token = validate_push_token(raw_token) if raw_token else None
        if push_token is not None and user_id is not None and self.check_device is not None:
            self.check_device(user_id, push_token)
        return UploadRequest(analyzer, metadata, push_token)

    def check_space(self, incoming_bytes: int) -> None:
        """507 unless the data dir keeps its reserve after ``incoming_bytes`` more (blocking: a thread).

        With object storage the upload's bytes go to the bucket, not to this node's disk."""
        if self.service.storage.kind != "local":
            return
        if self.layout.free_bytes() < self.disk_reserve_bytes + incoming_bytes:
            raise InsufficientStorage("the server is low on disk space; try again later")

    def submit(
        self,
        user_id: str,
        request: UploadRequest,
        file: StoredFile,
        *,
        idempotency_key: str | None = None,
        push_best_effort: bool = False,
    ) -> tuple[Job, bool]:
        """Register the device, then create the job (so even an instant result notifies it).

        ``push_best_effort``: a device that cannot be registered is logged and the job still made
        (tus: every byte is already stored, and the token was checked when the upload was created).
        """
        if request.push_token is not None:
            try:
                self.register_device(user_id, request.push_token)
            except Exception:
                if not push_best_effort:
                    raise
                log.warning("upload.push_token_not_registered", exc_info=True)
        return self.service.submit(
            user_id,
            file,
            analyzer=request.analyzer,
            metadata=request.metadata,
            idempotency_key=idempotency_key,
        )
