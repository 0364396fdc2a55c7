"""The peer-learning dashboard (administrators), its charts as SVG and CSV, and one person's own
activity (for them and administrators)."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import login_required

from app import charts, deps
from app.exceptions import ValidationError
from app.review import policy
from app.services import analytics, users

bp = Blueprint("analytics", __name__)

#: An SVG chart is a picture: it may style itself, nothing else (no script, no fetch).
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'"


def chosen_filters() -> analytics.Filters:
    """The weeks and space the request asks for (``from``, ``to``: dates; ``space``)."""
    return analytics.filters(
        start=_day("from"), end=_day("to"), space=request.args.get("space") or None
    )


def _day(name: str) -> date | None:
    text = request.args.get(name) or ""
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationError(
            f"{name!r} must be a date like 2026-11-30.", {name: "A date like 2026-11-30."}
        ) from None


@bp.get("/analytics")
@login_required
def dashboard() -> ResponseReturnValue:
    reader = deps.require_actor()
    policy.require_view_analytics(reader)
    session = deps.session()
    try:
        chosen = chosen_filters()
        problem = None
    except ValidationError as exc:
        chosen, problem = analytics.filters(), exc.message
    query = {
        "from": chosen.first.isoformat(), "to": chosen.last.isoformat(),
        **({"space": chosen.space} if chosen.space else {}),
    }  # fmt: skip
    shown = []
    for chart in analytics.CHARTS.values():
        table = analytics.numbers(session, reader=reader, name=chart.name, chosen=chosen)
        shown.append((chart, table, charts.legend(chart, table)))
    return render_template(
        "analytics/dashboard.html", shown=shown, chosen=chosen, query=query, problem=problem,
        spaces=analytics.spaces(session),
    ), 400 if problem else 200  # fmt: skip


@bp.get("/analytics/<chart>.svg")
@login_required
def chart_svg(chart: str) -> ResponseReturnValue:
    found, table = _numbers(chart)
    size = request.args.get("size", "wide")
    drawn = charts.svg(found, table, "narrow" if size == "narrow" else "wide")
    response = Response(drawn, mimetype="image/svg+xml")
    response.headers["Content-Security-Policy"] = SVG_POLICY
    return response


@bp.get("/analytics/<chart>.csv")
@login_required
def chart_csv(chart: str) -> ResponseReturnValue:
    found, table = _numbers(chart)
    chosen = chosen_filters()
    name = f"peerwiki-{found.name}-{chosen.first.isoformat()}-{chosen.last.isoformat()}.csv"
    return Response(
        charts.csv_text(table),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _numbers(name: str) -> tuple[analytics.Chart, analytics.Table]:
    table = analytics.numbers(
        deps.session(), reader=deps.require_actor(), name=name, chosen=chosen_filters()
    )
    return analytics.chart(name), table


@bp.get("/users/<username>/activity")
@login_required
def activity(username: str) -> ResponseReturnValue:
    session = deps.session()
    person = users.get_user(session, username)
    table = analytics.activity(
        session, reader=deps.require_actor(), person=person, chosen=chosen_filters()
    )
    return render_template("analytics/activity.html", person=person, table=table)
