"""Interactive API documentation at /api/docs: Swagger UI over the generated document.

The Swagger UI files come from the ``flask-openapi3-swagger`` package (no CDN); the page has
no inline script, so the site's Content-Security-Policy applies unchanged.
"""

from __future__ import annotations

from importlib.resources import files

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

#: Swagger UI's JavaScript and CSS, as the package installs them.
ASSETS = files("flask_openapi3_swagger") / "templates" / "swagger"

bp = Blueprint(
    "api_docs",
    __name__,
    url_prefix="/api/docs",
    static_folder=str(ASSETS),
    static_url_path="/assets",
)


@bp.get("")
def index() -> ResponseReturnValue:
    """Show Swagger UI for /api/v1/openapi.json."""
    return render_template("api_docs/index.html")
