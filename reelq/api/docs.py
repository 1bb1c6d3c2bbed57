"""``/docs`` (Swagger UI) and ``/redoc`` from assets inside the package, so they work offline.

FastAPI's defaults load their scripts, styles, fonts and favicon from CDNs; on a machine without
internet access both pages stay blank. The assets are vendored under ``reelq/api/static/`` (see the
README there for versions and licences) and served at ``/static/docs/``.

The pages and ``/openapi.json`` are public on purpose: they describe the API, hold no user data, and are
what a newcomer opens first. Every operation they describe needs a token (the Authorize button).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).parent / "static"
STATIC_PATH = "/static/docs"

SWAGGER_PARAMETERS = {
    "validatorUrl": None,  # the default posts the document to validator.swagger.io
    "persistAuthorization": True,
}


def install(app: FastAPI) -> None:
    app.mount(STATIC_PATH, StaticFiles(directory=STATIC_DIR), name="docs-static")
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get("/docs", include_in_schema=False)
    async def swagger(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        return get_swagger_ui_html(
            openapi_url=root + openapi_url,
            title=f"{app.title} — API",
            swagger_js_url=f"{root}{STATIC_PATH}/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{STATIC_PATH}/swagger-ui/swagger-ui.css",
            swagger_favicon_url=f"{root}{STATIC_PATH}/swagger-ui/favicon-32x32.png",
            swagger_ui_parameters=SWAGGER_PARAMETERS,
        )

    @app.get("/redoc", include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        return get_redoc_html(
            openapi_url=root + openapi_url,
            title=f"{app.title} — API",
            redoc_js_url=f"{root}{STATIC_PATH}/redoc/redoc.standalone.js",
            redoc_favicon_url=f"{root}{STATIC_PATH}/swagger-ui/favicon-32x32.png",
            with_google_fonts=False,
        )
