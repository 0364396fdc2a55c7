"""Pages show images from the wiki and PEERWIKI_IMAGE_HOSTS only; others become links."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from app.models import User
from app.services import comments
from tests.conftest import WikiClient, make_app
from tests.factories import edit_page, make_page, make_user

BODY = (
    "![team photo](https://photos.example/team.jpg)\n\n![chart](https://images.example.com/c.png)\n"
)


def test_pages_show_only_images_from_the_wiki_and_its_image_hosts(
    client: WikiClient, author_client: WikiClient, session: Session, author: User
) -> None:
    make_page(session, author, title="Team", body=BODY)

    page = client.get("/wiki/team").get_data(as_text=True)
    preview = author_client.post("/api/v1/render", json={"markdown": BODY}).get_json()["html"]
    revision = client.get("/api/v1/pages/team").get_json()

    for html in (page, preview):
        assert "<img" not in html
        assert '<a href="https://photos.example/team.jpg" class="external-image"' in html
        assert ">Image: team photo</a>" in html
    assert "Image: team photo" in str(revision)


def test_image_hosts_are_shown(tmp_path: Path, database_url: str) -> None:
    app = make_app(tmp_path, database_url, IMAGE_HOSTS="images.example.com")
    try:
        with app.extensions["wiki.sessionmaker"]() as session:
            make_page(session, make_user(session, username="alex"), title="Team", body=BODY)
        html = app.test_client().get("/wiki/team").get_data(as_text=True)
        assert '<img src="https://images.example.com/c.png" alt="chart">' in html
        assert ">Image: team photo</a>" in html
    finally:
        app.extensions["wiki.engine"].dispose()


def test_review_comments_show_only_images_from_the_wiki_and_its_image_hosts(
    author_client: WikiClient, session: Session, author: User, reviewer: User
) -> None:
    published = make_page(session, author, title="Team", body="# Team\n\nWho we are.\n")
    proposed = edit_page(session, author, published, "# Team\n\nWho we are now.\n", ask=reviewer)
    comments.add_comment(
        session, actor=reviewer, revision_id=proposed.id, body=f"Like this?\n\n{BODY}", line=3
    )

    page = author_client.get(f"/proposals/{proposed.proposal_id}").get_data(as_text=True)
    api = author_client.get(f"/api/v1/revisions/{proposed.id}/comments").get_json()

    assert "Like this?" in page
    assert "photos.example" not in page.split("Like this?")[0]  # the comment is where it shows
    for html in (page, str(api)):
        assert '<img src="https://photos.example' not in html
        assert 'href="https://photos.example/team.jpg" class="external-image"' in html
