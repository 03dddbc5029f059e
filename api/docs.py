"""The interactive API docs (Swagger UI) with every asset served from this process.

The assets come from the pinned `fastapi-offline` package, so the page works without internet and
nothing we serve names another host. ReDoc is not served: its bundle loads a logo from
cdn.redoc.ly that no option turns off.
"""

from importlib.resources import files

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

DOCS_URL = "/docs/api"
OPENAPI_URL = "/docs/api/openapi"
ASSETS_URL = "/docs/api/assets"
ASSETS_DIR = files("fastapi_offline").joinpath("static")


def install_docs(app: FastAPI) -> None:
    """Mount the assets and add the page (the app is built with docs_url=None)."""
    app.mount(ASSETS_URL, StaticFiles(directory=str(ASSETS_DIR)), name="docs-assets")

    @app.get(DOCS_URL, include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=OPENAPI_URL,
            title=f"{app.title} API",
            swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_URL}/favicon.png",
            # no validator badge: it would load an image from validator.swagger.io; the key
            # pasted into Authorize is not kept in the browser's storage
            swagger_ui_parameters={"validatorUrl": None},
        )
