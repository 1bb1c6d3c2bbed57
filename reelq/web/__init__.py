"""The web console: server-rendered pages at ``/console/`` (``/`` redirects there) on top of the services.

``mount(app)`` adds the routes and the static assets (``reelq/web/static``: the console's script and
style, and tus-js-client, vendored; nothing is loaded from elsewhere). See docs/console.md.
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from reelq.web import live, pages
from reelq.web.rendering import HERE


def mount(app: FastAPI) -> None:
    app.include_router(pages.root)
    app.include_router(live.router)  # before pages: its fixed paths win over /console/jobs/{id}
    app.include_router(pages.router)
    app.mount("/console/static", StaticFiles(directory=HERE / "static"), name="console-static")
