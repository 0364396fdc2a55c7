"""Peer-learning analytics: what the wiki's people publish and review, week by week and space by
space, computed by SQL aggregates (a chart reads a few rows per week, never the history).

Each chart is a :class:`Chart` in :data:`CHARTS`; its numbers are a :class:`Table` (the same rows
feed the SVG, the CSV download and ``/api/v1/analytics/{chart}``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final, Literal, TypeVarTuple

from sqlalchemy import (
    ColumnElement,
    Float,
    Select,
    String,
    and_,
    case,
    cast,
    func,
    literal,
    literal_column,
    select,
)
from sqlalchemy.orm import Session, aliased

from app.exceptions import NotFound, ValidationError
from app.models import (
    Page,
    PageFeedback,
    PageSchedule,
    Proposal,
    ProposalEvent,
    Review,
    Revision,
    Space,
    User,
    UTCDateTime,
)
from app.review import policy, schedule
from app.review.schedule import FreshnessState
from app.review.workflow import REVIEWABLE_STATES, Action
from app.services import search

#: Weeks a dashboard shows unless asked for others.
DEFAULT_WEEKS: Final = 12
#: The longest range one request may ask for (two years of weeks).
MAX_WEEKS: Final = 104
#: Rows of the "top" charts (knowledge gaps, most helpful pages).
TOP: Final = 10
#: What a page of no space is filed under.
NO_SPACE: Final = "(none)"
#: Open proposals' ages, youngest first: (label, at least this many days old).
AGE_BUCKETS: Final = (
    ("under 1 week", 0),
    ("1-2 weeks", 7),
    ("2-4 weeks", 14),
    ("over 4 weeks", 28),
)
#: The quantiles the timing charts report, in percent.
MEDIAN, P90 = 50, 90


# -- the rules --------------------------------------------------------------------------------


def week_of(day: date) -> date:
    """The Monday that starts ``day``'s ISO week."""
    return day - timedelta(days=day.weekday())


def quantile_rank(n: int, percent: int) -> tuple[int, float]:
    """Where the ``percent`` quantile of ``n`` sorted values lies, by linear interpolation between
    the closest ranks (as ``numpy.percentile`` does by default): the 1-based rank of the value
    below it and how far towards the next value it is."""
    below, remainder = divmod(percent * (n - 1), 100)
    return below + 1, remainder / 100


def quantile(values: Sequence[float], percent: int) -> float:
    """The ``percent`` quantile of ``values`` (sorted ascending, at least one)."""
    rank, fraction = quantile_rank(len(values), percent)
    low = values[rank - 1]
    return low if fraction == 0 else low + fraction * (values[rank] - low)


def share(part: int, whole: int) -> float | None:
    """``part`` of ``whole`` as a fraction rounded to 3 places; None when there is no whole."""
    return round(part / whole, 3) if whole else None


# -- filters and results ----------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """Which weeks (``first`` to ``last``, Mondays, both included) and which space."""

    first: date
    last: date
    space: str | None = None
    #: The moment "open for how long" and "due" are measured at.
    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def weeks(self) -> list[date]:
        count = (self.last - self.first).days // 7 + 1
        return [self.first + timedelta(weeks=n) for n in range(count)]

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(), UTC)

    @property
    def end(self) -> datetime:
        """The first moment after the range."""
        return datetime.combine(self.last + timedelta(weeks=1), time(), UTC)


def filters(
    *,
    start: date | None = None,
    end: date | None = None,
    space: str | None = None,
    now: datetime | None = None,
) -> Filters:
    """The filters for the weeks holding ``start`` to ``end`` (default: the last
    :data:`DEFAULT_WEEKS` weeks up to ``now``'s) and ``space``; raise ValidationError for a
    range that runs backwards or is too long."""
    now = now or datetime.now(UTC)
    last = week_of(end or now.date())
    first = week_of(start) if start else last - timedelta(weeks=DEFAULT_WEEKS - 1)
    if first > last:
        raise ValidationError("The range ends before it starts.", {"from": "After 'to'."})
    if (last - first).days // 7 + 1 > MAX_WEEKS:
        raise ValidationError(
            f"Ask for at most {MAX_WEEKS} weeks.", {"from": f"At most {MAX_WEEKS} weeks."}
        )
    return Filters(first=first, last=last, space=space or None, now=now)


