"""The OpenAPI document declares the bearer token, so /docs has an Authorize button that works."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

SCHEME = "bearerAuth"


def install(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title, version=app.version, description=app.description, routes=app.routes
            )
            schemes = schema.setdefault("components", {}).setdefault("securitySchemes", {})
            schemes[SCHEME] = {
                "type": "http",
                "scheme": "bearer",
                "description": "A token from `reelq users create NAME` or `reelq users token NAME`.",
            }
            for path, operations in schema.get("paths", {}).items():
                if not path.startswith("/api/"):
                    continue
                for method, operation in operations.items():
                    if method != "options":  # tus discovery needs no token
                        operation["security"] = [{SCHEME: []}]
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
