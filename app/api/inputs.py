"""Reading and checking JSON request bodies; malformed input becomes a clear 400 or 422."""

from __future__ import annotations

from typing import Any

from flask import request

from app import deps
from app.exceptions import ValidationError
from app.models import User


class BadRequest(Exception):
    """The request body is not a JSON object."""


class Unauthenticated(Exception):
    """The endpoint needs a signed-in user or an API token."""


def json_body() -> dict[str, Any]:
    """Return the request's JSON object; raise BadRequest for anything else."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise BadRequest
    return data


def author() -> User:
    """Return the authenticated user; raise Unauthenticated for anonymous requests."""
    user = deps.actor()
    if user is None:
        raise Unauthenticated
    return user


def text(data: dict[str, Any], key: str, *, required: bool = False) -> str | None:
    """Return the string at ``key`` (None when absent and optional)."""
    value = data.get(key)
    if value is None:
        if required:
            raise ValidationError(f"{key!r} is required.", {key: "This field is required."})
        return None
    if not isinstance(value, str):
        raise ValidationError(f"{key!r} must be a string.", {key: "Must be a string."})
    return value


def integer(data: dict[str, Any], key: str) -> int | None:
    """Return the integer at ``key``, or None when absent."""
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValidationError(f"{key!r} must be an integer.", {key: "Must be an integer."})
    return value


def names(data: dict[str, Any], key: str) -> list[str]:
    """Return the list of strings at ``key`` (empty when absent)."""
    value = data.get(key) or []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValidationError(
            f"{key!r} must be a list of strings.", {key: "Must be a list of strings."}
        )
    return value
