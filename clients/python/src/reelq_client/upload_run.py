"""``reelq upload FILE...``: several uploads at once, each with its bar, Ctrl-C that leaves them resumable.

Uploads run in daemon threads so the main thread stays free to take Ctrl-C: it then stops every upload
at its next MiB (the server keeps what arrived, the resume store keeps the URL) and says how to go on.
"""

from __future__ import annotations

import json
import shlex
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from reelq_client import Client, ConnectionFailed, Job, ReelqClientError, UploadInterrupted
from reelq_client.commands import echo, fail_line
from reelq_client.console import refusal, stderr_console, upload_bars
from reelq_client.summary import job_lines

EXIT_OK, EXIT_FAILED, EXIT_CANCELLED, EXIT_API, EXIT_NETWORK, EXIT_INTERRUPTED = 0, 3, 4, 5, 6, 130


@dataclass
class _One:
    path: Path
    sent: int = 0
    size: int = 0
    uploaded: bool = False
    job: Job | None = None
    job_id: str | None = None
    error: ReelqClientError | None = None
    done: threading.Event = field(default_factory=threading.Event)


def _exit_code(one: _One) -> int:
    if one.error is not None:
        return EXIT_NETWORK if isinstance(one.error, ConnectionFailed) else EXIT_API
    if one.job is None:
        return EXIT_INTERRUPTED
    return {"failed": EXIT_FAILED, "cancelled": EXIT_CANCELLED}.get(one.job.status, EXIT_OK)


def run_uploads(
    client: Client,
    files: list[Path],
    wait: bool,
    as_json: bool,
    metadata: str | None,
    concurrency: int,
    analyzer: str | None,
) -> int:
    """Uploads ``files`` (``concurrency`` at once), prints each job (JSON line or summary); the exit code."""
    stop = threading.Event()
    slots = threading.Semaphore(concurrency)
    items = [_One(path, size=path.stat().st_size) for path in files]
    show = not as_json and stderr_console().is_terminal

    with upload_bars(show) as bars:

        def run(one: _One) -> None:
            rows = bars.add(one.path.name, one.size)

            def on_progress(sent: int, total: int) -> None:
                if stop.is_set():
                    raise UploadInterrupted("stopped by the user")
                one.sent = sent
                rows.sent(sent)

            try:
                with slots:
                    if stop.is_set():
                        return
                    job = client.upload(
                        one.path, on_progress=on_progress, metadata=metadata, analyzer=analyzer
                    )
                one.uploaded, one.job_id = True, job.job_id
                rows.uploaded()
                rows.job(job, follow=wait)
                if wait:
                    job = client.wait_for(job.job_id, on_update=rows.job)
                one.job = job
            except UploadInterrupted:
                rows.refused("interrupted (resumable)")
            except ReelqClientError as exc:
                one.error = exc
                rows.refused(refusal(exc))
            finally:
                one.done.set()

        for one in items:
            threading.Thread(target=run, args=(one,), daemon=True, name=f"upload-{one.path.name}").start()
        try:
            for one in items:
                while not one.done.wait(0.2):  # a short wait keeps Ctrl-C responsive
                    pass
        except KeyboardInterrupt:
            stop.set()
            deadline = time.monotonic() + 3.0  # the uploads stop at their next MiB
            for one in items:
                one.done.wait(max(0.0, deadline - time.monotonic()))

    for one in items:
        if one.job is not None:
            if as_json:
                echo(json.dumps(one.job.to_dict(), separators=(",", ":")))
            else:
                echo("\n".join(job_lines(one.job.to_dict())))
        elif one.error is not None:
            fail_line(f"{one.path}: {one.error}")
        elif one.uploaded:
            echo(
                f"{one.path}: uploaded as job {one.job_id}; follow it with `reelq watch {one.job_id}`",
                err=True,
            )
        else:
            echo(
                f"{one.path}: interrupted after {one.sent} of {one.size} bytes; the server keeps them."
                f" Run `reelq upload {shlex.quote(str(one.path))}` again to resume it.",
                err=True,
            )
    codes = [_exit_code(one) for one in items]
    if stop.is_set():
        return EXIT_INTERRUPTED
    return max(codes) if codes else EXIT_OK
