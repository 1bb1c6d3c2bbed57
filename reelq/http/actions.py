"""What either face does to a job: the job service's call, with the job's cached status answer dropped
(before the change, and after it, so a poll in between cannot keep the old answer)."""

from __future__ import annotations

from starlette.requests import Request

from reelq.http.state import edge_of
from reelq.jobs.states import JobStatus
from reelq.runtime import Runtime


def _parts(request: Request) -> Runtime:
    rt: Runtime = request.app.state.runtime
    return rt


def cancel(request: Request, user_id: str, job_id: str) -> JobStatus:
    edge = edge_of(request.app.state)
    edge.forget_job(user_id, job_id)
    try:
        return _parts(request).service.cancel(user_id, job_id)
    finally:
        edge.forget_job(user_id, job_id)


def retry(request: Request, user_id: str, job_id: str) -> None:
    edge = edge_of(request.app.state)
    edge.forget_job(user_id, job_id)
    try:
        _parts(request).service.retry(user_id, job_id)
    finally:
        edge.forget_job(user_id, job_id)


def delete(request: Request, user_id: str, job_id: str) -> None:
    edge = edge_of(request.app.state)
    edge.forget_job(user_id, job_id)
    try:
        _parts(request).service.delete(user_id, job_id)
    finally:
        edge.forget_job(user_id, job_id)