@dataclass(frozen=True)
class Table:
    """A chart's numbers: named columns and their rows (what the CSV holds)."""

    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]


Kind = Literal["stacked_bar", "line", "horizontal_bar"]


@dataclass(frozen=True)
class Chart:
    """One chart of the dashboard: what it shows and how its table becomes a picture.

    ``x`` is the column along the axis; ``series`` the column whose values are the series (None:
    each of ``values`` is a series); ``values`` the columns drawn.
    """

    name: str
    title: str
    description: str
    kind: Kind
    x: str
    values: tuple[str, ...]
    compute: Callable[[Session, Filters], Table]
    series: str | None = None
    unit: str = ""
    #: Whether the week range applies (a snapshot such as open proposals is as of now).
    by_week: bool = True


# -- SQL helpers ------------------------------------------------------------------------------


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _week(session: Session, column: Any) -> ColumnElement[str]:
    """The Monday of ``column``'s week, as ``YYYY-MM-DD`` text, on either engine."""
    if _dialect(session) == "postgresql":
        return func.to_char(func.date_trunc("week", func.timezone("UTC", column)), "YYYY-MM-DD")
    return func.date(column, "weekday 0", "-6 days")


def _hours(session: Session, later: Any, earlier: Any) -> ColumnElement[Any]:
    """Hours from ``earlier`` to ``later``."""
    seconds: ColumnElement[Any]
    if _dialect(session) == "postgresql":
        seconds = func.extract("epoch", later - earlier)
    else:
        seconds = (func.julianday(later) - func.julianday(earlier)) * 86400.0
    return cast(seconds / 3600.0, Float)


def _at(moment: datetime) -> ColumnElement[datetime]:
    return literal(moment, UTCDateTime())


_Home = aliased(Space, name="home_space")


def _space() -> ColumnElement[str]:
    """The space a page's numbers are filed under: its name."""
    # The constant is written into the SQL, not bound: PostgreSQL matches the select list with
    # GROUP BY by expression, and two bound parameters are two different expressions to it.
    return func.coalesce(_Home.name, literal_column(f"'{NO_SPACE}'", String))


_Columns = TypeVarTuple("_Columns")


def _in_space(query: Select[*_Columns], chosen: Filters) -> Select[*_Columns]:
    """Join the page's space to ``query`` (which selects from pages) and keep ``chosen.space``
    (a space's slug)."""
    query = query.outerjoin(_Home, _Home.id == Page.space_id)
    if chosen.space is not None:
        query = query.where(_Home.slug == chosen.space)
    return query


def _in_weeks(column: Any, chosen: Filters) -> ColumnElement[bool]:
    return and_(column >= _at(chosen.start), column < _at(chosen.end))


def _submitted() -> Any:
    """When each proposal was first sent for review."""
    return (
        select(ProposalEvent.proposal_id, func.min(ProposalEvent.created_at).label("at"))
        .where(ProposalEvent.kind == Action.SUBMIT.value)
        .group_by(ProposalEvent.proposal_id)
        .subquery("submitted")
    )


def _by_week_and_space(chosen: Filters, rows: Sequence[Any], values: int) -> list[tuple[Any, ...]]:
    """Rows ``(week, space, *values)`` for every week of the range and every space that has
    any, zeros where nothing happened, weeks in order then spaces by name."""
    found = {(row[0], row[1]): tuple(row[2:]) for row in rows}
    spaces = sorted({row[1] for row in rows})
    zero = (0,) * values
    return [
        (week.isoformat(), space, *found.get((week.isoformat(), space), zero))
        for week in chosen.weeks
        for space in spaces
    ]


# -- the charts -------------------------------------------------------------------------------


def pages_published(session: Session, chosen: Filters) -> Table:
    """Versions published (new pages and updates) per week and space."""
    week = _week(session, Revision.published_at)
    query = select(week, _space(), func.count(Revision.id)).join(Page, Page.id == Revision.page_id)
    query = _in_space(query, chosen).where(_in_weeks(Revision.published_at, chosen))
    rows = session.execute(query.group_by(week, _space())).all()
    return Table(("week", "space", "published"), _by_week_and_space(chosen, rows, 1))


