"""The console's pages and forms: sign-in, jobs (with the upload zone), a job, the admin overview.

Every route but the sign-in page needs a session; every POST needs the session's CSRF token and, when
the browser sends one, an Origin of this site. Users only ever reach their own jobs (404 otherwise).
"""

from __future__ import annotations

import time
from typing import Annotated
from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter, Depends, Query, Request
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from reelq.auth.resolve import MAX_TOKEN_CHARS
from reelq.errors import BadRequest, JobNotFound, Unauthorized, UnsupportedMedia
from reelq.http import actions
from reelq.http.caller import user_of
from reelq.ids import is_id
from reelq.jobs.models import Job
from reelq.jobs.states import JobStatus
from reelq.runtime import Runtime
from reelq.web.admin_stats import Overview, overview
from reelq.web.charts import Series, chart
from reelq.web.present import list_entry, view
from reelq.web.rendering import SECURITY_HEADERS, ConsoleRoute, page, render
from reelq.web.session import (
    CSRF_FIELD,
    AdminOnly,
    CsrfRejected,
    Session,
    check_csrf,
    clear_cookie,
    load_session,
    set_cookie,
)

router = APIRouter(prefix="/console", route_class=ConsoleRoute, include_in_schema=False)
root = APIRouter(route_class=ConsoleRoute, include_in_schema=False)

PAGE_SIZE = 50
SEARCH_SCAN = 1000  # a name search looks through at most this many of the newest jobs per page
SIGN_IN_FIELDS = 4  # token, and room for a CSRF field a browser extension may add


def runtime(request: Request) -> Runtime:
    rt: Runtime = request.app.state.runtime
    return rt


async def session(request: Request) -> Session:
    return await load_session(request)


def same_origin(request: Request) -> None:
    """Refuse a POST whose Origin names another site (browsers send it on cross-site form posts)."""
    origin = request.headers.get("origin")
    if origin is None:
        return
    # The host is compared, not the scheme: behind a TLS-terminating proxy the app may see http.
    if origin == "null" or urlsplit(origin).netloc != request.headers.get("host", ""):
        raise CsrfRejected


async def posted(request: Request, session: Annotated[Session, Depends(session)]) -> Session:
    """A session whose POST carries its CSRF token (form field or X-CSRF-Token header)."""
    same_origin(request)
    sent = request.headers.get("x-csrf-token")
    if sent is None:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    check_csrf(session, sent)
    return session


SessionDep = Annotated[Session, Depends(session)]
PostedDep = Annotated[Session, Depends(posted)]
RuntimeDep = Annotated[Runtime, Depends(runtime)]


def redirect(url: str) -> Response:
    return RedirectResponse(url, status_code=303, headers=SECURITY_HEADERS)


@root.get("/")
async def home() -> Response:
    return redirect("/console/")


@router.get("/sign-in")
async def sign_in_page(request: Request) -> Response:
    return render("sign_in.html", session=None, error=None)


@router.post("/sign-in")
async def sign_in(request: Request, rt: RuntimeDep) -> Response:
    """The sign-in form: urlencoded only (no files, nothing spooled), a few fields, read within the body
    guard's small limit (``reelq.http.guard``)."""
    same_origin(request)
    ctype = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if ctype != "application/x-www-form-urlencoded":
        raise UnsupportedMedia("the sign-in form is sent as application/x-www-form-urlencoded")
    try:
        fields = parse_qs((await request.body()).decode("utf-8"), max_num_fields=SIGN_IN_FIELDS)
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadRequest("the sign-in form was not understood") from exc
    token = (fields.get("token") or [""])[0].strip()
    if len(token) > MAX_TOKEN_CHARS:
        raise BadRequest("the sign-in form was not understood")
    try:
        user = await user_of(rt, token) if token else None
    except Unauthorized:  # a login token that is expired, for another audience …
        user = None
    if user is None:
        return render(
            "sign_in.html",
            401,
            session=None,
            error="That token is not valid or has been revoked. Paste a token made with "
            "`reelq users create NAME` (it starts with rq_).",
        )
    response = redirect("/console/")
    set_cookie(response, request, token)
    return response


@router.post("/sign-out")
async def sign_out(request: Request, s: PostedDep) -> Response:
    response = redirect("/console/sign-in")
    clear_cookie(response, request)
    return response


