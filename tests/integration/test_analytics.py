"""The analytics dashboard: each chart's SQL aggregates against the rows they summarise, the
filters, the JSON, CSV and SVG of every chart, who may read them, and one person's activity."""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app import charts
from app.config import PROJECT_ROOT
from app.models import Page, PageSchedule, Proposal, ProposalEvent, Review, User
from app.review import schedule
from app.review.approval import ApprovalRules
from app.services import analytics, review
from tests.analytics_seed import Seeded, seed
from tests.conftest import (
    ANALYTICS_WRONG_ON_POSTGRES,
    WikiClient,
    fresh_database,
    make_app,
    recorded_statements,
)
from tests.factories import make_page, make_user

pytestmark = ANALYTICS_WRONG_ON_POSTGRES

NOW = datetime(2026, 12, 2, 12, tzinfo=UTC)
RULES = ApprovalRules()


@dataclass
class Wiki:
    """A wiki with weeks of history, built once for the tests that only read it."""

    app: Flask
    session: Session
    seeded: Seeded

    def client(self, username: str) -> WikiClient:
        self.app.test_client_class = WikiClient
        client: WikiClient = self.app.test_client()  # type: ignore[assignment]
        if username:
            client.login(username)
        return client


@pytest.fixture(scope="module")
def wiki(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Wiki]:
    directory = tmp_path_factory.mktemp("analytics")
    app = make_app(directory, fresh_database(request, directory))
    with app.extensions["wiki.sessionmaker"]() as session:
        seeded = seed(session, app, now=NOW)
        make_user(
            session, username="admin", name="Ada Admin", department="Operations", is_admin=True
        )
        yield Wiki(app, session, seeded)
    app.extensions["wiki.engine"].dispose()


def _chosen(**over: Any) -> analytics.Filters:
    return analytics.filters(now=NOW, **over)


def _table(session: Session, name: str, **over: Any) -> analytics.Table:
    return analytics.CHARTS[name].compute(session, _chosen(**over))


def _dicts(table: analytics.Table) -> list[dict[str, Any]]:
    return [dict(zip(table.columns, row, strict=True)) for row in table.rows]


def _waits(session: Session, chosen: analytics.Filters) -> dict[str, list[float]]:
    """Every proposal's hours from first submission to publication, by week published: read
    whole, as the dashboard must not."""
    submitted = dict(
        session.execute(
            select(ProposalEvent.proposal_id, func.min(ProposalEvent.created_at))
            .where(ProposalEvent.kind == "submit").group_by(ProposalEvent.proposal_id)
        ).all()
    )  # fmt: skip
    waits: dict[str, list[float]] = {}
    for proposal in session.scalars(select(Proposal).where(Proposal.published_at.is_not(None))):
        if proposal.id not in submitted or not chosen.start <= proposal.published_at < chosen.end:
            continue
        week = analytics.week_of(proposal.published_at.date()).isoformat()
        hours = (proposal.published_at - submitted[proposal.id]).total_seconds() / 3600
        waits.setdefault(week, []).append(hours)
    return waits


def test_medians_and_p90_of_time_to_publication_match_every_row(wiki: Wiki) -> None:
    session, seeded = wiki.session, wiki.seeded
    chosen = _chosen()
    waits = _waits(session, chosen)
    rows = _dicts(_table(session, "time-to-publication"))
    assert sum(row["count"] for row in rows) == seeded.published > 30
    for row in rows:
        values = sorted(waits.get(row["week"], []))
        assert row["count"] == len(values)
        if values:
            assert row["median_hours"] == pytest.approx(analytics.quantile(values, 50), abs=0.06)
            assert row["p90_hours"] == pytest.approx(analytics.quantile(values, 90), abs=0.06)
        else:
            assert row["median_hours"] is None and row["p90_hours"] is None


