"""The OpenAPI document is generated from the API's models; requests are checked against them;
the interactive documentation is served from installed files under the site's CSP."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import validate
from sqlalchemy.orm import Session

from app.models import User
from tests.factories import make_page

ERROR_REF = "#/components/schemas/ErrorBody"


@pytest.fixture
def document(client: FlaskClient) -> dict[str, Any]:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def api_routes(app: Flask) -> list[tuple[str, str]]:
    """Every (path, method) under /api/v1, in the document's path syntax."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
            found += [(path, method.lower()) for method in rule.methods - {"HEAD", "OPTIONS"}]
    return sorted(found)


def test_document_is_valid_openapi_3(document: dict[str, Any]) -> None:
    validate(document)
    assert document["openapi"].startswith("3.")
    assert document["servers"] == [{"url": "/api/v1"}]


def test_every_api_route_is_documented_with_its_answers(
    app: Flask, document: dict[str, Any]
) -> None:
    routes = api_routes(app)
    assert len(routes) >= 30
    documented = sorted(
        (path, method) for path, item in document["paths"].items() for method in item
    )
    assert documented == routes
    for path, method in routes:
        operation = document["paths"][path][method]
        assert operation["summary"] and operation["operationId"], (method, path)
        responses = operation["responses"]
        ok = [code for code in responses if code.startswith("2")]
        assert len(ok) == 1, (method, path, responses)
        if ok == ["204"]:  # a deletion answers without a body
            assert "content" not in responses["204"], (method, path)
        else:
            assert responses[ok[0]]["content"]["application/json"]["schema"]["$ref"]
        for code in ("401", "422"):
            schema = responses[code]["content"]["application/json"]["schema"]
            assert schema == {"$ref": ERROR_REF}, (method, path, code)
        parameters = {p["name"] for p in operation["parameters"] if p["in"] == "path"}
        assert parameters == set(re.findall(r"{(\w+)}", path))
        # Every write is rate limited (API_WRITE_RATE_LIMIT, or its own limit) and says so.
        assert ("429" in responses) == (method != "get"), (method, path)
        if method != "get":
            assert "Retry-After" in responses["429"]["headers"]


def test_request_and_response_shapes_come_from_the_models(document: dict[str, Any]) -> None:
    create = document["paths"]["/pages"]["post"]
    body = create["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/NewPage"}
    schemas = document["components"]["schemas"]
    assert set(schemas["NewPage"]["required"]) == {"title", "body"}
    assert create["security"] == [{"bearer": []}, {"session": []}]
    assert "security" not in document["paths"]["/pages"]["get"]
    assert "from" in schemas["PageDiff"]["properties"]
    assert schemas["ErrorDetail"]["required"] == ["code", "message"]
    assert schemas["Revision"]["properties"]["status"] == {"$ref": "#/components/schemas/State"}
    search = {p["name"] for p in document["paths"]["/search"]["get"]["parameters"]}
    assert {"q", "tag", "department", "author", "page", "per_page", "sort", "pending"} <= search


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"title": "T", "body": "b", "tags": ["ok", 3]}, "tags"),
        ({"title": "T", "body": "b", "submit": "yes"}, "submit"),
        ({"title": ["T"], "body": "b"}, "title"),
    ],
)
def test_invalid_fields_answer_422_with_fields(
    api_for: Any, author: User, payload: Any, field: str
) -> None:
    response = api_for(author).post("/api/v1/pages", json=payload)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invalid" and field in error["fields"] and error["message"]


@pytest.mark.parametrize("data", ["[1, 2]", '"text"', "", "\xff"])
def test_a_body_that_is_not_a_json_object_is_400(api_for: Any, author: User, data: str) -> None:
    response = api_for(author).post(
        "/api/v1/pages", data=data.encode("latin-1"), content_type="application/json"
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_request"


def test_a_body_without_required_fields_may_be_left_out(api_for: Any, author: User) -> None:
    response = api_for(author).post("/api/v1/notifications/read")
    assert response.status_code == 200 and response.get_json() == {"marked_read": 0}


def test_anonymous_writes_are_401_before_their_body_is_checked(client: FlaskClient) -> None:
    response = client.post("/api/v1/pages", json={"title": 5})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/pages?page=abc", "page"),
        ("/api/v1/pages?page=0", "page"),
        ("/api/v1/search?q=x&sort=sideways", "sort"),
        ("/api/v1/gaps?page=99999999999999999999", "page"),
    ],
)
def test_invalid_query_values_answer_422(client: FlaskClient, url: str, field: str) -> None:
    response = client.get(url)
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]


def test_large_page_sizes_are_capped(client: FlaskClient) -> None:
    assert client.get("/api/v1/pages?per_page=100000").get_json()["per_page"] == 100


def test_api_docs_page_loads_its_assets_from_this_site(client: FlaskClient) -> None:
    response = client.get("/api/docs")
    assert response.status_code == 200
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    html = response.get_data(as_text=True)
    assert "<script>" not in html and not re.search(r"https?://", html)
    assets = re.findall(r'<script src="([^"]+)"|<link rel="stylesheet" href="([^"]+)"', html)
    assets = [script or style for script, style in assets]
    assert any(url.endswith("swagger-ui-bundle.js") for url in assets)
    assert any(url.endswith("swagger-ui.css") for url in assets)
    assert 'data-spec-url="/api/v1/openapi.json"' in html
    for url in assets:
        with client.get(url) as asset:
            assert asset.status_code == 200, url
            assert asset.content_type.split(";")[0] in {"text/javascript", "text/css"}, url
            if url.startswith("/static/"):
                assert not re.search(rb"https?://", asset.data), url


@pytest.mark.parametrize(
    ("method", "url", "payload", "field"),
    [
        ("get", "/api/v1/pages/ids/diff?to=87495029955541854060544&from=1", None, "to"),
        (
            "post",
            "/api/v1/pages/ids/revisions",
            {"body": "x", "base_revision_id": 2**40},
            "base_revision_id",
        ),
        ("post", "/api/v1/notifications/read", {"ids": [1, 2**63]}, "ids"),
    ],
)
def test_ids_too_large_for_the_database_answer_422(
    api_for: Any, session: Session, author: User, method: str, url: str, payload: Any, field: str
) -> None:
    make_page(session, author, title="Ids")
    response = getattr(api_for(author), method)(url, json=payload)
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]
