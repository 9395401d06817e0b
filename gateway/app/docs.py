"""The API docs, served with scripts and styles from the gateway itself: an operator's intranet has no
internet, and a page that loads code from a CDN is code the operator never vetted. The files come from
the pinned `fastapi-offline` package (its swagger-ui and ReDoc bundles); FastAPI's own pages are used
with local URLs. In production the docs and the OpenAPI document are off unless BSS_DOCS=on."""
from __future__ import annotations

from importlib.resources import files

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from .settings import GatewaySettings as Settings

DOCS_URL = "/docs"
REDOC_URL = "/redoc"
OPENAPI_URL = "/openapi.json"
ASSETS_URL = "/docs/assets"
OAUTH2_REDIRECT_URL = "/docs/oauth2-redirect"
ASSETS = files("fastapi_offline") / "static"


def enabled(settings: Settings) -> bool:
    return settings.docs if settings.docs is not None else settings.mode != "production"


def app_arguments(settings: Settings) -> dict[str, str | None]:
    """FastAPI's own doc routes are never used (they load from a CDN); the OpenAPI document only when on."""
    return {"docs_url": None, "redoc_url": None, "openapi_url": OPENAPI_URL if enabled(settings) else None,
            "swagger_ui_oauth2_redirect_url": OAUTH2_REDIRECT_URL}


def install(app: FastAPI, settings: Settings) -> None:
    if not enabled(settings):
        return
    app.mount(ASSETS_URL, StaticFiles(directory=str(ASSETS)), name="docs-assets")

    @app.get(DOCS_URL, include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url=OPENAPI_URL, title=f"{app.title} - API docs",
                                   oauth2_redirect_url=OAUTH2_REDIRECT_URL,
                                   swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
                                   swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
                                   swagger_favicon_url=f"{ASSETS_URL}/favicon.png")

    @app.get(OAUTH2_REDIRECT_URL, include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get(REDOC_URL, include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return get_redoc_html(openapi_url=OPENAPI_URL, title=f"{app.title} - API reference",
                              redoc_js_url=f"{ASSETS_URL}/redoc.standalone.js",
                              redoc_favicon_url=f"{ASSETS_URL}/favicon.png", with_google_fonts=False)