def test_time_to_first_review_counts_the_first_review_by_someone_else(
    session: Session, author: User, reviewer: User
) -> None:
    hana = make_user(session, username="hana", department="People")
    draft = make_page(session, author, title="VPN", publish=False,
                      then=review.submission(session, actor=author, rules=RULES, reviewers=["fatima"]))  # fmt: skip
    review.add_review(session, actor=hana, revision_id=draft.id, verdict="comment", summary="Hm", rules=RULES)  # fmt: skip
    review.add_review(session, actor=reviewer, revision_id=draft.id, verdict="approve", rules=RULES)
    submitted = NOW - timedelta(days=2)
    session.execute(
        update(ProposalEvent).where(ProposalEvent.kind == "submit").values(created_at=submitted)
    )
    session.execute(
        update(Review)
        .where(Review.reviewer_id == hana.id)
        .values(created_at=submitted + timedelta(hours=3))
    )
    session.execute(
        update(Review)
        .where(Review.reviewer_id == reviewer.id)
        .values(created_at=submitted + timedelta(hours=30))
    )
    session.execute(update(Proposal).values(published_at=submitted + timedelta(hours=30)))
    session.commit()  # fmt: skip
    first = [row for row in _dicts(_table(session, "time-to-first-review")) if row["count"]]
    published = [row for row in _dicts(_table(session, "time-to-publication")) if row["count"]]
    assert [(row["count"], row["median_hours"]) for row in first] == [(1, 3.0)]
    assert [(row["count"], row["p90_hours"]) for row in published] == [(1, 30.0)]


def test_the_share_of_reviews_across_departments_counts_the_reviewed_versions_department(
    session: Session, author: User, reviewer: User
) -> None:
    eli = make_user(session, username="eli", department="Engineering")
    hana = make_user(session, username="hana", department="People")
    for title, asked in (("One", eli), ("Two", reviewer), ("Three", hana)):
        draft = make_page(session, author, title=title, publish=False, department="Engineering",
                          then=review.submission(session, actor=author, rules=RULES, reviewers=[asked.username]))  # fmt: skip
        review.add_review(
            session, actor=asked, revision_id=draft.id, verdict="approve", rules=RULES
        )
    rows = [row for row in _dicts(_table(session, "cross-department-reviews", end=NOW.date() + timedelta(days=30))) if row["reviews"]]  # fmt: skip
    assert [(row["reviews"], row["cross_department"], row["share"]) for row in rows] == [
        (3, 2, 0.667)
    ]


def test_pages_and_reviews_follow_the_space_and_week_filters(wiki: Wiki) -> None:
    session, seeded = wiki.session, wiki.seeded
    everything = _dicts(_table(session, "pages-published"))
    assert sum(row["published"] for row in everything) == seeded.published  # old pages: earlier
    finance = _dicts(_table(session, "pages-published", space="finance"))
    assert {row["space"] for row in finance} == {"Finance"}
    assert sum(r["published"] for r in finance) == sum(
        r["published"] for r in everything if r["space"] == "Finance"
    )
    weeks = _dicts(_table(session, "reviews-given", start=NOW.date() - timedelta(weeks=2)))
    assert {row["week"] for row in weeks} == {"2026-11-16", "2026-11-23", "2026-11-30"}
    reviews = session.scalar(
        select(func.count(Review.id)).where(Review.created_at >= datetime(2026, 11, 16, tzinfo=UTC))
    )
    assert sum(row["reviews"] for row in weeks) == reviews  # fmt: skip


def test_open_proposals_are_bucketed_by_age_and_verification_health_by_due_date(
    wiki: Wiki,
) -> None:
    session, seeded = wiki.session, wiki.seeded
    ages = _dicts(_table(session, "open-proposals"))
    assert sum(row["open_proposals"] for row in ages) == seeded.open
    by_age = {
        label: sum(r["open_proposals"] for r in ages if r["age"] == label)
        for label, _ in analytics.AGE_BUCKETS
    }
    assert by_age == {"under 1 week": 1, "1-2 weeks": 1, "2-4 weeks": 3, "over 4 weeks": 1}  # 3, 9, 15, 21, 27, 33 days  # fmt: skip
    health = _dicts(_table(session, "verification-health"))
    states = Counter(
        schedule.freshness(due, NOW).state.value
        for due in session.scalars(
            select(PageSchedule.due_at).join(Page, Page.id == PageSchedule.page_id)
            .where(Page.published_revision_id.is_not(None), Page.archived_at.is_(None))
        )
    )  # fmt: skip
    assert {
        state: sum(row[state] for row in health) for state in ("fresh", "due", "overdue")
    } == states
    assert states["overdue"] and states["due"] and states["fresh"]  # fmt: skip


