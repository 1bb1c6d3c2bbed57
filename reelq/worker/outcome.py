"""What one analysis produced, read from its work dir: a result, or a failure with a code and a sentence.

One reading for the worker (``execute``) and for a run without a job (``reelq.worker.local``).
"""

from __future__ import annotations

import json
import signal
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reelq.errors import JobError, PermanentJobError, TransientJobError

MAX_RESULT_BYTES = 1024 * 1024

# What the user is told (the details go to the log and the job's events).
CRASHED = "The analysis process stopped unexpectedly."
NOT_AN_OBJECT = "The analysis returned something that is not a result; this is not a problem with your video."
RESULT_TOO_LARGE = "The analysis result is larger than this server stores ({mib:g} MiB)."
TIME_LIMIT = "The analysis took longer than this server allows ({seconds:g} s)."


@dataclass(frozen=True)
class Failure:
    code: str
    message: str
    retryable: bool
    detail: dict[str, Any] | None = None

    def error(self) -> JobError:
        kind = TransientJobError if self.retryable else PermanentJobError
        return kind(self.code, self.message)


def outcome_of(
    work_dir: Path, returncode: int, max_result_bytes: int = MAX_RESULT_BYTES
) -> dict[str, Any] | Failure:
    """The result object, or the failure, of the analysis that ran in ``work_dir``."""
    result_file, error_file = work_dir / "result.json", work_dir / "error.json"
    if returncode == 0 and result_file.exists():
        size = result_file.stat().st_size
        result = None
        if size <= max_result_bytes:
            try:
                result = json.loads(result_file.read_text())
            except ValueError:
                result = None
        if isinstance(result, dict):
            return result
        if size > max_result_bytes:
            message = RESULT_TOO_LARGE.format(mib=max_result_bytes / 2**20)
            return Failure(
                "result_too_large", message, False, {"result_bytes": size, "limit_bytes": max_result_bytes}
            )
        return Failure("analyzer_error", NOT_AN_OBJECT, False)
    if error_file.exists():
        data = json.loads(error_file.read_text())
        return Failure(str(data["code"]), str(data["message"]), bool(data["retryable"]), data.get("detail"))
    if returncode < 0:
        return Failure("analyzer_crashed", CRASHED, True, {"signal": signal.Signals(-returncode).name})
    return Failure("analyzer_crashed", CRASHED, True, {"exit_code": returncode})
