"""Templates, the console's security headers, and the route class that turns errors into pages.

Console routes answer HTML, not problem+json: a missing session becomes a redirect to the sign-in page
(or 401 for script requests), a missing job an error page that says what to do. Every page is sent with
a Content-Security-Policy that allows only reelq's own scripts, styles and images.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from reelq import __version__
from reelq.errors import NotFound, ReelqError
from reelq.http.errors import status_for
from reelq.web.present import STATUS_WORDS, size_words
from reelq.web.session import AdminOnly, CsrfRejected, SignInRequired

log = logging.getLogger("reelq.web")

HERE = Path(__file__).parent
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
SCRIPT_PATHS = ("/console/uploads", "/console/events")


def _ago(t: float | None) -> str:
    if t is None:
        return "—"
    return duration_words(max(0.0, time.time() - t)) + " ago"


def duration_words(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def _clock(t: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(t)) if t else "—"


env = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
env.globals.update(version=__version__, status_words=STATUS_WORDS)
env.filters.update(ago=_ago, clock=_clock, size=size_words, duration=duration_words)


def render(template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    html = env.get_template(template).render(**context)
    return HTMLResponse(html, status_code=status_code, headers=SECURITY_HEADERS)


async def page(
    template: str,
    status_code: int = 200,
    *,
    build: Callable[[], dict[str, Any]] | None = None,
    **context: Any,
) -> HTMLResponse:
    """``render`` in a worker thread, with ``build()``'s values (the page's own work, such as charts)
    made there too: however large a page gets, the event loop keeps answering other requests."""

    def run() -> HTMLResponse:
        return render(template, status_code, **context, **(build() if build is not None else {}))

    return await run_in_threadpool(run)


def error_page(status: int, title: str, advice: str, session: Any = None) -> HTMLResponse:
    return render("error.html", status, title=title, advice=advice, session=session)


class ConsoleRoute(APIRoute):
    """An APIRoute whose errors are console pages."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def run(request: Request) -> Response:
            try:
                return await handler(request)
            except SignInRequired:
                if request.url.path.startswith(SCRIPT_PATHS) or request.url.path.endswith("/events"):
                    return JSONResponse({"detail": "sign in again"}, status_code=401)
                return RedirectResponse("/console/sign-in", status_code=303, headers=SECURITY_HEADERS)
            except CsrfRejected:
                return error_page(
                    403,
                    "This form has expired",
                    "The request did not carry this session's form token. "
                    "Go back, reload the page and try again.",
                )
            except AdminOnly:
                return error_page(404, "Page not found", "There is nothing here. Go to your jobs.")
            except NotFound as exc:
                return error_page(
                    404, "Not found", f"{exc.detail}. It may have been deleted; go to your jobs."
                )
            except RequestValidationError:
                return error_page(
                    400, "That request was not understood", "Go back, reload the page and try again."
                )
            except HTTPException:
                raise
            except ReelqError as exc:
                return error_page(status_for(exc), "That did not work", exc.detail)
            except Exception:
                log.exception("console.unhandled")
                return error_page(
                    500,
                    "Something went wrong",
                    "The error has been logged. Try again, or go back to your jobs.",
                )

        return run
