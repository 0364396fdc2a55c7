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
    "Proposal": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "page_slug": {"type": "string"},
            "title": {"type": "string"},
            "state": {"type": "string"},
            "author": _ref("User"),
            "base_revision_id": {"type": "integer", "nullable": True},
            "head_revision_id": {"type": "integer"},
            "needs_update": {"type": "boolean"},
            "reviewers": {"type": "array", "items": _ref("User")},
            "approval": {"type": "object"},
        },
    },
    "Review": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "revision_id": {"type": "integer"},
            "reviewer": _ref("User"),
            "verdict": {"type": "string", "enum": ["approve", "request_changes", "comment"]},
            "summary": {"type": "string"},
            "rubric": {"type": "object", "additionalProperties": {"type": "integer"}},
            "dismissed": {"type": "boolean"},
            "proposal": _ref("Proposal"),
        },
    },
    "NewReview": {
        "type": "object",
        "required": ["verdict"],
        "properties": {
            "verdict": {"type": "string", "enum": ["approve", "request_changes", "comment"]},
            "summary": {"type": "string"},
            "rubric": {
                "type": "object",
                "additionalProperties": {"type": "integer", "minimum": 1, "maximum": 4},
            },
            "comments": {"type": "array", "items": {"$ref": "#/components/schemas/NewComment"}},
        },
    },
    "Comment": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "revision_id": {"type": "integer"},
            "parent_id": {"type": "integer", "nullable": True},
            "author": _ref("User"),
            "body": {"type": "string"},
            "html": {"type": "string"},
            "line": {"type": "integer", "nullable": True},
            "line_end": {"type": "integer", "nullable": True},
            "suggestion": {"type": "string", "nullable": True},
            "resolved": {"type": "boolean"},
        },
    },
    "NewComment": {
        "type": "object",
        "required": ["body"],
        "properties": {
            "body": {"type": "string"},
            "line": {"type": "integer", "description": "1-based line of the revision's Markdown."},
            "line_end": {"type": "integer"},
            "parent_id": {"type": "integer"},
            "suggestion": {"type": "string", "description": "Replacement text for line..line_end."},
        },
    },
    "SearchResults": {
        "type": "object",
        "properties": {
            "total": {"type": "integer"},
            "results": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "slug": {"type": "string"},
                        "title": {"type": "string"},
                        "snippet_html": {"type": "string"},
                        "score": {"type": "number"},
                        "department": {"type": "string"},
                        "tags": {"type": "array", "items": {"type": "string"}},
                        "updated_at": {"type": "string", "format": "date-time"},
                    },
                },
            },
            "suggestion": {"type": "string", "nullable": True},
            "facets": {
                "type": "object",
                "properties": {"department": {"type": "object"}, "tag": {"type": "object"}},
            },
        },
    },  # fmt: skip
    "NewPage": {
        "type": "object",
        "required": ["title", "body"],
        "properties": {
            "title": {"type": "string", "maxLength": 200},
            "body": {"type": "string"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "department": {"type": "string"},
            "summary": {"type": "string", "maxLength": 300},
            "submit": {
                "type": "boolean",
                "description": "Submit the new draft for review at once.",
            },
            "reviewers": {"type": "array", "items": {"type": "string"}},
            "departments": {"type": "array", "items": {"type": "string"}},
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

_REVISION = _param(
    "revision_id", "path", "integer", "Any revision of the proposal; actions need the latest."
)
_COMMENT = _param("comment_id", "path", "integer")
_REVIEW_ERRORS = ("401", "403", "404", "409", "422")

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
    "/revisions/{revision_id}/proposal": {
        "get": _op(
            "The proposal a revision belongs to, with its approval status",
            _json(_ref("Proposal")),
            params=[_REVISION],
            errors=("404",),
        ),  # fmt: skip
    },
    "/revisions/{revision_id}/submit": {
        "post": _op(
            "Ask reviewers (people and/or whole departments); draft -> in_review",
            _json(_ref("Proposal")),
            params=[_REVISION],
            errors=_REVIEW_ERRORS,
            auth=True,
            body={
                "type": "object",
                "properties": {
                    "reviewers": {"type": "array", "items": {"type": "string"}},
                    "departments": {"type": "array", "items": {"type": "string"}},
                },
            },
        ),  # fmt: skip
    },
    "/revisions/{revision_id}/withdraw": {
        "post": _op(
            "Withdraw an open proposal",
            _json(_ref("Proposal")),
            params=[_REVISION],
            errors=_REVIEW_ERRORS,
            auth=True,
        ),  # fmt: skip
    },
    "/revisions/{revision_id}/reopen": {
        "post": _op(
            "Reopen a withdrawn proposal as a draft",
            _json(_ref("Proposal")),
            params=[_REVISION],
            errors=_REVIEW_ERRORS,
            auth=True,
        ),  # fmt: skip
    },
    "/revisions/{revision_id}/override": {
        "post": _op(
            "Administrators: lift requests for changes, with a recorded reason",
            _json(_ref("Proposal")),
            params=[_REVISION],
            errors=_REVIEW_ERRORS,
            auth=True,
            body={
                "type": "object",
                "required": ["reason"],
                "properties": {"reason": {"type": "string"}},
            },
        ),  # fmt: skip
    },
    "/revisions/{revision_id}/reviews": {
        "get": _op(
            "Reviews of the proposal",
            _json({"type": "object"}),
            params=[_REVISION],
            errors=("404",),
        ),
        "post": _op(
            "Review the latest revision: 403 for the author, 409 when not in review, 422 for "
            "request_changes without a specific comment",
            _json(_ref("Review"), "Created"),
            status="201",
            params=[_REVISION],
            errors=_REVIEW_ERRORS,
            auth=True,
            body=_ref("NewReview"),
        ),  # fmt: skip
    },
    "/revisions/{revision_id}/comments": {
        "get": _op(
            "Comment threads, placed on this revision's lines (or outdated)",
            _json({"type": "object"}),
            params=[_REVISION],
            errors=("404",),
        ),  # fmt: skip
        "post": _op(
            "Comment generally, on a line or range, as a reply, or with a suggested change",
            _json(_ref("Comment"), "Created"),
            status="201",
            params=[_REVISION],
            errors=_REVIEW_ERRORS,
            auth=True,
            body=_ref("NewComment"),
        ),  # fmt: skip
    },
    "/revisions/{revision_id}/reviewer-suggestions": {
        "get": _op(
            "Suggested reviewers with reasons (always one from another department)",
            _json({"type": "object"}),
            params=[_REVISION],
            errors=("404",),
        ),  # fmt: skip
    },
    "/revisions/{revision_id}/review-record": {
        "get": _op(
            "The full review record: revisions, reviews, rubric scores, threads, timeline",
            _json({"type": "object"}),
            params=[_REVISION],
            errors=("404",),
        ),  # fmt: skip
    },
    "/comments/{comment_id}/resolve": {
        "post": _op(
            "Resolve a comment thread",
            _json(_ref("Comment")),
            params=[_COMMENT],
            errors=_REVIEW_ERRORS,
            auth=True,
        ),  # fmt: skip
    },
    "/comments/{comment_id}/reopen": {
        "post": _op(
            "Reopen a resolved thread",
            _json(_ref("Comment")),
            params=[_COMMENT],
            errors=_REVIEW_ERRORS,
            auth=True,
        ),  # fmt: skip
    },
    "/comments/{comment_id}/apply": {
        "post": _op(
            "Apply a suggested change as a new revision (the proposal's author)",
            _json(_ref("Revision"), "Created"),
            status="201",
            params=[_COMMENT],
            errors=_REVIEW_ERRORS,
            auth=True,
        ),  # fmt: skip
    },
    "/review-queue": {
        "get": _op(
            "Waiting for my review, my proposals, changes requested of me",
            _json({"type": "object"}),
            errors=("401",),
            auth=True,
        ),  # fmt: skip
    },
    "/notifications": {
        "get": _op(
            "My notifications, newest first, with the unread count",
            _json({"type": "object"}),
            params=[*_PAGING, _param("unread", "query")],
            errors=("401",),
            auth=True,
        ),  # fmt: skip
    },
    "/notifications/read": {
        "post": _op(
            "Mark notifications read (all, or {ids: [...]})",
            _json({"type": "object"}),
            errors=("401", "422"),
            auth=True,
        ),  # fmt: skip
    },
    "/search": {
        "get": _op(
            "Full-text search of published pages (and, with pending=1, your own open proposals)",
            _json(_ref("SearchResults")),
            params=[
                _param(
                    "q",
                    "query",
                    description='Words, "phrases", -exclusions, OR, prefix*, tag:, department:, author:',
                ),
                _param("tag", "query"),
                _param("department", "query"),
                _param("author", "query"),
                *_PAGING,
                _param("sort", "query", description="relevance (default) or date"),
                _param("pending", "query", description="1: include your pending proposals"),
            ],
            errors=("503",),
        ),  # fmt: skip
    },
    "/search/suggest": {
        "get": _op(
            "Page titles for the as-you-type search box",
            _json({"type": "object"}),
            params=[_param("q", "query")],
            errors=("503",),
        ),  # fmt: skip
    },
    "/gaps": {
        "get": _op(
            "Knowledge gaps: unanswered questions, most asked first",
            _json({"type": "object"}),
            params=[*_PAGING, _param("answered", "query")],
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
