"""One definition per API shape: the pydantic models validate requests, shape responses and make
the OpenAPI document, through spectree.

Adding a route (say ``GET /api/v1/audit``)::

    @bp.get("/audit")
    @endpoint(out.AuditList, errors=(401, 403), auth=True)
    def audit(query: inputs.AuditArgs) -> ResponseReturnValue:
        \"\"\"Audit log entries, newest first (administrators).\"\"\"
        return out.to_audit_list(audit_service.entries(deps.session(), ..., page=query.page))

- the response model goes in ``serializers.py`` (with its ``to_...`` builder), request bodies and
  query strings in ``inputs.py``;
- a view takes its body as ``json: inputs.Model`` and its query string as ``query: inputs.Model``
  (spectree reads the annotations, validates, and passes the parsed models in);
- ``errors`` lists the error statuses the route can answer besides the ones every route can (see
  ``COMMON_ERRORS``); ``auth=True`` refuses anonymous callers with 401 before anything else;
- the docstring's first line is the operation's summary in the document.

``tests/integration/test_openapi.py`` fails for a route under /api/v1 that is not documented.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from flask import Response as FlaskResponse
from flask import request
from pydantic import BaseModel
from pydantic import ValidationError as PydanticError
from spectree import Response, SecurityScheme, SpecTree
from spectree.models import InType, SecureType, SecuritySchemeData
from spectree.utils import get_request_model_hints

from app import deps
from app.exceptions import ValidationError
from app.models import User
from app.web import ErrorBody

#: Where the API is mounted; the document's paths are relative to it (its ``servers`` entry).
PREFIX = "/api/v1"

#: Statuses any route may answer: a bad or revoked token (401), a session write without its
#: CSRF token (400).
COMMON_ERRORS = (400, 401)

#: Methods that change something: rate limited together (``API_WRITE_RATE_LIMIT``), so every
#: such operation documents 429.
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")

#: The answer of a write past its rate limit.
TOO_MANY_REQUESTS = {
    "description": "Too many writes: wait the seconds `Retry-After` names, then retry.",
    "headers": {"Retry-After": {"schema": {"type": "integer"}}},
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
}

#: How a caller authenticates, for routes that need someone (``auth=True``).
SECURITY: list[dict[str, list[str]]] = [{"bearer": []}, {"session": []}]

_PATH_PARAMETERS = {
    "slug": "Page slug; old slugs of renamed pages work too.",
    "revision_id": "Any revision of the proposal; actions need the latest.",
    "comment_id": "A comment's id.",
    "username": "A user's sign-in name.",
    "set_id": "A synonym set's id.",
    "path_id": "An onboarding path's id.",
    "question_id": "A help-wanted question's id.",
    "assignment_id": "An assignment's id (from the path's assignments).",
    "verification_id": "A verification's id.",
    "chart": "A chart's name, as GET /analytics lists them.",
    "space": "A space's slug.",
}

#: What a view returns: its response model (spectree writes it as JSON), optionally with a
#: status and headers. A real type, not flask's string-annotated alias: spectree resolves the
#: view's annotations at run time.
Answer = BaseModel | tuple[BaseModel, int] | tuple[BaseModel, int, dict[str, str]] | FlaskResponse

#: A view as written (it answers with a model) and as Flask sees it once decorated.
View = Callable[..., Answer]
Route = Callable[..., FlaskResponse]


class BadRequest(Exception):
    """The request body is not a JSON object."""


class Unauthenticated(Exception):
    """The endpoint needs a signed-in user or an API token."""


def _to_wiki_error(_req: Any, _resp: Any, error: Exception | None, *_args: Any) -> None:
    """Turn a failed request validation into the API's own 422 (see ``app.web.ErrorBody``)."""
    if not isinstance(error, PydanticError):
        return
    fields: dict[str, str] = {}
    for problem in error.errors(include_url=False):
        field, *inner = problem["loc"] or ("body",)
        where = ".".join(str(part) for part in inner)
        fields.setdefault(str(field), f"{where}: {problem['msg']}" if where else problem["msg"])
    first = next(iter(fields))
    raise ValidationError(f"{first!r}: {fields[first]}", fields)


spec = SpecTree(
    "flask",
    mode="strict",
    title="Peerwiki API",
    version="1",
    description=(
        'Errors are JSON: {"error": {"code", "message", "fields"?}}; `fields` (422) names the '
        "request fields that are wrong. Interactive documentation: /api/docs."
    ),
    security_schemes=[
        SecurityScheme(
            name="bearer",
            data=SecuritySchemeData(
                type=SecureType.HTTP,
                scheme="bearer",
                description="A token from `flask --app app tokens create USERNAME`.",
            ),
        ),
        SecurityScheme(
            name="session",
            data=SecuritySchemeData(
                type=SecureType.API_KEY,
                field_in=InType.COOKIE,
                name="session",
                description="The site's own session; writes need the X-CSRFToken header.",
            ),
        ),
    ],
    before=_to_wiki_error,
    validation_error_model=ErrorBody,
    naming_strategy=lambda model: model.__name__,
    nested_naming_strategy=lambda _parent, child: child,
)


def author() -> User:
    """Return the authenticated user; raise Unauthenticated for anonymous requests."""
    user = deps.actor()
    if user is None:
        raise Unauthenticated
    return user


def endpoint(
    ok: type[BaseModel] | None,
    *,
    status: int = 200,
    errors: Iterable[int] = (),
    auth: bool = False,
) -> Callable[[View], Route]:
    """Document and validate a view: ``ok`` is its answer with ``status`` (None: no body),
    ``errors`` the statuses it may answer with the error body; ``auth`` requires a signed-in
    caller."""
    statuses = sorted({*COMMON_ERRORS, *errors})

    def decorate(view: View) -> Route:
        body = get_request_model_hints(view).get("json")
        answers = {f"HTTP_{status}": ok} | {f"HTTP_{code}": ErrorBody for code in statuses}
        validated = spec.validate(
            resp=Response(**answers),
            security=SECURITY if auth else None,
            tags=[view.__module__.rsplit(".", 1)[-1]],
            operation_id=view.__name__,
            path_parameter_descriptions=_PATH_PARAMETERS,
        )(view)

        @wraps(validated)
        def checked(*args: Any, **kwargs: Any) -> FlaskResponse:
            if auth:
                author()
            if body is not None:
                _require_json_object(body)
            response: FlaskResponse = validated(*args, **kwargs)
            return response

        return checked

    return decorate


def _require_json_object(model: type[BaseModel]) -> None:
    """Raise BadRequest unless the body is a JSON object (or absent where nothing is required)."""
    data = request.get_json(silent=True)
    if isinstance(data, dict):
        return
    optional = not any(field.is_required() for field in model.model_fields.values())
    if not (optional and not request.get_data()):
        raise BadRequest


def document() -> dict[str, Any]:
    """Return the OpenAPI document, with paths relative to ``PREFIX``."""
    generated = spec.spec
    paths = {
        path.removeprefix(PREFIX): item
        for path, item in generated["paths"].items()
        if path.startswith(PREFIX + "/")
    }
    for item in paths.values():
        for method, operation in item.items():
            if method.upper() in WRITE_METHODS:
                operation["responses"].setdefault("429", TOO_MANY_REQUESTS)
    return {**generated, "servers": [{"url": PREFIX}], "paths": paths}