def test_the_top_charts_list_gaps_and_the_pages_readers_found_helpful(wiki: Wiki) -> None:
    session = wiki.session
    gaps = _dicts(_table(session, "knowledge-gaps"))
    assert gaps[0] == {"question": "parking permit", "asked": 6, "askers": 6}
    helpful = _dicts(_table(session, "helpful-pages"))
    assert 0 < len(helpful) <= analytics.TOP
    assert [row["worked"] for row in helpful] == sorted(
        (row["worked"] for row in helpful), reverse=True
    )


def test_a_chart_costs_the_same_queries_for_one_week_and_for_months_of_history(
    wiki: Wiki, app: Flask, session: Session
) -> None:
    def statements(app: Flask, session: Session) -> list[int]:
        counts = []
        for chart in analytics.CHARTS.values():
            with recorded_statements(app) as seen:
                chart.compute(session, _chosen(start=NOW.date() - timedelta(weeks=100)))
            counts.append(len(seen))
        return counts

    seed(session, app, now=NOW, weeks=1, per_week=1, open_proposals=1, old_pages=1)
    assert statements(app, session) == statements(wiki.app, wiki.session)


# -- the endpoints ------------------------------------------------------------------------------


def test_the_api_lists_the_charts_and_answers_each_with_its_numbers(wiki: Wiki) -> None:
    admin_client = wiki.client("admin")
    listed = admin_client.get("/api/v1/analytics")
    assert listed.status_code == 200
    names = [chart["name"] for chart in listed.get_json()["charts"]]
    assert names == list(analytics.CHARTS)
    for chart in listed.get_json()["charts"]:
        answer = admin_client.get(chart["url"])
        assert answer.status_code == 200, answer.get_json()
        body = answer.get_json()
        assert body["name"] == chart["name"] and body["columns"]
        assert all(len(row) == len(body["columns"]) for row in body["rows"])


def test_the_api_filters_by_space_and_weeks_and_refuses_bad_ranges(wiki: Wiki) -> None:
    admin_client = wiki.client("admin")
    body = admin_client.get(
        "/api/v1/analytics/pages-published?space=sales&from=2026-11-01&to=2026-11-20"
    ).get_json()
    assert (body["first_week"], body["last_week"], body["space"]) == (
        "2026-10-26",
        "2026-11-16",
        "sales",
    )
    assert {row[0] for row in body["rows"]} == {
        "2026-10-26",
        "2026-11-02",
        "2026-11-09",
        "2026-11-16",
    }
    assert {row[1] for row in body["rows"]} == {"Sales"}
    backwards = admin_client.get("/api/v1/analytics/pages-published?from=2026-11-20&to=2026-11-01")
    assert backwards.status_code == 422
    assert admin_client.get("/api/v1/analytics/pages-published?from=yesterday").status_code == 422
    assert admin_client.get("/api/v1/analytics/no-such-chart").status_code == 404  # fmt: skip


def test_the_csv_download_holds_the_numbers_the_api_gives(wiki: Wiki) -> None:
    admin_client = wiki.client("admin")
    query = "space=finance&from=2026-10-01&to=2026-11-30"
    for name in analytics.CHARTS:
        download = admin_client.get(f"/analytics/{name}.csv?{query}")
        assert download.status_code == 200 and download.mimetype == "text/csv"
        assert (
            f'filename="peerwiki-{name}-2026-09-28-2026-11-30.csv"'
            in download.headers["Content-Disposition"]
        )
        lines = list(csv.reader(io.StringIO(download.get_data(as_text=True))))
        body = admin_client.get(f"/api/v1/analytics/{name}?{query}").get_json()
        assert lines[0] == body["columns"]
        assert lines[1:] == [["" if v is None else str(v) for v in row] for row in body["rows"]]  # fmt: skip


