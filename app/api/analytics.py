"""Peer-learning analytics over JSON: the dashboard's chart names, each chart's numbers, and one
person's own activity."""

from __future__ import annotations

from datetime import date

from flask import url_for
from pydantic import BaseModel, Field

from app import deps
from app.api import bp
from app.api.serializers import Shape
from app.api.spec import Answer, author, endpoint
from app.review import policy
from app.services import analytics, users

# -- shapes ---------------------------------------------------------------------------------


class RangeArgs(BaseModel):
    """Which weeks: those holding ``from`` to ``to`` (default: the last 12 weeks)."""

    from_: date | None = Field(
        default=None, alias="from", description="A day of the first week, YYYY-MM-DD."
    )
    to: date | None = Field(default=None, description="A day of the last week, YYYY-MM-DD.")


class ChartArgs(RangeArgs):
    """Which weeks and which space."""

    space: str | None = Field(default=None, description="A space's slug; default: every space.")


class ChartEntry(Shape):
    name: str = Field(examples=["pages-published"])
    title: str
    description: str
    by_week: bool = Field(description="False for a snapshot as of now (the weeks do not apply).")
    url: str = Field(description="Its numbers as JSON.")
    csv_url: str = Field(description="Its numbers as CSV.")


class ChartList(Shape):
    charts: list[ChartEntry]


Cell = str | int | float | None


class ChartNumbers(Shape):
    name: str
    title: str
    first_week: date = Field(description="The Monday of the first week.")
    last_week: date = Field(description="The Monday of the last week.")
    space: str | None
    columns: list[str]
    rows: list[list[Cell]]


class Activity(Shape):
    username: str
    first_week: date
    last_week: date
    columns: list[str]
    rows: list[list[Cell]]


def _filters(query: RangeArgs, space: str | None = None) -> analytics.Filters:
    return analytics.filters(start=query.from_, end=query.to, space=space)


# -- routes ---------------------------------------------------------------------------------


@bp.get("/analytics")
@endpoint(ChartList, errors=(403,), auth=True)
def analytics_charts() -> Answer:
    """The dashboard's charts (administrators)."""
    policy.require_view_analytics(author())
    return ChartList(
        charts=[
            ChartEntry(
                name=chart.name,
                title=chart.title,
                description=chart.description,
                by_week=chart.by_week,
                url=url_for("api.analytics_chart", chart=chart.name),
                csv_url=url_for("analytics.chart_csv", chart=chart.name),
            )  # fmt: skip
            for chart in analytics.CHARTS.values()
        ]
    )


@bp.get("/analytics/<chart>")
@endpoint(ChartNumbers, errors=(403, 404, 422), auth=True)
def analytics_chart(chart: str, query: ChartArgs) -> Answer:
    """One chart's numbers, for a range of weeks and a space (administrators)."""
    chosen = _filters(query, query.space or None)
    table = analytics.numbers(deps.session(), reader=author(), name=chart, chosen=chosen)
    found = analytics.chart(chart)
    return ChartNumbers(
        name=found.name, title=found.title, first_week=chosen.first, last_week=chosen.last,
        space=chosen.space, columns=list(table.columns), rows=[list(row) for row in table.rows],
    )  # fmt: skip


@bp.get("/users/<username>/activity")
@endpoint(Activity, errors=(403, 404, 422), auth=True)
def user_activity(username: str, query: RangeArgs) -> Answer:
    """A person's reviews given and versions published per week (themselves, administrators)."""
    session = deps.session()
    person = users.get_user(session, username)
    chosen = _filters(query)
    table = analytics.activity(session, reader=author(), person=person, chosen=chosen)
    return Activity(
        username=person.username, first_week=chosen.first, last_week=chosen.last,
        columns=list(table.columns), rows=[list(row) for row in table.rows],
    )  # fmt: skip