@router.get("/")
async def jobs_page(
    request: Request,
    s: SessionDep,
    rt: RuntimeDep,
    status: Annotated[str, Query(max_length=20)] = "",
    cursor: Annotated[str | None, Query(max_length=64)] = None,
    q: Annotated[str, Query(max_length=100)] = "",
) -> Response:
    try:
        statuses = [JobStatus(status)] if status else []
    except ValueError as exc:
        raise BadRequest(f"unknown status; use one of {', '.join(x.value for x in JobStatus)}") from exc
    q = q.strip()
    if q:
        jobs, next_cursor = await run_in_threadpool(search, rt, s.user.id, statuses, q, cursor)
    else:
        jobs, next_cursor = await run_in_threadpool(rt.service.list, s.user.id, statuses, PAGE_SIZE, cursor)
    return await page(
        "jobs.html",
        session=s,
        jobs=jobs,
        status=status,
        statuses=[x.value for x in JobStatus],
        next_cursor=next_cursor,
        first_page=cursor is None,
        q=q,
        entries={job.id: list_entry(job) for job in jobs},
    )


def search(
    rt: Runtime, user_id: str, statuses: list[JobStatus], q: str, cursor: str | None
) -> tuple[list[Job], str | None]:
    """Jobs whose file name contains ``q`` (any case), newest first: reads at most ``SEARCH_SCAN`` jobs,
    then offers the next page from where it stopped, so a search never reads a whole history at once."""
    needle, found, scanned = q.casefold(), [], 0
    while scanned < SEARCH_SCAN:
        batch, cursor = rt.service.list(user_id, statuses, PAGE_SIZE, cursor)
        scanned += len(batch)
        for job in batch:
            if needle in job.file_name.casefold():
                found.append(job)
                if len(found) == PAGE_SIZE:
                    return found, job.id
        if cursor is None:
            return found, None
    return found, cursor


@router.get("/jobs/{job_id}")
async def job_page(job_id: str, s: SessionDep, rt: RuntimeDep) -> Response:
    job = await run_in_threadpool(rt.service.get, s.user.id, job_id)
    return await page("job.html", session=s, build=lambda: {"v": view(job, rt.storage.kind)})


@router.post("/jobs/{job_id}/cancel")
async def cancel(job_id: str, request: Request, s: PostedDep) -> Response:
    await run_in_threadpool(actions.cancel, request, s.user.id, job_id)
    return redirect(f"/console/jobs/{job_id}")


@router.post("/jobs/{job_id}/retry")
async def retry(job_id: str, request: Request, s: PostedDep) -> Response:
    await run_in_threadpool(actions.retry, request, s.user.id, job_id)
    return redirect(f"/console/jobs/{job_id}")


@router.post("/jobs/{job_id}/delete")
async def delete(job_id: str, request: Request, s: PostedDep) -> Response:
    await run_in_threadpool(actions.delete, request, s.user.id, job_id)
    return redirect("/console/")


def _admin(s: Session) -> None:
    if not s.admin:
        raise AdminOnly


@router.get("/admin")
async def admin_page(s: SessionDep, rt: RuntimeDep) -> Response:
    _admin(s)
    st = rt.settings
    window = max(3 * min(st.reaper_seconds, st.lease_seconds / 2), 30.0)
    o = await run_in_threadpool(overview, rt.engine, worker_window=window)
    analyzers = await run_in_threadpool(rt.analyzer_capacity)
    return await page("admin.html", session=s, o=o, analyzers=analyzers, day=day_charts(o), now=time.time())


def day_charts(o: Overview) -> list[tuple[str, Markup]]:
    """Jobs finished per hour and the share that failed, over the last 24 hours (hours before now)."""
    done = [float(c + f) for c, f in zip(o.completed_by_hour, o.failed_by_hour, strict=True)]
    rate = [
        f / (c + f) * 100 if c + f else None
        for c, f in zip(o.completed_by_hour, o.failed_by_hour, strict=True)
    ]
    hours = -float(len(done))
    finished = Series("Finished", "jobs per hour", done, 0.0, max([1.0, *done]), "motion")
    failing = Series("Failed", "% of finished", rate, 0.0, 100.0, "failures")
    return [
        (f"{sr.title} ({sr.unit})", chart(sr, start=hours, step=1.0, cuts=[], spans=[], axis_unit="h"))
        for sr in (finished, failing)
    ]


@router.post("/admin/jobs/{job_id}/retry")
async def admin_retry(job_id: str, request: Request, s: PostedDep, rt: RuntimeDep) -> Response:
    _admin(s)

    def run() -> None:
        job = rt.store.get(job_id) if is_id(job_id) else None
        if job is None:
            raise JobNotFound(f"no job {job_id[:64]!r}")
        actions.retry(request, job.user_id, job.id)

    await run_in_threadpool(run)
    return redirect("/console/admin#failures")
