"""Who knows about X: the ranking by pages written, approvals of published changes and
verifications, for a tag or a space, on the site and the API; reviewer suggestions read it."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from app.models import User, Verification, VerificationState, utcnow
from app.review.approval import ApprovalRules
from app.services import experts, review, reviewers
from tests.factories import edit_page, make_page, make_user

RULES = ApprovalRules()


def _reviewed(session: Session, author: User, approver: User, title: str, tags: list[str]) -> None:
    """A page by ``author`` that ``approver`` approved (so published)."""
    draft = make_page(session, author, title=title, tags=tags, publish=False,
                      then=review.submission(session, actor=author, rules=RULES, reviewers=[approver.username]))  # fmt: skip
    review.add_review(session, actor=approver, revision_id=draft.id, verdict="approve", rules=RULES)


def _wiki(session: Session, author: User, reviewer: User) -> dict[str, User]:
    eli = make_user(session, username="eli", name="Eli Brandt", department="Engineering")
    hana = make_user(session, username="hana", name="Hana Sato", department="People")
    _reviewed(session, author, reviewer, "VPN on a Mac", ["vpn"])
    _reviewed(session, author, reviewer, "VPN on Linux", ["vpn"])
    _reviewed(session, eli, author, "VPN for guests", ["vpn", "wifi"])
    make_page(session, hana, title="Leave policy", tags=["leave"])
    guests = make_page(session, hana, title="Old VPN notes", tags=["vpn"])
    session.add(Verification(page_id=guests.page_id, revision_id=guests.id, state=VerificationState.VERIFIED.value,
                             completed_by_id=hana.id, completed_at=utcnow(), due_at=utcnow(), reason="scheduled"))  # fmt: skip
    session.commit()
    return {"alex": author, "fatima": reviewer, "eli": eli, "hana": hana}


def test_people_are_ranked_by_pages_approvals_and_verifications_of_a_tag(
    session: Session, author: User, reviewer: User
) -> None:
    _wiki(session, author, reviewer)
    found = experts.rank(session, tag="VPN")
    table = [(e.user.username, e.pages, e.reviews, e.verifications, e.score) for e in found]
    assert table == [
        ("alex", 2, 1, 0, 8),  # two pages, approved eli's
        ("hana", 1, 0, 1, 5),  # one page, verified it
        ("fatima", 0, 2, 0, 4),  # approved two
        ("eli", 1, 0, 0, 3),
    ]
    assert (
        found[0].describe("tagged #vpn")
        == "Wrote 2 pages and approved 1 published change tagged #vpn"
    )
    assert [e.user.username for e in experts.rank(session, tag="leave")] == ["hana"]  # fmt: skip


def test_a_space_counts_only_its_own_pages(session: Session, author: User, reviewer: User) -> None:
    _wiki(session, author, reviewer)
    people = [e.user.username for e in experts.rank(session, space="people")]
    assert people == ["hana"]  # hana's pages are in her department's space


def test_the_directory_page_and_api_answer_members_only(
    session: Session, author: User, reviewer: User, author_client: Any, client: Any
) -> None:
    _wiki(session, author, reviewer)
    page = author_client.get("/experts?tag=vpn")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Who knows about pages tagged #vpn" in html
    assert html.index("Alex Rivera") < html.index("Hana Sato") < html.index("Fatima Khan")
    body = author_client.get("/api/v1/experts?tag=vpn").get_json()
    assert body["subject"] == "tagged #vpn"
    assert [(e["user"]["username"], e["score"]) for e in body["experts"]][:2] == [
        ("alex", 8),
        ("hana", 5),
    ]
    assert author_client.get("/api/v1/experts").status_code == 422
    assert author_client.get("/api/v1/experts?tag=vpn&space=people").status_code == 422
    assert author_client.get("/api/v1/experts?space=nowhere").status_code == 404
    assert author_client.get("/experts?space=nowhere").status_code == 404
    assert client.get("/api/v1/experts?tag=vpn").status_code == 401
    assert client.get("/experts?tag=vpn").status_code == 302  # to sign in
    assert 'href="/experts?tag=vpn"' in author_client.get("/wiki?tag=vpn").get_data(as_text=True)  # fmt: skip


def test_reviewer_suggestions_use_the_directorys_ranking(
    session: Session, author: User, reviewer: User
) -> None:
    people = _wiki(session, author, reviewer)
    writer = make_user(session, username="noor", name="Noor", department="Sales")
    page = make_page(session, writer, title="VPN for sales", tags=["vpn"])
    draft = edit_page(session, writer, page, "# VPN\n\nNew.\n", publish=False)
    suggested = reviewers.suggest_reviewers(session, draft.proposal)
    ranked = [e.user.id for e in experts.rank(session, tag="vpn", exclude_page_id=page.page_id)]
    assert [s.user.id for s in suggested][:4] == ranked[:4]
    assert suggested[0].user.id == people["alex"].id
    assert suggested[0].reason.startswith(
        "Wrote 2 pages and approved 1 published change tagged #vpn"
    )