def reviews_given(session: Session, chosen: Filters) -> Table:
    """Reviews given (any verdict) per week and space of the page reviewed."""
    week = _week(session, Review.created_at)
    query = (
        select(week, _space(), func.count(Review.id))
        .select_from(Review)
        .join(Proposal, Proposal.id == Review.proposal_id)
        .join(Page, Page.id == Proposal.page_id)
    )
    query = _in_space(query, chosen).where(_in_weeks(Review.created_at, chosen))
    rows = session.execute(query.group_by(week, _space())).all()
    return Table(("week", "space", "reviews"), _by_week_and_space(chosen, rows, 1))


def cross_department_reviews(session: Session, chosen: Filters) -> Table:
    """Per week: reviews, how many came from outside the reviewed version's department, and
    their share."""
    reviewer = aliased(User, name="reviewer")
    reviewed = aliased(Revision, name="reviewed")
    week = _week(session, Review.created_at)
    home = func.coalesce(reviewed.department_id, Page.department_id)
    crossed = case((and_(home.is_not(None), reviewer.department_id != home), 1), else_=0)
    query = (
        select(week, func.count(Review.id), func.sum(crossed))
        .select_from(Review)
        .join(reviewer, reviewer.id == Review.reviewer_id)
        .join(reviewed, reviewed.id == Review.revision_id)
        .join(Page, Page.id == reviewed.page_id)
    )
    query = _in_space(query, chosen).where(_in_weeks(Review.created_at, chosen))
    found = {
        row[0]: (int(row[1]), int(row[2] or 0)) for row in session.execute(query.group_by(week))
    }
    rows: list[tuple[Any, ...]] = []
    for monday in chosen.weeks:
        total, cross = found.get(monday.isoformat(), (0, 0))
        rows.append((monday.isoformat(), total, cross, share(cross, total)))
    return Table(("week", "reviews", "cross_department", "share"), rows)


