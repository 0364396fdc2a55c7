"""Map domain errors and HTTP errors to styled pages, or to JSON under /api/."""

from __future__ import annotations

from flask import Flask, current_app, render_template
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from app.exceptions import (
    Conflict,
    NotFound,
    PermissionDenied,
    TooLarge,
    ValidationError,
    WikiError,
)
from app.web import error_response, wants_json

_STATUS: list[tuple[type[WikiError], int]] = [
    (NotFound, 404),
    (PermissionDenied, 403),
    (ValidationError, 422),
    (Conflict, 409),
    (TooLarge, 413),
]


def init_app(app: Flask) -> None:
    """Register the error handlers."""
    app.register_error_handler(WikiError, _domain_error)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)


def status_of(exc: WikiError) -> int:
    """Return the HTTP status that stands for ``exc``."""
    return next((status for kind, status in _STATUS if isinstance(exc, kind)), 400)


def _page(status: int, title: str, message: str) -> ResponseReturnValue:
    template = f"errors/{status}.html" if status in (403, 404, 409, 500) else "errors/generic.html"
    return render_template(template, status=status, title=title, message=message), status


def _domain_error(exc: WikiError) -> ResponseReturnValue:
    status = status_of(exc)
    if wants_json():
        return error_response(status, exc.code, exc.message, getattr(exc, "fields", None))
    return _page(
        status, {404: "Not found", 403: "Not allowed"}.get(status, "Cannot do that"), exc.message
    )


def _csrf_error(exc: CSRFError) -> ResponseReturnValue:
    message = (
        "Your form expired or came from another site, so nothing was changed. "
        "Go back, reload the page and try again; text you typed in the editor is kept in your browser."
    )
    if wants_json():
        return error_response(400, "csrf_failed", exc.description or message)
    return _page(400, "Form expired", message)


def _http_error(exc: HTTPException) -> ResponseReturnValue:
    status = exc.code or 500
    description = exc.description or ""
    if status == 429:  # Flask-Limiter's description is the limit, "20 per 1 minute"
        description = f"Too many requests: at most {description}. Wait a minute and try again."
    if wants_json():
        code = (exc.name or "error").lower().replace(" ", "_")
        return error_response(status, code, description or exc.name)
    friendly = {
        404: "There is nothing at this address. It may have moved, or the link may be mistyped.",
        405: "That action is not available here.",
        413: "That is too large to save. Split the page, or remove large pasted content.",
    }
    return _page(status, exc.name, friendly.get(status, description))


def _unexpected_error(exc: Exception) -> ResponseReturnValue:
    current_app.logger.exception("Unhandled error", exc_info=exc)
    if wants_json():
        return error_response(500, "internal_error", "Something went wrong on our side.")
    return _page(500, "Something went wrong", "The error is logged; please try again in a moment.")
