"""Images and attachments: upload (API and editor), type from content, metadata stripped,
visibility with the proposal that added them, dedupe, page and proposal listings."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from app.models import Attachment, Page, Proposal, User
from app.review.approval import ApprovalRules
from app.services import indexing, review
from tests.conftest import WikiClient, make_app
from tests.factories import make_page, make_user

RULES = ApprovalRules()


def png(color: str = "red", size: tuple[int, int] = (64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


def jpeg_with_gps() -> bytes:
    """A photo as phones take them: EXIF camera, GPS position, and "rotate 90°" orientation."""
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise to show
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (52.0, 31.0, 12.0), 3: "E", 4: (13.0, 24.0, 0.0)}
    out = io.BytesIO()
    Image.new("RGB", (80, 40), "blue").save(out, "JPEG", exif=exif)
    return out.getvalue()


def upload(client: Any, slug: str, data: bytes, name: str, **kwargs: Any) -> Any:
    url = f"/api/v1/pages/{slug}/attachments"
    if len(data) > 400_000:  # encoded here: the test client would spool it to an unclosed file
        boundary, body = encode_multipart({"file": FileStorage(io.BytesIO(data), name)})
        return client.post(
            url, data=body, content_type=f"multipart/form-data; boundary={boundary}", **kwargs
        )
    return client.post(
        url, data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data", **kwargs
    )


def stored_files(app: Flask) -> list[Path]:
    root = Path(app.config["UPLOAD_DIR"])
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.fixture
def page(session: Session, author: User) -> Page:
    return make_page(session, author, title="Deploy guide", body="# Deploy guide\n\nSteps.\n").page


def test_api_upload_answers_201_with_the_file_and_starts_a_draft(
    app: Flask, session: Session, author: User, page: Page, api_for: Any
) -> None:
    api = api_for(author)
    response = upload(api, "deploy-guide", png(), "diagram.png")

    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["filename"] == "diagram.png"
    assert body["content_type"] == "image/png"
    assert body["size"] > 0 and body["is_image"] is True
    assert body["url"] == f"http://localhost/files/{body['id']}/diagram.png"
    assert body["markdown"] == f"![diagram](/files/{body['id']}/diagram.png)"
    assert body["created_draft"] is True
    assert response.headers["Location"] == body["url"]
    # The upload started a draft whose text shows the file; the page itself is unchanged.
    proposal = session.get(Proposal, body["proposal_id"])
    assert proposal is not None and proposal.state == "draft" and proposal.author_id == author.id
    assert proposal.head_revision_id == body["revision_id"]
    assert body["markdown"] in proposal.head_revision.body
    assert "Steps." in proposal.head_revision.body
    assert [e.kind for e in proposal.events][-1] == "attached"
    assert api.get("/api/v1/pages/deploy-guide").get_json()["published_revision"]["body"] == (
        "# Deploy guide\n\nSteps.\n"
    )

    # A second upload joins the same draft (no new revision), and both are listed.
    second = upload(api, "deploy-guide", b"%PDF-1.4\n% a report\n", "report.pdf").get_json()
    assert second["proposal_id"] == body["proposal_id"] and second["created_draft"] is False
    assert second["revision_id"] == body["revision_id"]
    assert second["markdown"] == f"[report.pdf](/files/{second['id']}/report.pdf)"
    listing = api.get("/api/v1/pages/deploy-guide/attachments").get_json()["items"]
    assert [item["filename"] for item in listing] == ["report.pdf", "diagram.png"]


def test_editor_uploads_need_the_csrf_token(author_client: WikiClient, page: Page) -> None:
    refused = upload(author_client, "deploy-guide", png(), "a.png", csrf=False)
    assert refused.status_code == 400
    assert refused.get_json()["error"]["code"] == "csrf_failed"
    token = author_client.csrf_token()
    done = upload(author_client, "deploy-guide", png(), "a.png", headers={"X-CSRFToken": token})
    assert done.status_code == 201


def test_anonymous_uploads_are_refused(client: WikiClient, page: Page) -> None:
    assert upload(client, "deploy-guide", png(), "a.png", csrf=False).status_code == 401


def test_type_comes_from_the_content_not_the_name(
    session: Session, author: User, page: Page, api_for: Any, client: WikiClient
) -> None:
    api = api_for(author)
    image = upload(api, "deploy-guide", png(), "screenshot.txt").get_json()
    assert (image["content_type"], image["filename"], image["is_image"]) == (
        "image/png", "screenshot.png", True,
    )  # fmt: skip
    html = upload(api, "deploy-guide", b"<html><script>alert(1)</script></html>", "cat.png")
    fake = html.get_json()
    assert (fake["content_type"], fake["filename"], fake["is_image"]) == (
        "text/html", "cat.html", False,
    )  # fmt: skip
    assert fake["markdown"].startswith("[cat.html]")  # a link, never an <img>

    served = api.get(f"/files/{fake['id']}/cat.html")
    assert served.status_code == 200
    assert served.headers["Content-Type"] == "text/html; charset=utf-8"
    assert served.headers["Content-Disposition"].startswith("attachment;")
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in served.headers["Content-Security-Policy"]


def test_svg_is_served_only_as_a_download(author: User, page: Page, api_for: Any) -> None:
    api = api_for(author)
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    body = upload(api, "deploy-guide", svg, "logo.svg").get_json()
    assert body["content_type"] == "image/svg+xml" and body["is_image"] is False
    assert body["thumbnail_url"] is None
    served = api.get(f"/files/{body['id']}/logo.svg")
    assert served.headers["Content-Type"].split(";")[0] == "image/svg+xml"
    assert served.headers["Content-Disposition"] == "attachment; filename=logo.svg"
    assert served.headers["X-Content-Type-Options"] == "nosniff"


def test_images_lose_their_metadata_keep_their_orientation_and_get_a_thumbnail(
    author: User, page: Page, api_for: Any
) -> None:
    api = api_for(author)
    original = jpeg_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)  # the GPS is there

    body = upload(api, "deploy-guide", original, "holiday.jpg").get_json()
    served = api.get(f"/files/{body['id']}/holiday.jpg")
    assert served.status_code == 200
    assert served.headers["Content-Type"] == "image/jpeg"
    assert served.headers["Content-Disposition"] == "inline; filename=holiday.jpg"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    image = Image.open(io.BytesIO(served.data))
    assert dict(image.getexif()) == {}  # no camera, no GPS, no orientation tag
    assert b"PhoneMaker" not in served.data
    assert image.size == (40, 80) and (body["width"], body["height"]) == (40, 80)  # rotated

    thumbnail = api.get(body["thumbnail_url"])
    assert thumbnail.status_code == 200
    assert thumbnail.headers["Content-Type"] == "image/webp"
    assert thumbnail.headers["X-Content-Type-Options"] == "nosniff"
    small = Image.open(io.BytesIO(thumbnail.data))
    assert small.format == "WEBP" and dict(small.getexif()) == {}


def test_uploads_over_the_limit_answer_413_with_a_sentence(
    tmp_path: Path, database_url: str
) -> None:
    app = make_app(tmp_path, database_url, UPLOAD_MAX_MB=1)
    try:
        with app.extensions["wiki.sessionmaker"]() as session:
            author = make_user(session, username="alex")
            make_page(session, author, title="Deploy guide")
            from app.services import tokens

            secret = tokens.create(session, owner=author, name="t").secret
        client = app.test_client()
        headers = {"Authorization": f"Bearer {secret}"}
        just_over = b"x" * (1024 * 1024 + 10)
        response = upload(client, "deploy-guide", just_over, "big.txt", headers=headers)
        assert response.status_code == 413
        error = response.get_json()["error"]
        assert error["code"] == "too_large"
        assert error["message"] == "This file is 1.0 MB; files can be at most 1 MB."

        far_over = b"x" * (3 * 1024 * 1024)  # refused before it is read
        response = upload(client, "deploy-guide", far_over, "huge.txt", headers=headers)
        assert response.status_code == 413
        assert "files can be at most 1 MB" in response.get_json()["error"]["message"]
        assert stored_files(app) == []

        # Other forms keep the general request limit (4 MB), uploads may use theirs.
        assert app.config["MAX_CONTENT_LENGTH"] == 4 * 1024 * 1024
    finally:
        app.extensions["wiki.engine"].dispose()


def test_empty_and_broken_files_are_refused(author: User, page: Page, api_for: Any) -> None:
    api = api_for(author)
    empty = upload(api, "deploy-guide", b"", "empty.txt")
    assert empty.status_code == 422
    broken = upload(api, "deploy-guide", png()[:40], "cut.png")
    assert broken.status_code == 422
    assert "cannot be read" in broken.get_json()["error"]["message"]
    missing = api.post(
        "/api/v1/pages/deploy-guide/attachments", data={}, content_type="multipart/form-data"
    )
    assert missing.status_code == 422


def test_the_same_file_is_stored_once(
    app: Flask, session: Session, author: User, reviewer: User, page: Page, api_for: Any
) -> None:
    first = upload(api_for(author), "deploy-guide", png("green"), "a.png").get_json()
    again = upload(api_for(author), "deploy-guide", png("green"), "a.png").get_json()
    other = upload(api_for(reviewer), "deploy-guide", png("green"), "b.png").get_json()

    assert again["id"] == first["id"]  # the same upload to the same proposal
    assert other["id"] != first["id"]  # someone else's proposal, its own attachment...
    rows = session.scalars(select(Attachment.sha256)).all()
    assert len(rows) == 2 and len(set(rows)) == 1  # ...of the same stored bytes
    blobs = [p for p in stored_files(app) if not p.name.startswith(".")]
    assert len(blobs) == 2  # the image and its thumbnail, once each


def test_a_drafts_file_is_hidden_until_published(
    app: Flask, session: Session, author: User, reviewer: User, page: Page, api_for: Any,
    client: WikiClient, reviewer_client: WikiClient, admin_client: WikiClient,
) -> None:  # fmt: skip
    body = upload(api_for(author), "deploy-guide", png(), "secret-plan.png").get_json()
    path = f"/files/{body['id']}/secret-plan.png"
    thumb = body["thumbnail_url"].removeprefix("http://localhost")

    # A draft: its writer and administrators only.
    assert api_for(author).get(path).status_code == 200
    assert admin_client.get(path).status_code == 200
    for outsider in (client, reviewer_client):
        assert outsider.get(path).status_code == 404
        assert outsider.get(thumb).status_code == 404
    assert reviewer_client.get("/api/v1/pages/deploy-guide/attachments").get_json()["items"] == []

    # In review: members see it, anonymous readers still do not.
    review.submit(
        session, actor=author, revision_id=body["revision_id"], reviewers=["fatima"], rules=RULES
    )
    assert reviewer_client.get(path).status_code == 200
    assert client.get(path).status_code == 404

    # Published: everyone; the page shows it and lists it under "Attachments".
    review.add_review(
        session, actor=reviewer, revision_id=body["revision_id"], verdict="approve", rules=RULES
    )
    assert client.get(path).status_code == 200
    assert client.get(thumb).status_code == 200
    html = client.get("/wiki/deploy-guide").get_data(as_text=True)
    assert f'<img src="{path}" alt="secret-plan">' in html
    assert 'id="attachments-heading"' in html and "secret-plan.png" in html
    listed = client.get("/api/v1/pages/deploy-guide/attachments").get_json()["items"]
    assert [item["filename"] for item in listed] == ["secret-plan.png"]


def test_files_are_kept_with_every_revision_that_shows_them(
    session: Session, author: User, reviewer: User, page: Page, api_for: Any, client: WikiClient,
) -> None:  # fmt: skip
    from tests.factories import edit_page

    body = upload(api_for(author), "deploy-guide", png(), "chart.png").get_json()
    review.submit(
        session, actor=author, revision_id=body["revision_id"], reviewers=["fatima"], rules=RULES
    )
    review.add_review(
        session, actor=reviewer, revision_id=body["revision_id"], verdict="approve", rules=RULES
    )
    published = session.get(Page, page.id)
    session.refresh(published)
    old = published.published_revision
    # A later edit drops the image: the old revision still shows it, to everyone.
    newer = edit_page(session, author, old, "# Deploy guide\n\nSteps, no chart.\n")
    assert client.get(f"/wiki/deploy-guide/revisions/{old.id}").status_code == 200
    assert client.get(f"/files/{body['id']}/chart.png").status_code == 200
    page_html = client.get("/wiki/deploy-guide").get_data(as_text=True)
    assert "chart.png" not in page_html  # the current version has no attachments
    old_html = client.get(f"/wiki/deploy-guide/revisions/{old.id}").get_data(as_text=True)
    assert "chart.png" in old_html
    assert newer.attachments == []


def test_a_revision_cannot_show_someone_elses_hidden_file(
    session: Session, author: User, reviewer: User, page: Page, api_for: Any, client: WikiClient
) -> None:
    from tests.factories import edit_page

    hidden = upload(api_for(author), "deploy-guide", png(), "private.png").get_json()
    published = session.get(Page, page.id)
    assert published is not None and published.published_revision is not None
    # Fatima guesses the id of Alex's draft file and publishes a link to it: it stays hidden.
    sneaky = edit_page(
        session,
        reviewer,
        published.published_revision,
        f"# Deploy guide\n\n![x](/files/{hidden['id']}/private.png)\n",
    )
    assert sneaky.attachments == []
    assert client.get(f"/files/{hidden['id']}/private.png").status_code == 404


def test_the_proposal_page_shows_added_and_removed_files(
    session: Session, author: User, reviewer: User, page: Page, api_for: Any,
    reviewer_client: WikiClient,
) -> None:  # fmt: skip
    from tests.factories import edit_page

    first = upload(api_for(author), "deploy-guide", png(), "old-chart.png").get_json()
    review.submit(
        session, actor=author, revision_id=first["revision_id"], reviewers=["fatima"], rules=RULES
    )
    review.add_review(
        session, actor=reviewer, revision_id=first["revision_id"], verdict="approve", rules=RULES
    )
    # A second proposal replaces the old chart by a new one, and uploads a file it does not use.
    second = upload(api_for(author), "deploy-guide", png("yellow"), "new-chart.png").get_json()
    unused = upload(api_for(author), "deploy-guide", b"%PDF-1.4\n", "notes.pdf").get_json()
    proposal = session.get(Proposal, second["proposal_id"])
    assert proposal is not None and proposal.head_revision is not None
    head = edit_page(
        session,
        author,
        proposal.head_revision,
        f"# Deploy guide\n\nSteps.\n\n{second['markdown']}\n",
        publish=False,
    )
    review.submit(session, actor=author, revision_id=head.id, reviewers=["fatima"], rules=RULES)

    html = reviewer_client.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    files = html.split('id="files-heading"')[1].split("</section>")[0]
    assert "Added" in files and "new-chart.png" in files
    assert "Removed" in files and "old-chart.png" in files
    assert "notes.pdf" in files and "not used in the text" in files
    assert f"/thumbnails/{second['id']}.webp" in files
    assert unused["proposal_id"] == proposal.id


def test_uploads_to_missing_or_archived_pages(
    session: Session, author: User, page: Page, api_for: Any
) -> None:
    api = api_for(author)
    assert upload(api, "no-such-page", png(), "a.png").status_code == 404
    assert api.get("/api/v1/pages/no-such-page/attachments").status_code == 404
    api.post("/api/v1/pages/deploy-guide/archive")
    assert upload(api, "deploy-guide", png(), "a.png").status_code == 409


def test_a_file_is_found_by_its_name(
    app: Flask, session: Session, author: User, reviewer: User, page: Page, api_for: Any, client: WikiClient,
) -> None:  # fmt: skip
    body = upload(
        api_for(author), "deploy-guide", b"%PDF-1.4\n", "quarterly-roadmap.pdf"
    ).get_json()
    review.submit(
        session, actor=author, revision_id=body["revision_id"], reviewers=["fatima"], rules=RULES
    )
    review.add_review(
        session, actor=reviewer, revision_id=body["revision_id"], verdict="approve", rules=RULES
    )
    indexing.process_outbox(session, app.extensions["wiki.search"])  # what a worker does
    for query in ("quarterly-roadmap.pdf", "roadmap"):
        hits = client.get("/api/v1/search", query_string={"q": query}).get_json()["results"]
        assert [hit["slug"] for hit in hits] == ["deploy-guide"], query
