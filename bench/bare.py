"""Bare Flask apps that bench/load.py serves under Peerwiki's gunicorn settings, as a ceiling."""

from __future__ import annotations

from flask import Flask

#: About as much HTML as a Peerwiki page view sends.
PAGE_BYTES = 20 * 1024


def hello() -> Flask:
    """An app that answers ``GET /`` with a short text."""
    app = Flask(__name__)
    app.add_url_rule("/", "hello", lambda: "Hello, World!")
    return app


def page() -> Flask:
    """An app that answers ``GET /`` with a fixed 20 KB HTML page."""
    paragraph = "<p>" + "Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 8 + "</p>\n"
    body = paragraph * round(PAGE_BYTES / len(paragraph))
    html = f"<!doctype html>\n<html><body>\n{body}</body></html>\n"
    app = Flask(__name__)
    app.add_url_rule("/", "page", lambda: html)
    return app