def _timing(session: Session, chosen: Filters, durations: Select[str, float]) -> Table:
    """Median and 90th percentile of ``durations`` (rows of week, hours) per week, read from
    the database as the two ranks around each quantile (window functions), not every row."""
    timed = durations.subquery("timed")
    ranked = select(
        timed.c.week,
        timed.c.hours,
        func.row_number().over(partition_by=timed.c.week, order_by=timed.c.hours).label("rank"),
        func.count().over(partition_by=timed.c.week).label("n"),
    ).subquery("ranked")
    below_of = {percent: (percent * (ranked.c.n - 1)) // 100 for percent in (MEDIAN, P90)}
    near = [ranked.c.rank.between(below + 1, below + 2) for below in below_of.values()]
    rows = session.execute(
        select(ranked.c.week, ranked.c.n, ranked.c.rank, ranked.c.hours).where(near[0] | near[1])
    ).all()
    ranks: dict[str, dict[int, float]] = defaultdict(dict)
    counts: dict[str, int] = {}
    for week, n, rank, hours in rows:
        ranks[week][int(rank)] = float(hours)
        counts[week] = int(n)
    table: list[tuple[Any, ...]] = []
    for monday in chosen.weeks:
        key = monday.isoformat()
        if key not in counts:
            table.append((key, 0, None, None))
            continue
        table.append(
            (
                key,
                counts[key],
                *(round(_pick(ranks[key], counts[key], p), 1) for p in (MEDIAN, P90)),
            )
        )
    return Table(("week", "count", "median_hours", "p90_hours"), table)


def _pick(values: dict[int, float], n: int, percent: int) -> float:
    rank, fraction = quantile_rank(n, percent)
    low = values[rank]
    return low if fraction == 0 else low + fraction * (values[rank + 1] - low)


def time_to_first_review(session: Session, chosen: Filters) -> Table:
    """Hours from a proposal's first submission to its first review by someone else, by the
    week of that review."""
    submitted = _submitted()
    first = (
        select(Review.proposal_id, func.min(Review.created_at).label("at"))
        .join(Proposal, Proposal.id == Review.proposal_id)
        .where(Review.reviewer_id != Proposal.author_id)
        .group_by(Review.proposal_id)
        .subquery("first_review")
    )
    query = (
        select(
            _week(session, first.c.at).label("week"),
            _hours(session, first.c.at, submitted.c.at).label("hours"),
        )
        .select_from(first)
        .join(submitted, submitted.c.proposal_id == first.c.proposal_id)
        .join(Proposal, Proposal.id == first.c.proposal_id)
        .join(Page, Page.id == Proposal.page_id)
    )
    query = _in_space(query, chosen).where(_in_weeks(first.c.at, chosen))
    return _timing(session, chosen, query)


def time_to_publication(session: Session, chosen: Filters) -> Table:
    """Hours from a proposal's first submission to its publication, by the week published."""
    submitted = _submitted()
    query = (
        select(
            _week(session, Proposal.published_at).label("week"),
            _hours(session, Proposal.published_at, submitted.c.at).label("hours"),
        )
        .select_from(Proposal)
        .join(submitted, submitted.c.proposal_id == Proposal.id)
        .join(Page, Page.id == Proposal.page_id)
    )
    query = _in_space(query, chosen).where(_in_weeks(Proposal.published_at, chosen))
    return _timing(session, chosen, query)


def open_proposals(session: Session, chosen: Filters) -> Table:
    """Proposals waiting in review now (in review, changes requested, approved), by space and
    how long ago they were first submitted."""
    submitted = _submitted()
    since = func.coalesce(submitted.c.at, Proposal.created_at)
    bucket = case(
        *(
            (since > _at(chosen.now - timedelta(days=days)), label)
            for label, days in _younger_first()
        ),
        else_=AGE_BUCKETS[-1][0],
    )
    query = (
        select(_space(), bucket, func.count(Proposal.id))
        .select_from(Proposal)
        .outerjoin(submitted, submitted.c.proposal_id == Proposal.id)
        .join(Page, Page.id == Proposal.page_id)
        .where(Proposal.state.in_([state.value for state in REVIEWABLE_STATES]))
    )
    query = _in_space(query, chosen)
    found = {
        (row[0], row[1]): int(row[2]) for row in session.execute(query.group_by(_space(), bucket))
    }
    spaces = sorted({space for space, _ in found})
    rows = [
        (space, label, found.get((space, label), 0)) for label, _ in AGE_BUCKETS for space in spaces
    ]
    return Table(("space", "age", "open_proposals"), rows)


def _younger_first() -> list[tuple[str, int]]:
    """The buckets but the oldest, each with the age it ends at (the next one's start)."""
    return [(label, AGE_BUCKETS[n + 1][1]) for n, (label, _) in enumerate(AGE_BUCKETS[:-1])]


def verification_health(session: Session, chosen: Filters) -> Table:
    """Live pages per space that are fresh, due for verification, or overdue (due for longer
    than the schedule's grace), as of ``chosen.now``, from each page's schedule."""
    state = case(
        (PageSchedule.due_at <= _at(chosen.now - schedule.GRACE), FreshnessState.OVERDUE.value),
        (PageSchedule.due_at <= _at(chosen.now), FreshnessState.DUE.value),
        else_=FreshnessState.FRESH.value,
    )
    query = (
        select(_space(), state, func.count(Page.id))
        .select_from(Page)
        .join(PageSchedule, PageSchedule.page_id == Page.id)
        .where(Page.archived_at.is_(None), Page.published_revision_id.is_not(None))
    )
    query = _in_space(query, chosen)
    found: dict[str, dict[str, int]] = defaultdict(dict)
    for space, status, count in session.execute(query.group_by(_space(), state)):
        found[space][status] = int(count)
    rows = [
        (space, *(found[space].get(status.value, 0) for status in FreshnessState))
        for space in sorted(found)
    ]
    return Table(("space", *(status.value for status in FreshnessState)), rows)


def knowledge_gaps(session: Session, chosen: Filters) -> Table:
    """The most asked unanswered questions that were asked in the range (all spaces: searches
    belong to no space)."""
    listing = search.gaps(session, asked_since=chosen.start, per_page=TOP)
    rows = [(gap.question, gap.asked, gap.askers) for gap in listing.items]
    return Table(("question", "asked", "askers"), rows)


def helpful_pages(session: Session, chosen: Filters) -> Table:
    """The live pages most readers said worked for them in the range."""
    worked = func.count(case((PageFeedback.worked.is_(True), 1)))
    not_worked = func.count(case((PageFeedback.worked.is_(False), 1)))
    query = (
        select(Page.title, Page.slug, _space(), worked, not_worked)
        .select_from(PageFeedback)
        .join(Page, Page.id == PageFeedback.page_id)
        .where(Page.archived_at.is_(None), _in_weeks(PageFeedback.updated_at, chosen))
    )
    query = _in_space(query, chosen).group_by(Page.id, Page.title, Page.slug, _space())
    query = query.having(worked > 0).order_by(worked.desc(), not_worked, Page.title).limit(TOP)
    rows = [tuple(row) for row in session.execute(query)]
    return Table(("page", "slug", "space", "worked", "not_worked"), rows)


CHARTS: Final[dict[str, Chart]] = {
    chart.name: chart
    for chart in (
        Chart("pages-published", "Pages published", "Versions published (new pages and updates) each week, by space.",
              "stacked_bar", x="week", series="space", values=("published",), compute=pages_published),
        Chart("reviews-given", "Reviews given", "Reviews of any verdict each week, by the space of the page reviewed.",
              "stacked_bar", x="week", series="space", values=("reviews",), compute=reviews_given),
        Chart("cross-department-reviews", "Reviews across departments",
              "Share of each week's reviews given by someone from another department than the page's.",
              "line", x="week", values=("share",), unit="%", compute=cross_department_reviews),
        Chart("time-to-first-review", "Time to first review",
              "Hours from submission to the first review by someone else (median and 90th percentile), by the week of that review.",
              "line", x="week", values=("median_hours", "p90_hours"), unit="h", compute=time_to_first_review),
        Chart("time-to-publication", "Time to publication",
              "Hours from submission to publication (median and 90th percentile), by the week published.",
              "line", x="week", values=("median_hours", "p90_hours"), unit="h", compute=time_to_publication),
        Chart("open-proposals", "Open proposals by age",
              "Proposals waiting in review now, by how long ago they were submitted.",
              "stacked_bar", x="age", series="space", values=("open_proposals",), compute=open_proposals, by_week=False),
        Chart("verification-health", "Verification health",
              f"Live pages fresh, due for verification, or overdue (due for over {schedule.GRACE.days} days), by space.",
              "stacked_bar", x="space", values=("fresh", "due", "overdue"), compute=verification_health, by_week=False),
        Chart("knowledge-gaps", "Top knowledge gaps",
              "Unanswered questions asked since the range began, most asked first (searches belong to no space).",
              "horizontal_bar", x="question", values=("asked",), compute=knowledge_gaps),
        Chart("helpful-pages", "Most helpful pages",
              "Pages most readers said worked for them in the range.",
              "horizontal_bar", x="page", values=("worked",), compute=helpful_pages),
    )
}  # fmt: skip


def chart(name: str) -> Chart:
    """The chart called ``name``; raise NotFound for an unknown one."""
    found = CHARTS.get(name)
    if found is None:
        raise NotFound(f"There is no chart {name!r}; the charts are {', '.join(CHARTS)}.")
    return found


def numbers(session: Session, *, reader: User, name: str, chosen: Filters) -> Table:
    """The table of the chart ``name`` for ``chosen``, if ``reader`` may read the dashboard."""
    policy.require_view_analytics(reader)
    return chart(name).compute(session, chosen)


def spaces(session: Session) -> list[tuple[str, str]]:
    """The spaces a dashboard can be narrowed to: (slug, name), by name."""
    rows = session.execute(select(Space.slug, Space.name).order_by(func.lower(Space.name)))
    return [(slug, name) for slug, name in rows]


# -- one person's activity ---------------------------------------------------------------------


def activity(session: Session, *, reader: User, person: User, chosen: Filters) -> Table:
    """``person``'s own reviews given and versions published per week: for themselves and
    administrators only."""
    policy.require_view_activity(reader, person)
    review_week = _week(session, Review.created_at)
    reviews = dict(
        session.execute(
            select(review_week, func.count(Review.id))
            .where(Review.reviewer_id == person.id, _in_weeks(Review.created_at, chosen))
            .group_by(review_week)
        ).all()
    )
    published_week = _week(session, Revision.published_at)
    published = dict(
        session.execute(
            select(published_week, func.count(Revision.id))
            .where(Revision.author_id == person.id, _in_weeks(Revision.published_at, chosen))
            .group_by(published_week)
        ).all()
    )
    rows = [
        (
            monday.isoformat(),
            reviews.get(monday.isoformat(), 0),
            published.get(monday.isoformat(), 0),
        )
        for monday in chosen.weeks
    ]
    return Table(("week", "reviews_given", "published"), rows)
