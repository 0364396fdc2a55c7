"""Peerwiki: a knowledge-sharing wiki where every change is peer reviewed.

Importing the package loads nothing else: the domain and the services can be used without the
web stack, and ``create_app`` wires the edges in.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    """Build a fully wired application; tests pass ``overrides``."""
    from flask import Flask

    from app import api, cache, cli, config, deps, extensions, observability, views, web

    app = Flask(
        __name__,
        template_folder=str(config.PROJECT_ROOT / "templates"),
        instance_path=str(config.PROJECT_ROOT / "instance"),
    )
    config.load(app, overrides)
    observability.init_app(app)
    deps.init_app(app)
    extensions.init_app(app)
    cache.init_app(app)
    web.init_app(app)
    views.register_blueprints(app)
    api.init_app(app)
    cli.init_app(app)
    return app
