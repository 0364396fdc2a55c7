"""Every onboarding-path endpoint of the JSON API."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from app.models import User
from tests.factories import edit_page, make_page, make_user

STEPS = ["expenses-guide", "travel-policy"]


def _published_path(api_for: Any, author: User, reviewer: User) -> int:
    created = api_for(author).post("/api/v1/paths", json={
        "title": "Your first week in Finance", "description": "Start here.", "pages": STEPS,
        "submit": True,
    })  # fmt: skip
    assert created.status_code == 201, created.get_json()
    path_id = int(created.get_json()["id"])
    approved = api_for(reviewer).post(f"/api/v1/paths/{path_id}/reviews", json={"verdict": "approve"})  # fmt: skip
    assert approved.status_code == 200 and approved.get_json()["published"] is True
    return path_id


def test_create_list_get_and_update_a_path(
    client: Any, session: Session, author: User, reviewer: User, api_for: Any
) -> None:
    for title in ("Expenses Guide", "Travel Policy", "Payroll Calendar"):
        make_page(session, author, title=title)
    alex = api_for(author)
    created = alex.post("/api/v1/paths", json={"title": "Week one", "pages": STEPS})
    body = created.get_json()
    assert created.status_code == 201 and created.headers["Location"].endswith(
        f"/paths/{body['id']}"
    )
    assert body["published"] is False and body["version"]["state"] == "draft"
    assert [step["slug"] for step in body["version"]["steps"]] == STEPS
    assert body["url"].endswith(f"/paths/{body['id']}")
    path_id = body["id"]
    assert client.get(f"/api/v1/paths/{path_id}").status_code == 404  # a draft: its author's
    assert client.get("/api/v1/paths").get_json() == {"items": []}
    assert [item["id"] for item in alex.get("/api/v1/paths").get_json()["items"]] == [path_id]

    submitted = alex.post(f"/api/v1/paths/{path_id}/submit")
    assert submitted.status_code == 200 and submitted.get_json()["version"]["state"] == "in_review"
    fatima = api_for(reviewer)
    assert fatima.post(f"/api/v1/paths/{path_id}/reviews", json={"verdict": "approve"}).get_json()["published"]  # fmt: skip
    listed = client.get("/api/v1/paths").get_json()["items"]
    assert [(item["title"], item["steps"]) for item in listed] == [("Week one", 2)]

    changed = fatima.client.put(
        f"/api/v1/paths/{path_id}", headers=fatima.headers,
        json={"title": "Week one", "pages": [*STEPS, "payroll-calendar"], "submit": True},
    )  # fmt: skip
    body = changed.get_json()
    assert changed.status_code == 200
    assert len(body["version"]["steps"]) == 2 and len(body["pending"]["steps"]) == 3
    assert body["pending"]["state"] == "in_review"
    own = fatima.post(f"/api/v1/paths/{path_id}/reviews", json={"verdict": "approve"})
    assert own.status_code == 403
    after = alex.post(f"/api/v1/paths/{path_id}/reviews", json={"verdict": "approve"}).get_json()
    assert len(after["version"]["steps"]) == 3 and after["pending"] is None


def test_invalid_paths_answer_422_with_the_fields(author: User, api_for: Any) -> None:
    answer = api_for(author).post("/api/v1/paths", json={"title": "", "pages": ["nothing-here"]})
    assert answer.status_code == 422
    assert set(answer.get_json()["error"]["fields"]) == {"title", "pages"}


def test_progress_is_read_and_marked_through_post_and_put(
    session: Session, author: User, reviewer: User, api_for: Any
) -> None:
    first = make_page(session, author, title="Expenses Guide")
    make_page(session, author, title="Travel Policy")
    path_id = _published_path(api_for, author, reviewer)
    fatima = api_for(reviewer)
    before = fatima.get(f"/api/v1/paths/{path_id}/progress").get_json()
    assert (before["done"], before["total"], before["finished"]) == (0, 2, False)
    marked = fatima.post(f"/api/v1/paths/{path_id}/progress", json={"page": "expenses-guide"})
    assert marked.status_code == 200 and marked.get_json()["done"] == 1
    put = fatima.client.put(
        f"/api/v1/paths/{path_id}/progress", headers=fatima.headers, json={"page": "travel-policy"}
    )
    assert put.get_json()["finished"] is True
    newer = edit_page(session, author, first, "# Expenses\n\nNew rules.\n")
    step = fatima.get(f"/api/v1/paths/{path_id}/progress").get_json()["steps"][0]
    assert step["updated_since_read"] is True and step["read_revision_id"] == first.id
    assert step["diff_url"].endswith(f"/wiki/expenses-guide/diff?from={first.id}&to={newer.id}")
    undone = fatima.post(f"/api/v1/paths/{path_id}/progress", json={"page": "expenses-guide", "done": False})  # fmt: skip
    assert undone.get_json()["done"] == 1
    stray = fatima.post(f"/api/v1/paths/{path_id}/progress", json={"page": "payroll"})
    assert stray.status_code == 404


def test_assignments_are_listed_made_and_taken_back_by_owners(
    session: Session, author: User, reviewer: User, api_for: Any
) -> None:
    make_page(session, author, title="Expenses Guide")
    make_page(session, author, title="Travel Policy")
    make_user(session, username="sam", department="Finance")
    path_id = _published_path(api_for, author, reviewer)
    alex, fatima = api_for(author), api_for(reviewer)
    assert fatima.get(f"/api/v1/paths/{path_id}/assignments").status_code == 403
    person = alex.post(f"/api/v1/paths/{path_id}/assignments", json={"username": "sam"})
    assert person.status_code == 201 and person.get_json()["user"]["username"] == "sam"
    team = alex.post(f"/api/v1/paths/{path_id}/assignments", json={"department": "Finance"})
    assert team.status_code == 201 and team.get_json()["department"] == "Finance"
    both = alex.post(f"/api/v1/paths/{path_id}/assignments", json={"username": "sam", "department": "Finance"})  # fmt: skip
    assert both.status_code == 422
    twice = alex.post(f"/api/v1/paths/{path_id}/assignments", json={"username": "sam"})
    assert twice.status_code == 409
    outside = fatima.post(f"/api/v1/paths/{path_id}/assignments", json={"department": "Engineering"})  # fmt: skip
    assert outside.status_code == 403  # a Finance member assigns within Finance only
    listed = alex.get(f"/api/v1/paths/{path_id}/assignments").get_json()["items"]
    assert [(item["user"] or {}).get("username") or item["department"] for item in listed] == ["sam", "Finance"]  # fmt: skip
    gone = alex.delete(f"/api/v1/paths/{path_id}/assignments/{listed[0]['id']}")
    assert gone.status_code == 204
    assert len(alex.get(f"/api/v1/paths/{path_id}/assignments").get_json()["items"]) == 1
    assert alex.delete(f"/api/v1/paths/{path_id}/assignments/{listed[0]['id']}").status_code == 404


def test_stats_are_for_owners(session: Session, author: User, reviewer: User, api_for: Any) -> None:
    make_page(session, author, title="Expenses Guide")
    make_page(session, author, title="Travel Policy")
    path_id = _published_path(api_for, author, reviewer)
    fatima = api_for(reviewer)
    fatima.post(f"/api/v1/paths/{path_id}/progress", json={"page": "expenses-guide"})
    assert fatima.get(f"/api/v1/paths/{path_id}/stats").status_code == 403
    stats = api_for(author).get(f"/api/v1/paths/{path_id}/stats").get_json()
    assert (stats["following"], stats["started"], stats["finished"]) == (1, 1, 0)
    assert [(row["slug"], row["done"], row["stopped_here"]) for row in stats["steps"]] == [
        ("expenses-guide", 1, 0), ("travel-policy", 0, 1),
    ]  # fmt: skip


def test_anonymous_callers_read_published_paths_but_not_progress(
    client: Any, session: Session, author: User, reviewer: User, api_for: Any
) -> None:
    make_page(session, author, title="Expenses Guide")
    make_page(session, author, title="Travel Policy")
    path_id = _published_path(api_for, author, reviewer)
    assert client.get(f"/api/v1/paths/{path_id}").get_json()["version"]["state"] == "published"
    assert client.get(f"/api/v1/paths/{path_id}/progress").status_code == 401
    assert client.get("/api/v1/paths/999").status_code == 404
