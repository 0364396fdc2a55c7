"""Who may see and do what, for every route: one table, route x role -> answer.

Each route the app serves must be in ``ROUTES`` (a new route fails the completeness test until
someone decides who may use it). Reads are requested by every role over a published page, a
draft, an open proposal and a withdrawn one; the answer must be the one ``expected`` gives, and
no answer may contain the title or body of something the role may not see, and no read changes a
row of any table (a search writes its own log, nothing else). Writes are sent by
every role that may not see their subject: they get the same 404 as for nothing at all (or
sign-in), and nothing changes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Attachment, KnowledgeGap, Revision, SearchLog
from app.review.approval import ApprovalRules
from app.search import SearchQuery
from app.services import comments, help, indexing, proposals, review, search, uploads, verification
from app.storage import BlobStore
from tests.conftest import WikiClient, fresh_database, make_app, table_rows
from tests.factories import make_user

Role = Literal[
    "anonymous", "other_department", "author", "contributor", "reviewer", "unasked", "unconfirmed",
    "admin",
]  # fmt: skip
ROLES: tuple[Role, ...] = (
    "anonymous", "other_department", "author", "contributor", "reviewer", "unasked", "unconfirmed",
    "admin",
)  # fmt: skip
#: The signed-in user behind each role.
USERNAMES: dict[Role, str] = {
    "other_department": "hana", "author": "alex", "contributor": "cora", "reviewer": "fatima",
    "unasked": "eli", "unconfirmed": "uma", "admin": "admin",
}  # fmt: skip
#: Roles held by administrators (the contributor is an administrator who edited a proposal).
ADMINS: frozenset[Role] = frozenset({"admin", "contributor"})
Subject = Literal["published", "draft", "open", "withdrawn"]
SUBJECTS: tuple[Subject, ...] = ("published", "draft", "open", "withdrawn")
#: Who may see each subject (the policy under test, written out).
VISIBLE: dict[Subject, frozenset[Role]] = {
    "published": frozenset(ROLES),
    "draft": frozenset({"author", "contributor", "admin"}),
    "open": frozenset(ROLES) - {"anonymous"},
    "withdrawn": frozenset({"author", "contributor", "admin"}),
}
#: Text only a subject contains: no answer to a role that may not see it may include it.
SECRETS: dict[Subject, tuple[str, ...]] = {
    "published": (),
    "draft": ("Quarterly Zebra Draft", "DRAFTSECRET", "DRAFTSECOND"),
    "open": ("OPENSECRET", "OPENSECOND"),
    "withdrawn": ("Withdrawn Zebra Title", "WITHDRAWNSECRET"),
}

Address = Literal["page", "revision", "proposal", "comment", "attachment"] | None
Auth = Literal["any", "member", "admin", "self"]  # self: the person the URL names, and admins


@dataclass(frozen=True)
class Route:
    """How a route is reached and who may use it."""

    address: Address = None  #: what its URL names (its visibility decides), or nothing
    auth: Auth = "any"  #: who may use it at all
    ok: int = 200  #: the status of success (302 for a redirect)
    query: str = ""  #: query string for reads
    payload: dict[str, Any] = field(default_factory=dict)  #: body for writes
    #: what those who may see a never-published page get (its page is not there yet)
    unpublished: int | None = None


READ, MEMBER_READ, ADMIN_READ = Route(), Route(auth="member"), Route(auth="admin")
PAGE_READ, REVISION_READ = Route("page"), Route("revision")
PROPOSAL_READ, MEMBER_WRITE = Route("proposal"), Route(auth="member")

ROUTES: dict[tuple[str, str], Route] = {
    # -- the site: reading
    ("GET", "/"): READ,
    ("GET", "/wiki"): READ,
    ("GET", "/wiki/<slug>"): Route("page", unpublished=404),  # "not yet", with the drafts
    ("GET", "/wiki/<slug>/history"): PAGE_READ,
    ("GET", "/wiki/<slug>/diff"): PAGE_READ,
    ("GET", "/wiki/<slug>/revisions/<int:revision_id>"): REVISION_READ,
    ("GET", "/wiki/<slug>/edit"): Route("page", auth="member"),
    ("GET", "/new"): MEMBER_READ,
    ("GET", "/proposals/<int:proposal_id>"): PROPOSAL_READ,
    ("GET", "/proposals/<int:proposal_id>/record.json"): Route("proposal", ok=302),
    ("GET", "/review"): MEMBER_READ,
    ("GET", "/inbox"): MEMBER_READ,
    ("GET", "/admin/rubric"): ADMIN_READ,
    ("GET", "/search"): Route(query="q=zebra"),
    ("GET", "/search/open/<int:log_id>/<slug>"): Route("page", ok=302),
    ("GET", "/gaps"): READ,
    ("GET", "/gaps/<int:gap_id>/askers"): ADMIN_READ,
    ("GET", "/users/<username>"): READ,
    ("GET", "/departments"): READ,
    ("GET", "/login"): READ,
    ("GET", "/signup"): READ,
    ("GET", "/signup/confirm/<token>"): Route(ok=400),  # a made-up token: "not valid"
    ("GET", "/admin/people"): ADMIN_READ,
    ("GET", "/admin/audit"): ADMIN_READ,
    ("GET", "/admin/synonyms"): ADMIN_READ,
    ("GET", "/admin/templates"): ADMIN_READ,
    ("POST", "/admin/templates"): Route(auth="admin", ok=302, payload={"name": "x", "body": "y"}),
    ("POST", "/admin/templates/<int:template_id>/delete"): Route(auth="admin", ok=302),
    ("GET", "/analytics"): ADMIN_READ,
    ("GET", "/experts"): Route(auth="member", query="tag=finance"),
    ("GET", "/analytics/<chart>.svg"): ADMIN_READ,
    ("GET", "/analytics/<chart>.csv"): ADMIN_READ,
    ("GET", "/users/<username>/activity"): Route(auth="self"),
    ("POST", "/admin/synonyms"): Route(auth="admin", payload={"terms": "a, b"}),
    ("POST", "/admin/synonyms/<int:set_id>/delete"): Route(auth="admin"),
    ("POST", "/admin/synonyms/suggestions/<int:suggestion_id>/accept"): Route(auth="admin"),
    ("POST", "/admin/synonyms/suggestions/<int:suggestion_id>/dismiss"): Route(auth="admin"),
    ("POST", "/admin/people/<username>/department"): MEMBER_WRITE,
    ("POST", "/admin/people/<username>/admin"): MEMBER_WRITE,
    ("POST", "/admin/invitations"): MEMBER_WRITE,
    ("POST", "/admin/people/<username>/active"): MEMBER_WRITE,
    ("GET", "/settings"): MEMBER_READ,
    ("GET", "/settings/tokens"): MEMBER_READ,
    ("GET", "/settings/watches"): MEMBER_READ,
    ("POST", "/settings/password"): MEMBER_WRITE,
    ("POST", "/settings/sessions/end-others"): MEMBER_WRITE,
    ("POST", "/settings/tokens"): MEMBER_WRITE,
    ("POST", "/settings/tokens/<int:token_id>/revoke"): MEMBER_WRITE,
    ("GET", "/assets/highlight.css"): READ,
    ("GET", "/static/<path:filename>"): READ,
    ("GET", "/healthz"): READ,  # monitors poll it unsigned, even with ANONYMOUS_READ off
    ("GET", "/paths"): READ,
    ("GET", "/help-wanted"): READ,
    ("GET", "/spaces/<slug>/help-wanted"): Route(ok=404),  # "slug" is a page's: no such space
    ("GET", "/paths/mine"): MEMBER_READ,
    ("GET", "/paths/new"): MEMBER_READ,
    ("GET", "/paths/<int:path_id>"): Route(ok=404),  # no path in this wiki: not there for anyone
    ("GET", "/paths/<int:path_id>/edit"): Route(auth="member", ok=404),
    ("GET", "/paths/<int:path_id>/stats"): Route(auth="member", ok=404),
    ("GET", "/files/<int:attachment_id>/<path:filename>"): Route("attachment"),
    ("GET", "/thumbnails/<int:attachment_id>.webp"): Route("attachment"),
    # -- the site: writing
    ("POST", "/login"): Route(payload={"username": "nobody", "password": "wrong-password"}),
    ("POST", "/signup"): Route(payload={"username": ""}),
    ("POST", "/logout"): Route(),
    ("POST", "/new"): MEMBER_WRITE,
    ("POST", "/wiki/<slug>/edit"): Route("page", auth="member", payload={"body": "x"}),
    ("POST", "/wiki/<slug>/archive"): Route("page", auth="member"),
    ("POST", "/wiki/<slug>/restore"): Route("page", auth="member"),
    ("POST", "/proposals/<int:proposal_id>/comments"): Route(
        "proposal", auth="member", payload={"body": "hello", "revision_id": "{revision_id}"}
    ),
    ("POST", "/proposals/<int:proposal_id>/reviews"): Route(
        "proposal", auth="member", payload={"verdict": "approve", "revision_id": "{revision_id}"}
    ),
    ("POST", "/proposals/<int:proposal_id>/submit"): Route(
        "proposal", auth="member", payload={"reviewers": "hana", "revision_id": "{revision_id}"}
    ),
    ("POST", "/proposals/<int:proposal_id>/withdraw"): Route(
        "proposal", auth="member", payload={"revision_id": "{revision_id}"}
    ),
    ("POST", "/proposals/<int:proposal_id>/reopen"): Route(
        "proposal", auth="member", payload={"revision_id": "{revision_id}"}
    ),
    ("POST", "/proposals/<int:proposal_id>/override"): Route(
        "proposal", auth="member", payload={"reason": "x", "revision_id": "{revision_id}"}
    ),
    ("POST", "/comments/<int:comment_id>/resolve"): Route("comment", auth="member"),
    ("POST", "/comments/<int:comment_id>/reopen"): Route("comment", auth="member"),
    ("POST", "/comments/<int:comment_id>/apply"): Route("comment", auth="member"),
    ("POST", "/inbox/read"): MEMBER_WRITE,
    ("POST", "/admin/rubric"): MEMBER_WRITE,
    ("POST", "/departments"): MEMBER_WRITE,
    ("POST", "/departments/<name>/rules"): MEMBER_WRITE,
    ("POST", "/wiki/<slug>/feedback"): Route("page", auth="member", payload={"worked": "yes"}),
    ("POST", "/paths/new"): Route(auth="member", ok=400, payload={"title": ""}),
    ("POST", "/wiki/<slug>/revisions/<int:revision_id>/restore"): Route(
        "revision", auth="member", ok=302
    ),
    ("POST", "/watches"): Route(auth="member", ok=302, payload={"kind": "tag", "key": "finance"}),
    ("POST", "/watches/remove"): Route(
        auth="member", ok=302, payload={"kind": "tag", "key": "finance"}
    ),
    ("POST", "/help-wanted"): Route(auth="member", ok=302, payload={"question": ""}),
    ("POST", "/help-wanted/<int:question_id>/answer"): Route(
        auth="member", ok=302, payload={"page": "no-such-page"}
    ),
    ("POST", "/paths/<int:path_id>/edit"): Route(auth="member", ok=404),
    ("POST", "/paths/<int:path_id>/submit"): Route(auth="member", ok=404),
    ("POST", "/paths/<int:path_id>/reviews"): Route(auth="member", ok=404),
    ("POST", "/paths/<int:path_id>/assignments"): Route(auth="member", ok=404),
    ("POST", "/paths/<int:path_id>/assignments/<int:assignment_id>/delete"): Route(
        auth="member", ok=404
    ),
    ("POST", "/paths/<int:path_id>/steps/<int:page_id>/done"): Route(auth="member", ok=404),
    # -- the site: spaces, the page tree, recent changes
    ("GET", "/spaces"): READ,
    ("GET", "/spaces/<space>"): READ,
    ("GET", "/recent"): READ,
    ("GET", "/recent.atom"): READ,
    ("GET", "/admin/spaces/new"): ADMIN_READ,
    ("POST", "/admin/spaces/new"): Route(auth="admin", payload={"name": "Apollo"}),
    ("POST", "/spaces/<space>/members"): MEMBER_WRITE,
    ("POST", "/spaces/<space>/members/<username>/remove"): MEMBER_WRITE,
    ("GET", "/wiki/<slug>/move"): Route("page", auth="admin"),
    ("POST", "/wiki/<slug>/move"): Route("page", auth="admin", payload={"parent": ""}),
    # -- the API: reading
    ("GET", "/api/docs"): READ,
    ("GET", "/api/docs/assets/<path:filename>"): READ,
    ("GET", "/api/v1/openapi.json"): READ,
    ("GET", "/api/v1/pages"): READ,
    ("GET", "/api/v1/pages/<slug>"): PAGE_READ,
    ("GET", "/api/v1/pages/<slug>/revisions"): PAGE_READ,
    ("GET", "/api/v1/pages/<slug>/diff"): PAGE_READ,
    ("GET", "/api/v1/pages/<slug>/attachments"): PAGE_READ,
    ("GET", "/api/v1/revisions/<int:revision_id>"): REVISION_READ,
    ("GET", "/api/v1/revisions/<int:revision_id>/proposal"): REVISION_READ,
    ("GET", "/api/v1/revisions/<int:revision_id>/reviews"): REVISION_READ,
    ("GET", "/api/v1/revisions/<int:revision_id>/comments"): REVISION_READ,
    ("GET", "/api/v1/revisions/<int:revision_id>/review-record"): REVISION_READ,
    ("GET", "/api/v1/revisions/<int:revision_id>/reviewer-suggestions"): REVISION_READ,
    ("GET", "/api/v1/review-queue"): MEMBER_READ,
    ("GET", "/api/v1/notifications"): MEMBER_READ,
    ("GET", "/api/v1/me"): MEMBER_READ,
    ("GET", "/api/v1/users/<username>"): READ,
    ("GET", "/api/v1/departments"): READ,
    ("GET", "/api/v1/search"): Route(query="q=zebra"),
    ("GET", "/api/v1/search/suggest"): Route(query="q=quar"),
    ("GET", "/api/v1/gaps"): READ,
    ("GET", "/api/v1/audit"): ADMIN_READ,
    ("GET", "/api/v1/synonyms"): ADMIN_READ,
    ("GET", "/api/v1/pages/<slug>/feedback"): Route("page", unpublished=404),
    ("GET", "/api/v1/paths"): READ,
    ("GET", "/api/v1/watches"): MEMBER_READ,
    ("GET", "/api/v1/spaces/<slug>/help-wanted"): Route(ok=404),
    ("GET", "/api/v1/paths/<int:path_id>"): Route(ok=404),
    ("GET", "/api/v1/paths/<int:path_id>/progress"): Route(auth="member", ok=404),
    ("GET", "/api/v1/paths/<int:path_id>/assignments"): Route(auth="member", ok=404),
    ("GET", "/api/v1/paths/<int:path_id>/stats"): Route(auth="member", ok=404),
    ("GET", "/api/v1/analytics"): ADMIN_READ,
    ("GET", "/api/v1/experts"): Route(auth="member", query="tag=finance"),
    ("GET", "/api/v1/analytics/<chart>"): ADMIN_READ,
    ("GET", "/api/v1/users/<username>/activity"): Route(auth="self"),
    ("GET", "/api/v1/spaces"): READ,
    ("GET", "/api/v1/spaces/<space>"): READ,
    ("GET", "/api/v1/spaces/<space>/tree"): READ,
    ("GET", "/api/v1/recent-changes"): READ,
    # -- the API: writing
    ("POST", "/api/v1/pages"): MEMBER_WRITE,
    ("POST", "/api/v1/synonyms"): Route(auth="admin", payload={"terms": ["a", "b"]}),
    ("DELETE", "/api/v1/synonyms/<int:set_id>"): Route(auth="admin"),
    ("POST", "/api/v1/pages/<slug>/feedback"): Route(
        "page", auth="member", payload={"worked": True}
    ),
    ("POST", "/api/v1/render"): Route(auth="member", payload={"markdown": "*hi*"}),
    ("POST", "/api/v1/watches"): Route(
        auth="member", ok=201, payload={"kind": "tag", "key": "finance"}
    ),
    ("DELETE", "/api/v1/watches/<int:watch_id>"): Route(auth="member", ok=404),
    ("POST", "/api/v1/spaces"): Route(auth="admin", payload={"name": "Apollo"}),
    ("POST", "/api/v1/pages/<slug>/move"): Route("page", auth="admin", payload={"parent": None}),
    ("POST", "/api/v1/notifications/read"): MEMBER_WRITE,
    ("POST", "/api/v1/pages/<slug>/revisions"): Route(
        "page", auth="member", payload={"body": "x", "base_revision_id": "{revision_id}"}
    ),
    ("POST", "/api/v1/pages/<slug>/archive"): Route("page", auth="member"),
    ("POST", "/api/v1/pages/<slug>/attachments"): Route("page", auth="member"),
    ("POST", "/api/v1/pages/<slug>/restore"): Route("page", auth="member"),
    ("POST", "/api/v1/revisions/<int:revision_id>/submit"): Route(
        "revision", auth="member", payload={"reviewers": ["hana"]}
    ),
    ("POST", "/api/v1/revisions/<int:revision_id>/withdraw"): Route("revision", auth="member"),
    ("POST", "/api/v1/revisions/<int:revision_id>/reopen"): Route("revision", auth="member"),
    ("POST", "/api/v1/revisions/<int:revision_id>/override"): Route(
        "revision", auth="member", payload={"reason": "x"}
    ),
    ("POST", "/api/v1/revisions/<int:revision_id>/reviews"): Route(
        "revision", auth="member", payload={"verdict": "approve"}
    ),
    ("POST", "/api/v1/revisions/<int:revision_id>/comments"): Route(
        "revision", auth="member", payload={"body": "hello"}
    ),
    ("POST", "/api/v1/comments/<int:comment_id>/resolve"): Route("comment", auth="member"),
    ("POST", "/api/v1/comments/<int:comment_id>/reopen"): Route("comment", auth="member"),
    ("POST", "/api/v1/comments/<int:comment_id>/apply"): Route("comment", auth="member"),
    ("POST", "/api/v1/paths"): Route(auth="member", ok=422, payload={"title": "", "pages": []}),
    ("POST", "/api/v1/spaces/<slug>/help-wanted"): Route(
        auth="member", ok=404, payload={"question": "Where?"}
    ),
    ("POST", "/api/v1/help-wanted/<int:question_id>/answer"): Route(
        auth="member", payload={"page": "expenses-guide"}
    ),
    ("PUT", "/api/v1/paths/<int:path_id>"): Route(
        auth="member", ok=404, payload={"title": "x", "pages": ["expenses-guide"]}
    ),
    ("POST", "/api/v1/paths/<int:path_id>/submit"): Route(auth="member", ok=404),
    ("POST", "/api/v1/paths/<int:path_id>/reviews"): Route(
        auth="member", ok=404, payload={"verdict": "approve"}
    ),
    ("POST", "/api/v1/paths/<int:path_id>/progress"): Route(
        auth="member", ok=404, payload={"page": "expenses-guide"}
    ),
    ("PUT", "/api/v1/paths/<int:path_id>/progress"): Route(
        auth="member", ok=404, payload={"page": "expenses-guide"}
    ),
    ("POST", "/api/v1/paths/<int:path_id>/assignments"): Route(
        auth="member", ok=404, payload={"username": "alex"}
    ),
    ("DELETE", "/api/v1/paths/<int:path_id>/assignments/<int:assignment_id>"): Route(
        auth="member", ok=404
    ),
    # -- owners and verification (members; only owners, the assignee and administrators may
    # change owners or record an outcome: tests/integration/test_verification_web.py)
    ("GET", "/verifications"): MEMBER_READ,
    ("GET", "/spaces/<space_slug>/verifications"): MEMBER_READ,
    ("GET", "/verifications/<int:verification_id>"): MEMBER_READ,
    ("POST", "/verifications/<int:verification_id>"): MEMBER_WRITE,
    ("GET", "/wiki/<slug>/owners"): Route("page", auth="member"),
    ("POST", "/wiki/<slug>/owners"): Route("page", auth="member", payload={"users": "alex"}),
    ("GET", "/api/v1/pages/<slug>/owners"): PAGE_READ,
    ("PUT", "/api/v1/pages/<slug>/owners"): Route("page", auth="member"),
    ("GET", "/api/v1/verifications"): MEMBER_READ,
    ("POST", "/api/v1/verifications/<int:verification_id>"): Route(
        auth="member", payload={"outcome": "verified"}
    ),
}

#: What every role gets for a route of each kind when it may use it.
FIXED_VALUES = {
    "username": "alex",
    "name": "Engineering",
    "filename": "css/peerwiki.css",
    "token": "made-up",
    "token_id": 1,
    "set_id": 1,
    "suggestion_id": 1,
    "path_id": 1,
    "assignment_id": 1,
    "page_id": 1,
    "verification_id": 1,
    "chart": "reviews-given",
    "watch_id": 999_999,
    "template_id": 1,
    "space_slug": "engineering",
    "question_id": 1,
    "space": "engineering",
}
API_DOCS_ASSET = "css/swagger-ui.css"


@dataclass
class World:
    """The wiki the matrix runs against, with the ids of each subject."""

    app: Flask
    slug: dict[Subject, str]
    revision_id: dict[Subject, int]
    proposal_id: dict[Subject, int]
    comment_id: dict[Subject, int]
    attachment_id: dict[Subject, int]
    log_id: int
    gap_id: int
    clients: dict[Role, WikiClient] = field(default_factory=dict)

    def client(self, role: Role) -> WikiClient:
        if role not in self.clients:
            self.app.test_client_class = WikiClient
            client: WikiClient = self.app.test_client()  # type: ignore[assignment]
            if role != "anonymous":
                client.login(USERNAMES[role])
            self.clients[role] = client
        return self.clients[role]

    def url(self, rule: str, subject: Subject, query: str = "") -> str:
        values: dict[str, Any] = {
            **FIXED_VALUES,
            "slug": self.slug[subject],
            "revision_id": self.revision_id[subject],
            "proposal_id": self.proposal_id[subject],
            "comment_id": self.comment_id[subject],
            "attachment_id": self.attachment_id[subject],
            "log_id": self.log_id,
            "gap_id": self.gap_id,
        }
        if rule.startswith("/api/docs/assets/"):
            values["filename"] = API_DOCS_ASSET
        if rule.startswith("/files/"):
            values["filename"] = f"{subject}.png"
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", lambda m: str(values[m.group(1)]), rule)
        return f"{path}?{query}" if query else path


RULES = ApprovalRules()
#: A tiny PNG: each subject's uploaded image.
_PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS"
    b"\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef\x00\x00\x00"
    b"\x00IEND\xaeB`\x82"
)
#: The reads that log themselves (a search, opening its result), and the tables they write:
#: the only writes a read may make.
SEARCHES = frozenset({"/search", "/search/open/<int:log_id>/<slug>", "/api/v1/search"})
SEARCH_LOG = ("search_logs", "knowledge_gaps", "gap_askers", "help_questions", "help_askers")
#: What every signed-in request may touch: when its session was last seen.
SIGN_IN_BOOKKEEPING = ("login_sessions",)


def _build(session: Session, store: BlobStore) -> dict[str, Any]:
    """A published page (reviewed, with a comment), a draft new page, an open proposal and a
    withdrawn one, each with a revision by an administrator who co-edited it and an image
    uploaded to it."""
    alex = make_user(session, username="alex", name="Alex Rivera", department="Engineering")
    fatima = make_user(session, username="fatima", name="Fatima Khan", department="Finance")
    make_user(session, username="hana", name="Hana Sato", department="People")
    make_user(session, username="eli", name="Eli Brandt", department="Engineering")
    make_user(session, username="uma", name="Uma Novak", department="Sales")
    cora = make_user(session, username="cora", name="Cora Lind", department="Operations", is_admin=True)  # fmt: skip
    make_user(session, username="admin", name="Ada Admin", department="Operations", is_admin=True)

    def ask(actor: Any, reviewer: Any) -> Any:
        return review.submission(session, actor=actor, rules=RULES, reviewers=[reviewer.username])

    body = "# Expenses\n\nFile receipts within 30 days.\nUse the finance form.\n"
    first = proposals.create_page(
        session, author=alex, title="Expenses Guide", body=body, then=ask(alex, fatima)
    )
    published_comment = comments.add_comment(
        session, actor=fatima, revision_id=first.id, body="Clear.", line=3
    )
    review.add_review(session, actor=fatima, revision_id=first.id, verdict="approve", rules=RULES)

    def edit(actor: Any, base: Revision, text: str, **over: Any) -> Revision:
        return proposals.save_revision(
            session, author=actor, slug=base.page.slug, body=text, base_revision_id=base.id, **over
        )

    withdrawn = edit(alex, first, body + "WITHDRAWNSECRET\n", title="Withdrawn Zebra Title",
                     then=ask(alex, fatima))  # fmt: skip
    withdrawn = edit(cora, withdrawn, body + "WITHDRAWNSECRET and more\n")
    withdrawn_comment = comments.add_comment(
        session, actor=fatima, revision_id=withdrawn.id, body="Hmm.", line=3
    )
    review.withdraw(session, actor=alex, revision_id=withdrawn.id)

    opened = edit(alex, first, body + "OPENSECRET\n", then=ask(alex, fatima))
    opened = edit(cora, opened, body + "OPENSECRET OPENSECOND\n")
    open_comment = comments.add_comment(
        session, actor=fatima, revision_id=opened.id, body="Which form?", line=4
    )

    verification.open_verification_early(session, first.page, "the access matrix")
    session.commit()

    draft = proposals.create_page(
        session, author=alex, title="Quarterly Zebra Draft", body="DRAFTSECRET plans\n"
    )
    draft = edit(cora, draft, "DRAFTSECRET plans\nDRAFTSECOND\n")
    draft_comment = comments.add_comment(
        session, actor=alex, revision_id=draft.id, body="Note to self.", line=1
    )
    help.ask(session, asker=alex, space_slug=None, question="Who feeds the zebra?")  # question 1
    image = uploads.prepare(_PNG, "image.png")
    key = store.put(image.data)
    thumbnail = store.put(image.thumbnail or b"")
    files: dict[str, int] = {}
    for subject, revision in (("published", first), ("draft", draft), ("open", opened),
                              ("withdrawn", withdrawn)):  # fmt: skip
        attachment = Attachment(
            page_id=revision.page_id, proposal_id=revision.proposal_id, uploader=alex,
            filename=f"{subject}.png", content_type="image/png", size=len(image.data),
            sha256=key, thumbnail_sha256=thumbnail,
        )  # fmt: skip
        session.add(attachment)
        session.flush()
        files[subject] = attachment.id
    session.commit()
    return {
        "attachment_id": files,
        "slug": {"published": "expenses-guide", "draft": draft.page.slug,
                 "open": "expenses-guide", "withdrawn": "expenses-guide"},
        "revision_id": {"published": first.id, "draft": draft.id, "open": opened.id,
                        "withdrawn": withdrawn.id},
        "proposal_id": {"published": first.proposal_id, "draft": draft.proposal_id,
                        "open": opened.proposal_id, "withdrawn": withdrawn.proposal_id},
        "comment_id": {"published": published_comment.id, "draft": draft_comment.id,
                       "open": open_comment.id, "withdrawn": withdrawn_comment.id},
    }  # fmt: skip


@pytest.fixture(scope="module")
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    directory = tmp_path_factory.mktemp("matrix")
    app = make_app(directory, fresh_database(request, directory))
    with app.extensions["wiki.sessionmaker"]() as session:
        ids = _build(session, app.extensions["wiki.storage"])
        backend = app.extensions["wiki.search"]
        indexing.process_outbox(session, backend)
        unopened = search.run(session, backend, SearchQuery(text="expenses"), user=None)
        aged = session.get(SearchLog, unopened.log_id)
        assert aged is not None
        aged.created_at -= 2 * search.UNOPENED_AFTER  # counts as a gap, at the next search
        session.commit()
        search.run(session, backend, SearchQuery(text="flurbish"), user=None)
        log_id = session.scalar(select(func.max(SearchLog.id)))
        gap_id = session.scalar(select(func.max(KnowledgeGap.id)))
        assert log_id is not None and gap_id is not None
    yield World(app=app, log_id=log_id, gap_id=gap_id, **ids)
    app.extensions["wiki.engine"].dispose()


def expected(route: Route, subject: Subject, role: Role) -> int:
    """The status ``role`` gets from ``route`` about ``subject``."""
    if route.auth != "any" and role == "anonymous":
        return 401  # sign-in: 302 to the sign-in page on the site, 401 from the API
    if route.address is not None and role not in _visible(route.address, subject):
        return 404
    if route.auth == "admin" and role not in ADMINS:
        return 403
    if route.auth == "self" and role not in ADMINS and USERNAMES[role] != FIXED_VALUES["username"]:
        return 403
    if route.unpublished is not None and subject == "draft":
        return route.unpublished
    return route.ok


def _visible(address: str, subject: Subject) -> frozenset[Role]:
    if address == "page" and subject in ("open", "withdrawn"):
        return VISIBLE["published"]  # they are proposals for the published page
    return VISIBLE[subject]


def _status(response: Any) -> int:
    """The answer as the matrix names it (the site's sign-in redirect counts as 401)."""
    if response.status_code == 302 and "/login" in response.headers.get("Location", ""):
        return 401
    return int(response.status_code)


def _reads() -> list[tuple[str, Route, Subject]]:
    cases = []
    for (method, rule), route in ROUTES.items():
        if method != "GET":
            continue
        subjects = SUBJECTS if route.address is not None else ("published",)
        cases.extend((rule, route, subject) for subject in subjects)
    return cases


def test_every_route_is_in_the_matrix(world: World) -> None:
    served = {
        (method, rule.rule)
        for rule in world.app.url_map.iter_rules()
        for method in rule.methods or ()
        if method not in ("HEAD", "OPTIONS")
    }
    assert served - ROUTES.keys() == set(), "add these routes to ROUTES, deciding who may use them"
    assert ROUTES.keys() - served == set(), "these routes are gone: remove them from ROUTES"


@pytest.mark.parametrize(
    ("rule", "route", "subject"),
    _reads(),
    ids=lambda v: getattr(v, "address", v) if not isinstance(v, str) else v,
)
def test_reads_answer_each_role_as_the_policy_says_and_change_nothing(
    world: World, rule: str, route: Route, subject: Subject
) -> None:
    for role in ROLES:
        world.client(role)  # signing in writes: done before looking
    skip = SEARCH_LOG if rule in SEARCHES else ()
    before = table_rows(world.app, skip=skip)
    for role in ROLES:
        response = world.client(role).get(world.url(rule, subject, route.query))
        answer = response.get_data().decode("utf-8", "replace")  # files are bytes
        response.close()
        assert _status(response) == expected(route, subject, role), (role, answer[:300])
        for hidden in SUBJECTS:
            if role in VISIBLE[hidden]:
                continue
            for secret in SECRETS[hidden]:
                assert secret not in answer, f"{role} reads {hidden!r}'s {secret!r} at {rule}"
    assert table_rows(world.app, skip=skip) == before, f"reading {rule} wrote"


def _writes() -> list[tuple[str, str, Route, Subject]]:
    cases = []
    for (method, rule), route in ROUTES.items():
        if method not in ("POST", "PUT", "DELETE"):
            continue
        subjects = SUBJECTS if route.address is not None else ("published",)
        cases.extend((method, rule, route, subject) for subject in subjects)
    return cases


@pytest.mark.parametrize(
    ("method", "rule", "route", "subject"),
    _writes(),
    ids=lambda v: getattr(v, "address", v) if not isinstance(v, str) else v,
)
def test_writes_by_those_who_may_not_see_their_subject_change_nothing(
    world: World, method: str, rule: str, route: Route, subject: Subject
) -> None:
    outsiders = [
        role for role in ROLES if expected(route, subject, role) in (401, 404)
    ]  # fmt: skip
    for role in outsiders:  # signed in before the snapshot: signing in writes a session
        world.client(role)
    before = table_rows(world.app, skip=SIGN_IN_BOOKKEEPING)
    for role in outsiders:
        values = {"revision_id": world.revision_id[subject]}
        payload = {
            key: value.format(**values) if isinstance(value, str) else value
            for key, value in route.payload.items()
        }
        if "base_revision_id" in payload:
            payload["base_revision_id"] = int(payload["base_revision_id"])
        url = world.url(rule, subject)
        client = world.client(role)
        if method == "DELETE":
            signed_in = role != "anonymous"
            headers = {"X-CSRFToken": client.csrf_token()} if signed_in else {}
            response = client.delete(url, headers=headers)
        elif method == "PUT":
            headers = {"X-CSRFToken": client.csrf_token()} if role != "anonymous" else {}
            response = client.put(url, json=payload, headers=headers)
        elif rule.startswith("/api/"):
            response = client.post(url, json=payload)
        else:
            response = client.post(url, data=payload)
        answer = response.get_data(as_text=True)
        assert _status(response) == expected(route, subject, role), (role, answer[:300])
        for secret in SECRETS[subject]:
            assert secret not in answer
    assert table_rows(world.app, skip=SIGN_IN_BOOKKEEPING) == before
