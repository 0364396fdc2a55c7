"""The OpenAPI 3 description of ``/api/v1``; a test checks it lists every route."""

from __future__ import annotations

from typing import Any

_ERROR = {"$ref": "#/components/responses/Error"}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _op(
    summary: str,
    ok: dict[str, Any],
    *,
    status: str = "200",
    body: dict[str, Any] | None = None,
    params: list[dict[str, Any]] | None = None,
    errors: tuple[str, ...] = (),
    auth: bool = False,
) -> dict[str, Any]:
    operation: dict[str, Any] = {"summary": summary, "responses": {status: ok}}
    for code in errors:
        operation["responses"][code] = _ERROR
    if body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": body}},
        }
    if params:
        operation["parameters"] = params
    if auth:
        operation["security"] = [{"bearer": []}, {"session": []}]
    return operation


def _param(name: str, where: str, kind: str = "string", description: str = "") -> dict[str, Any]:
    return {
        "name": name,
        "in": where,
        "required": where == "path",
        "schema": {"type": kind},
        "description": description,
    }


_SLUG = _param("slug", "path", description="Page slug; old slugs of renamed pages work too.")
_PAGING = [
    _param("page", "query", "integer", "Page number, from 1."),
    _param("per_page", "query", "integer", "Items per page (1-100, default 20)."),
]

_SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                    "fields": {"type": "object", "additionalProperties": {"type": "string"}},
                },
            },
            "current_revision": _ref("Revision"),
        },
    },
    "User": {
        "type": "object",
        "properties": {
            "username": {"type": "string"},
            "name": {"type": "string"},
            "department": {"type": "string"},
        },
    },
    "Revision": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "page_slug": {"type": "string"},
            "number": {"type": "integer"},
            "parent_id": {"type": "integer", "nullable": True},
            "title": {"type": "string"},
            "body": {"type": "string", "description": "Markdown source."},
            "html": {"type": "string", "description": "Sanitised HTML, as a page view shows it."},
            "toc": {"type": "array", "items": {"type": "object"}},
            "tags": {"type": "array", "items": {"type": "string"}},
            "department": {"type": "string", "nullable": True},
            "summary": {"type": "string"},
            "status": {
                "type": "string",
                "enum": [
                    "draft",
                    "in_review",
                    "changes_requested",
                    "approved",
                    "published",
                    "superseded",
                    "withdrawn",
                ],
            },  # fmt: skip
            "author": _ref("User"),
            "created_at": {"type": "string", "format": "date-time"},
            "published_at": {"type": "string", "format": "date-time", "nullable": True},
        },
    },
    "Page": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "slug": {"type": "string"},
            "title": {"type": "string"},
            "department": {"type": "string", "nullable": True},
            "tags": {"type": "array", "items": {"type": "string"}},
            "created_by": _ref("User"),
            "created_at": {"type": "string", "format": "date-time"},
            "updated_at": {"type": "string", "format": "date-time"},
            "archived": {"type": "boolean"},
            "url": {"type": "string"},
            "published_revision": {**_ref("Revision"), "nullable": True},
            "latest_revision": {**_ref("Revision"), "nullable": True},
        },
    },
    "PageList": {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": _ref("Page")},
            "page": {"type": "integer"},
            "per_page": {"type": "integer"},
            "total": {"type": "integer"},
            "pages": {"type": "integer"},
        },
    },
    "RevisionList": {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": _ref("Revision")},
            "total": {"type": "integer"},
        },
    },
    "Diff": {
        "type": "object",
        "properties": {
            "from": {"type": "integer", "nullable": True},
            "to": {"type": "integer"},
            "added": {"type": "integer"},
            "removed": {"type": "integer"},
            "hunks": {"type": "array", "items": {"type": "object"}},
        },
    },
    "NewPage": {
        "type": "object",
        "required": ["title", "body"],
        "properties": {
            "title": {"type": "string", "maxLength": 200},
            "body": {"type": "string"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "department": {"type": "string"},
            "summary": {"type": "string", "maxLength": 300},
        },
    },
    "NewRevision": {
        "type": "object",
        "required": ["body", "base_revision_id"],
        "properties": {
            "body": {"type": "string"},
            "base_revision_id": {"type": "integer"},
            "title": {"type": "string"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "department": {"type": "string"},
            "summary": {"type": "string"},
        },
    },
}

_PATHS: dict[str, Any] = {
    "/openapi.json": {"get": _op("This document", _json({"type": "object"}))},
    "/pages": {
        "get": _op(
            "List live pages, most recently updated first",
            _json(_ref("PageList")),
            params=[*_PAGING, _param("tag", "query"), _param("department", "query")],
        ),
        "post": _op(
            "Create a page",
            _json(_ref("Page"), "Created"),
            status="201",
            body=_ref("NewPage"),
            errors=("400", "401", "422"),
            auth=True,
        ),  # fmt: skip
    },
    "/pages/{slug}": {
        "get": _op(
            "A page with its published and latest revisions",
            _json(_ref("Page")),
            params=[_SLUG],
            errors=("404",),
        ),  # fmt: skip
    },
    "/pages/{slug}/revisions": {
        "get": _op(
            "Every revision of a page, newest first",
            _json(_ref("RevisionList")),
            params=[_SLUG],
            errors=("404",),
        ),  # fmt: skip
        "post": _op(
            "Save an edit; 409 with current_revision when base_revision_id is not the latest",
            _json(_ref("Revision"), "Created"),
            status="201",
            body=_ref("NewRevision"),
            params=[_SLUG],
            errors=("400", "401", "404", "409", "422"),
            auth=True,
        ),  # fmt: skip
    },
    "/pages/{slug}/diff": {
        "get": _op(
            "Line diff between two revisions (default: latest against its parent)",
            _json(_ref("Diff")),
            params=[_SLUG, _param("from", "query", "integer"), _param("to", "query", "integer")],
            errors=("404",),
        ),
    },
    "/pages/{slug}/archive": {
        "post": _op(
            "Archive a page (author or admin)",
            _json(_ref("Page")),
            params=[_SLUG],
            errors=("401", "403", "404", "409"),
            auth=True,
        ),  # fmt: skip
    },
    "/pages/{slug}/restore": {
        "post": _op(
            "Restore an archived page (author or admin)",
            _json(_ref("Page")),
            params=[_SLUG],
            errors=("401", "403", "404", "409"),
            auth=True,
        ),  # fmt: skip
    },
    "/revisions/{revision_id}": {
        "get": _op(
            "One revision",
            _json(_ref("Revision")),
            params=[_param("revision_id", "path", "integer")],
            errors=("404",),
        ),  # fmt: skip
    },
    "/render": {
        "post": _op(
            "Render Markdown exactly as a page view would show it",
            _json({"type": "object", "properties": {"html": {"type": "string"}}}),
            body={
                "type": "object",
                "required": ["markdown"],
                "properties": {"markdown": {"type": "string"}},
            },
            errors=("400", "401", "422"),
            auth=True,
        ),  # fmt: skip
    },
    "/departments": {
        "get": _op("Departments with their page counts", _json({"type": "object"})),
    },
    "/me": {"get": _op("The authenticated user", _json(_ref("User")), errors=("401",), auth=True)},
    "/users/{username}": {
        "get": _op(
            "A user", _json(_ref("User")), params=[_param("username", "path")], errors=("404",)
        ),  # fmt: skip
    },
}


def document() -> dict[str, Any]:
    """Return the OpenAPI document."""
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Peerwiki API",
            "version": "1",
            "description": 'Errors are JSON: {"error": {"code", "message", "fields"?}}.',
        },
        "servers": [{"url": "/api/v1"}],
        "paths": _PATHS,
        "components": {
            "schemas": _SCHEMAS,
            "responses": {"Error": _json(_ref("Error"), "Error")},
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "flask --app app tokens create USERNAME",
                },
                "session": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "session",
                    "description": "The site's own session; writes need X-CSRFToken.",
                },
            },  # fmt: skip
        },
    }
