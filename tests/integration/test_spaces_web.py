"""Spaces, the page tree, moves, breadcrumbs, recent changes and the Atom feed, through the
site and the API."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import AuditEntry, Page, User
from app.review.approval import ApprovalRules, Verdict
from app.services import review, spaces
from tests.conftest import WikiClient
from tests.factories import edit_page, make_page, make_user

ATOM = "{http://www.w3.org/2005/Atom}"
RULES = ApprovalRules()


def _tree_text(html: str) -> str:
    match = re.search(
        r'<details class="space-tree".*?</details>\s*(?=<div class="page-with-tree__main">)',
        html,
        re.S,
    )
    assert match, "no sidebar tree"
    return match.group(0)


def _crumbs(html: str) -> list[str]:
    match = re.search(r'<nav class="breadcrumbs" aria-label="Breadcrumb">(.*?)</nav>', html, re.S)
    assert match, "no breadcrumbs"
    return [
        re.sub(r"<[^>]+>", "", item).strip()
        for item in re.findall(r"<li>(.*?)</li>", match.group(1), re.S)
    ]


# ---- the API -------------------------------------------------------------------------------


def test_api_creates_a_page_in_a_space_under_a_parent(
    author_client: WikiClient, session: Session, author: User
) -> None:
    make_page(session, author, title="Runbooks")
    answer = author_client.post(
        "/api/v1/pages",
        json={"title": "Deploys", "body": "# Deploys\n\nSteps.", "parent": "runbooks"},
    )
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    assert (body["space"], body["parent"]) == ("engineering", "runbooks")
    # Without a space: the author's department's space, at the top.
    plain = author_client.post("/api/v1/pages", json={"title": "Lunch", "body": "Noon."}).get_json()
    assert (plain["space"], plain["parent"]) == ("engineering", None)


def test_api_refuses_an_unknown_space_or_parent_with_the_field_named(
    author_client: WikiClient,
) -> None:
    answer = author_client.post("/api/v1/pages", json={"title": "X", "body": "y", "space": "nope"})
    assert answer.status_code == 422
    assert "nope" in answer.get_json()["error"]["fields"]["space"]
    answer = author_client.post("/api/v1/pages", json={"title": "X", "body": "y", "parent": "nope"})
    assert answer.status_code == 422 and "parent" in answer.get_json()["error"]["fields"]


def test_api_edit_proposes_a_move_that_publication_applies(
    author_client: WikiClient, session: Session, author: User, reviewer: User
) -> None:
    make_page(session, author, title="Runbooks")
    deploys = make_page(session, author, title="Deploys", parent="runbooks")
    answer = author_client.post(
        "/api/v1/pages/deploys/revisions",
        json={"body": deploys.body, "base_revision_id": deploys.id, "parent": None,
              "submit": True, "reviewers": ["fatima"]},
    )  # fmt: skip
    assert answer.status_code == 201, answer.get_json()
    revision = answer.get_json()
    assert (revision["space"], revision["parent"]) == ("engineering", None)
    assert author_client.get("/api/v1/pages/deploys").get_json()["parent"] == "runbooks"
    review.add_review(session, actor=reviewer, revision_id=revision["id"],
                      verdict=Verdict.APPROVE, rules=RULES)  # fmt: skip
    assert author_client.get("/api/v1/pages/deploys").get_json()["parent"] is None


def test_api_edit_without_space_or_parent_keeps_the_place(
    author_client: WikiClient, session: Session, author: User
) -> None:
    make_page(session, author, title="Runbooks")
    deploys = make_page(session, author, title="Deploys", parent="runbooks")
    answer = author_client.post(
        "/api/v1/pages/deploys/revisions", json={"body": "New.", "base_revision_id": deploys.id}
    )
    assert answer.get_json()["parent"] == "runbooks"


def test_api_lists_spaces_and_nests_the_tree_without_drafts(
    client: FlaskClient, session: Session, author: User
) -> None:
    make_page(session, author, title="Runbooks")
    make_page(session, author, title="Deploys", parent="runbooks")
    make_page(session, author, title="Rollback", parent="deploys")
    make_page(session, author, title="Zebra Secret Draft", parent="runbooks", publish=False)
    listed = client.get("/api/v1/spaces").get_json()["items"]
    assert {"slug": "engineering", "name": "Engineering", "kind": "department"}.items() <= listed[
        0
    ].items()
    tree = client.get("/api/v1/spaces/engineering/tree").get_json()
    assert tree["items"] == [
        {"slug": "runbooks", "title": "Runbooks", "children": [
            {"slug": "deploys", "title": "Deploys", "children": [
                {"slug": "rollback", "title": "Rollback", "children": []}]}]}
    ]  # fmt: skip
    assert client.get("/api/v1/spaces/nowhere/tree").status_code == 404


def test_api_tree_hides_a_draft_even_from_other_members(
    reviewer_client: WikiClient, session: Session, author: User
) -> None:
    make_page(session, author, title="Runbooks")
    make_page(session, author, title="Zebra Secret Draft", parent="runbooks", publish=False)
    answer = reviewer_client.get("/api/v1/spaces/engineering/tree").get_data(as_text=True)
    assert "Zebra" not in answer and "zebra" not in answer


def test_api_space_creation_is_for_administrators(
    admin_client: WikiClient, author_client: WikiClient, session: Session, author: User
) -> None:
    refused = author_client.post("/api/v1/spaces", json={"name": "Apollo"})
    assert refused.status_code == 403
    made = admin_client.post(
        "/api/v1/spaces", json={"name": "Apollo", "members": ["alex"], "required_approvals": 2}
    )
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    assert (body["slug"], body["kind"], body["required_approvals"]) == ("apollo", "project", 2)
    assert [m["user"]["username"] for m in body["members"]] == ["alex"]
    assert made.headers["Location"].endswith("/api/v1/spaces/apollo")


def test_api_move_by_an_administrator_is_immediate_and_audited(
    admin_client: WikiClient, author_client: WikiClient, session: Session, author: User
) -> None:
    make_page(session, author, title="Runbooks")
    make_page(session, author, title="Deploys")
    assert (
        author_client.post("/api/v1/pages/deploys/move", json={"parent": "runbooks"}).status_code
        == 403
    )
    moved = admin_client.post("/api/v1/pages/deploys/move", json={"parent": "runbooks"})
    assert moved.status_code == 200 and moved.get_json()["parent"] == "runbooks"
    cycle = admin_client.post("/api/v1/pages/runbooks/move", json={"parent": "deploys"})
    assert cycle.status_code == 422
    assert "outside its branch" in cycle.get_json()["error"]["fields"]["parent"]
    assert session.scalars(select(AuditEntry).where(AuditEntry.action == "page.move")).one()


def test_api_recent_changes_filter_by_space(
    client: FlaskClient, session: Session, author: User, reviewer: User
) -> None:
    make_page(session, author, title="Deploys")
    make_page(session, reviewer, title="Budgets")
    everything = client.get("/api/v1/recent-changes").get_json()
    assert [item["page_slug"] for item in everything["items"]] == ["budgets", "deploys"]
    finance = client.get("/api/v1/recent-changes?space=finance").get_json()
    assert [item["page_slug"] for item in finance["items"]] == ["budgets"]
    assert finance["items"][0]["url"].startswith("http://")


# ---- page views: breadcrumbs, sidebar, the cache ----------------------------------------------


def test_page_view_shows_breadcrumbs_and_the_sidebar_tree(
    client: FlaskClient, session: Session, author: User
) -> None:
    make_page(session, author, title="Runbooks")
    make_page(session, author, title="Deploys", parent="runbooks")
    make_page(session, author, title="Rollback", parent="deploys")
    make_page(session, author, title="Zebra Secret Draft", parent="runbooks", publish=False)
    html = client.get("/wiki/rollback").get_data(as_text=True)
    assert _crumbs(html) == ["Engineering", "Runbooks", "Deploys", "Rollback"]
    tree = _tree_text(html)
    assert tree.index("Runbooks") < tree.index("Deploys") < tree.index("Rollback")
    assert 'aria-current="page">Rollback' in tree
    assert "Zebra" not in html


def test_a_cached_view_shows_the_new_place_after_a_move(
    client: FlaskClient, admin_client: WikiClient, session: Session, author: User, app: Flask
) -> None:
    make_page(session, author, title="Runbooks")
    make_page(session, author, title="Deploys")
    assert _crumbs(client.get("/wiki/deploys").get_data(as_text=True)) == ["Engineering", "Deploys"]
    client.get("/wiki/runbooks")  # both cached for anonymous readers now
    answer = admin_client.post(
        "/wiki/deploys/move", data={"space": "engineering", "parent": "Runbooks"}
    )
    assert answer.status_code == 302
    assert _crumbs(client.get("/wiki/deploys").get_data(as_text=True)) == [
        "Engineering",
        "Runbooks",
        "Deploys",
    ]
    # The parent's cached sidebar shows its new child too.
    assert "Deploys" in _tree_text(client.get("/wiki/runbooks").get_data(as_text=True))
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "page.move")).one()
    assert entry.detail is not None and entry.detail["to"] == "Engineering › Runbooks"


def test_a_rename_shows_in_the_cached_sidebar_of_other_pages(
    client: FlaskClient, session: Session, author: User
) -> None:
    runbooks = make_page(session, author, title="Runbooks")
    make_page(session, author, title="Deploys", parent="runbooks")
    assert "Runbooks" in _tree_text(client.get("/wiki/deploys").get_data(as_text=True))
    edit_page(session, author, runbooks, runbooks.body, title="Operations Runbooks")
    html = client.get("/wiki/deploys").get_data(as_text=True)
    assert "Operations Runbooks" in _tree_text(html)
    assert _crumbs(html) == ["Engineering", "Operations Runbooks", "Deploys"]


def test_move_form_is_for_administrators(
    author_client: WikiClient, admin_client: WikiClient, session: Session, author: User
) -> None:
    make_page(session, author, title="Deploys")
    assert author_client.get("/wiki/deploys/move").status_code == 403
    page = admin_client.get("/wiki/deploys/move").get_data(as_text=True)
    assert "Move “Deploys”" in page and "audit log" in page
    refused = admin_client.post(
        "/wiki/deploys/move", data={"space": "engineering", "parent": "Deploys"}
    )
    assert refused.status_code == 400 and "outside its branch" in refused.get_data(as_text=True)


# ---- moves through review ------------------------------------------------------------------


def test_editor_proposes_a_move_shown_on_the_proposal_and_applied_on_approval(
    author_client: WikiClient, reviewer_client: WikiClient, session: Session, author: User
) -> None:
    make_page(session, author, title="Runbooks")
    deploys = make_page(session, author, title="Deploys")
    editor = author_client.get("/wiki/deploys/edit").get_data(as_text=True)
    assert 'name="space"' in editor and 'name="parent"' in editor
    saved = author_client.post("/wiki/deploys/edit", data={
        "title": "Deploys", "body": deploys.body, "tags": "", "department": "Engineering",
        "space": "engineering", "parent": "Runbooks", "summary": "file under runbooks",
        "base_revision_id": str(deploys.id),
    })  # fmt: skip
    assert saved.status_code == 302, saved.get_data(as_text=True)
    proposal_url = saved.headers["Location"]
    shown = author_client.get(proposal_url).get_data(as_text=True)
    assert re.search(
        r"Moves “Deploys” from .*Engineering.* \(top level\) to .*Engineering.*Runbooks",
        shown,
        re.S,
    )
    session.expire_all()
    page = session.scalars(select(Page).where(Page.slug == "deploys")).one()
    revision_id = page.latest_revision_id
    answer = author_client.post(
        proposal_url + "/submit", data={"reviewers": "fatima", "revision_id": revision_id}
    )
    assert answer.status_code == 302
    reviewed = reviewer_client.post(
        proposal_url + "/reviews", data={"verdict": "approve", "revision_id": revision_id}
    )
    assert reviewed.status_code == 302
    assert "Moved “Deploys”" in reviewer_client.get(proposal_url).get_data(as_text=True)
    html = reviewer_client.get("/wiki/deploys").get_data(as_text=True)
    assert _crumbs(html) == ["Engineering", "Runbooks", "Deploys"]


# ---- spaces, all pages, recent changes, the feed -------------------------------------------


def test_space_page_shows_home_tree_members_and_recent_changes(
    client: FlaskClient, session: Session, author: User, admin: User
) -> None:
    make_page(session, author, title="Apollo Home", body="# Apollo Home\n\nWe go to the moon.")
    spaces.create_space(
        session, actor=admin, name="Apollo", home_page="apollo-home", members=["alex"]
    )
    make_page(session, author, title="Launch Plan", space="apollo", parent="apollo-home")
    html = client.get("/spaces/apollo").get_data(as_text=True)
    assert "We go to the moon." in html
    assert "Launch Plan" in html and "Alex Rivera" in html
    assert "Project space" in html
    assert client.get("/spaces/nowhere").status_code == 404
    listing = client.get("/spaces").get_data(as_text=True)
    assert "Apollo" in listing and "Engineering" in listing


def test_administrators_create_project_spaces_through_the_form(
    admin_client: WikiClient, author_client: WikiClient, session: Session, author: User
) -> None:
    assert author_client.get("/admin/spaces/new").status_code == 403
    assert admin_client.get("/admin/spaces/new").status_code == 200
    answer = admin_client.post("/admin/spaces/new", data={
        "name": "Apollo", "members": "alex", "maintainers": "", "review_interval_days": "90",
        "feedback_threshold": "3", "required_approvals": "",
    })  # fmt: skip
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/spaces/apollo")
    space = spaces.get_space(session, "apollo")
    assert space.review_interval_days == 90 and spaces.is_member(author, space)
    again = admin_client.post("/admin/spaces/new", data={
        "name": "Apollo", "review_interval_days": "90", "feedback_threshold": "3",
    })  # fmt: skip
    assert again.status_code == 400 and "exists already" in again.get_data(as_text=True)


def test_maintainers_add_and_remove_members(
    author_client: WikiClient,
    reviewer_client: WikiClient,
    session: Session,
    admin: User,
    author: User,
    reviewer: User,
) -> None:
    spaces.create_space(session, actor=admin, name="Apollo", maintainers=["alex"])
    author_client.post("/spaces/apollo/members", data={"username": "fatima", "role": "member"})
    session.expire_all()
    assert spaces.is_member(reviewer, spaces.get_space(session, "apollo"))
    refused = reviewer_client.post(
        "/spaces/apollo/members", data={"username": "admin", "role": "member"}
    )
    assert refused.status_code == 403
    author_client.post("/spaces/apollo/members/fatima/remove")
    session.expire_all()
    assert not spaces.is_member(reviewer, spaces.get_space(session, "apollo"))


def test_all_pages_sorts_and_filters_by_space_tag_and_owner(
    client: FlaskClient, session: Session, author: User, reviewer: User
) -> None:
    make_page(session, author, title="Zulu Deploys", tags=["ops"])
    make_page(session, author, title="Alpha Runbook", tags=["ops"])
    make_page(session, reviewer, title="Mike Budgets", tags=["money"])

    def titles(query: str) -> list[str]:
        html = client.get(f"/wiki?{query}").get_data(as_text=True)
        return re.findall(r'class="card__title" href="[^"]+">([^<]+)</a>', html)

    assert titles("sort=title") == ["Alpha Runbook", "Mike Budgets", "Zulu Deploys"]
    assert titles("") == ["Mike Budgets", "Alpha Runbook", "Zulu Deploys"]
    assert titles("space=engineering&sort=title") == ["Alpha Runbook", "Zulu Deploys"]
    assert titles("space=finance") == ["Mike Budgets"]
    assert titles("tag=ops&sort=title") == ["Alpha Runbook", "Zulu Deploys"]
    assert titles("owner=fatima") == ["Mike Budgets"]
    assert titles("owner=nobody") == []


def test_recent_changes_lists_published_versions_newest_first_by_space(
    client: FlaskClient, session: Session, author: User, reviewer: User
) -> None:
    first = make_page(session, author, title="Deploys")
    edit_page(session, author, first, "# Deploys\n\nSecond version.", summary="second go")
    make_page(session, reviewer, title="Budgets")
    make_page(session, author, title="Zebra Secret Draft", publish=False)
    html = client.get("/recent").get_data(as_text=True)
    shown = re.findall(r'class="changes__title" href="[^"]+">([^<]+)</a>\s*(\S+)', html)
    assert [title for title, _ in shown] == ["Budgets", "Deploys", "Deploys"]
    assert "second go" in html and "Zebra" not in html
    finance = client.get("/recent?space=finance").get_data(as_text=True)
    assert (
        "Budgets" in finance and "Deploys" not in finance.split("<main", 1)[1].split("</main>")[0]
    )
    paged = client.get("/recent?per_page=1&page=2").get_data(as_text=True)
    assert "Page 2 of 3" in paged


def test_atom_feed_is_valid_xml_with_absolute_links_and_only_published_entries(
    client: FlaskClient, session: Session, author: User, reviewer: User, app: Flask
) -> None:
    app.config["BASE_URL"] = "https://wiki.example.com"
    first = make_page(session, author, title="Deploys")
    edit_page(session, author, first, "# Deploys\n\nAgain.", summary="again")
    make_page(session, reviewer, title="Budgets")
    make_page(session, author, title="Zebra Secret Draft", publish=False)
    answer = client.get("/recent.atom")
    assert answer.status_code == 200 and answer.mimetype == "application/atom+xml"
    feed = ET.fromstring(answer.data)
    assert feed.tag == f"{ATOM}feed"
    entries = feed.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title") for e in entries] == [
        "Budgets",
        "Deploys (revision 2)",
        "Deploys",
    ]
    links = [e.find(f"{ATOM}link").get("href") for e in entries]  # type: ignore[union-attr]
    assert links[0] == "https://wiki.example.com/wiki/budgets"
    assert entries[1].findtext(f"{ATOM}summary") == "again"
    assert all(e.findtext(f"{ATOM}updated") for e in entries)
    assert b"Zebra" not in answer.data
    finance = ET.fromstring(client.get("/recent.atom?space=finance").data)
    assert [e.findtext(f"{ATOM}title") for e in finance.findall(f"{ATOM}entry")] == ["Budgets"]


def test_a_new_department_shows_up_as_a_space(admin_client: WikiClient, session: Session) -> None:
    admin_client.post("/departments", data={"name": "Legal", "description": "Contracts"})
    assert "Legal" in admin_client.get("/spaces").get_data(as_text=True)
    make_user(session, username="lee", department="Legal")
    assert spaces.get_space(session, "legal").kind == "department"