def test_charts_are_svg_pictures_that_run_no_script_and_load_nothing(wiki: Wiki) -> None:
    admin_client = wiki.client("admin")
    for name in analytics.CHARTS:
        for size in ("wide", "narrow"):
            answer = admin_client.get(f"/analytics/{name}.svg?size={size}")
            assert answer.status_code == 200 and answer.mimetype == "image/svg+xml"
            assert (
                answer.headers["Content-Security-Policy"]
                == "default-src 'none'; style-src 'unsafe-inline'"
            )
            drawing = answer.get_data(as_text=True)
            assert drawing.startswith("<svg") and "<script src" not in drawing and "http://kozea" not in drawing  # fmt: skip
    weekly = admin_client.get("/analytics/pages-published.svg").get_data(as_text=True)
    assert "Nov 30" in weekly and "Finance" in weekly  # week labels and the spaces' legend


def test_only_administrators_read_the_dashboard_and_see_its_header_link(wiki: Wiki) -> None:
    admin_client, author_client, client = wiki.client("admin"), wiki.client("alex"), wiki.client("")
    page = admin_client.get("/analytics")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for chart in analytics.CHARTS.values():
        assert chart.title in html and f"/analytics/{chart.name}.csv" in html
    assert 'href="/analytics"' in html
    for path in (
        "/analytics",
        "/analytics/reviews-given.csv",
        "/analytics/reviews-given.svg",
        "/api/v1/analytics",
        "/api/v1/analytics/reviews-given",
    ):
        assert author_client.get(path).status_code == 403
    assert 'href="/analytics"' not in author_client.get("/").get_data(as_text=True)
    assert client.get("/api/v1/analytics").status_code == 401  # fmt: skip


def test_a_persons_activity_is_shown_to_them_and_administrators_only(wiki: Wiki) -> None:
    session, admin_client = wiki.session, wiki.client("admin")
    alex = wiki.seeded.people["alex"]
    own = wiki.client("alex")
    given = session.scalar(
        select(func.count(Review.id)).where(
            Review.reviewer_id == alex.id, Review.created_at >= datetime(2026, 9, 14, tzinfo=UTC)
        )
    )
    body = own.get("/api/v1/users/alex/activity").get_json()
    assert body["columns"] == ["week", "reviews_given", "published"]
    assert sum(row[1] for row in body["rows"]) == given
    assert admin_client.get("/api/v1/users/alex/activity").get_json() == body
    page = own.get("/users/alex/activity")
    assert page.status_code == 200 and "Your activity" in page.get_data(as_text=True)
    assert "Activity</a>" in own.get("/users/alex").get_data(as_text=True)
    other = wiki.client("fatima")
    assert other.get("/api/v1/users/alex/activity").status_code == 403
    assert other.get("/users/alex/activity").status_code == 403
    assert "Activity</a>" not in other.get("/users/alex").get_data(as_text=True)
    assert admin_client.get("/users/alex/activity").status_code == 200  # fmt: skip


def test_the_key_under_each_chart_uses_the_charts_colours(wiki: Wiki) -> None:
    css = (PROJECT_ROOT / "app/static/css/peerwiki.css").read_text()
    for n, colour in enumerate(charts.COLOURS):
        assert f".chart__swatch--{n} {{ background: {colour}; }}" in css
    for n, colour in enumerate(charts.HEALTH_COLOURS):
        assert f".chart__swatch--health.chart__swatch--{n} {{ background: {colour}; }}" in css
    html = wiki.client("admin").get("/analytics").get_data(as_text=True)
    assert '<ul class="chart__key" aria-label="Key">' in html and ">Median</li>" in html
