"""Measure whether search finds the page that answers a new hire's question, against plain Whoosh.

Usage: .venv/bin/python bench/relevance.py [--backend memory --backend whoosh] [--cache DIR]
                                           [--json FILE] [--verbose]

The corpus is a real manual that nobody here wrote: Debian's postgresql-doc-15 (the PostgreSQL
15 documentation, about 1,170 HTML pages). The package is downloaded with ``apt-get download``
into the cache directory (``~/.cache/peerwiki-bench`` unless ``--cache``), unpacked with
``dpkg-deb -x`` and converted from HTML to Markdown with markdownify (the ``bench`` extra:
``pip install -e '.[bench]'``); nothing of it enters the repository. Every page is then created
and published through the wiki's own services in a throwaway app (SQLite in a temporary
directory; PostgreSQL in a throwaway database for ``--backend postgres``), and the questions of
``bench/relevance_questions.toml`` are asked the way ``/api/v1/search`` answers them
(``services.search.run``). In the same run the same page texts (the documents Peerwiki indexes)
go into a plain Whoosh index, the baseline: a stemming analyzer, title (boost 2; 2.5 and 3 are
shown too) and body, ``OrGroup``, BM25F. The tables give success@1, success@5 and MRR@10 overall, per question form
and per half (A: odd ids, to tune on; B: even ids, to report on).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import tomllib
import uuid
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app  # noqa: E402
from app.exceptions import ValidationError  # noqa: E402
from app.search import BACKENDS, SearchDocument, SearchQuery  # noqa: E402
from app.services import indexing, proposals, search, users
from app.services import pages as page_rules  # noqa: E402
from app.slugs import slugify  # noqa: E402

PACKAGE = "postgresql-doc-15"
HTML_DIR = Path("usr/share/doc") / PACKAGE / "html"
#: Pages that are not prose: the back-of-the-book index (a list of every term with links).
NOT_PROSE = frozenset({"bookindex"})
#: Bump when the conversion changes, so cached conversions are made again.
CONVERSION = 2
QUESTIONS = Path(__file__).with_name("relevance_questions.toml")
FORMS = ("plain", "other-words", "typo", "question")
DEPTH = 10  # results looked at per question (MRR@10)
#: The baseline's title boosts: the table's baseline is the first (the strongest on this set of
#: 2, 2.5 and 3, so the target is the hardest), the others show how much the choice matters.
TITLE_BOOSTS = (2.0, 2.5, 3.0)
PG_URL_VARIABLE = "PEERWIKI_TEST_POSTGRES_URL"
_SECTION_NUMBER = re.compile(
    r"^(?:(?:Chapter|Part|Appendix)\s+[A-Z0-9]+\.|[A-Z0-9]+(?:\.\d+)*\.)\s+"
)
_WORD = re.compile(r"\w+")


# --- questions and scores -------------------------------------------------------------------


@dataclass(frozen=True)
class Question:
    """A known-item question and the corpus pages that answer it."""

    id: int
    form: str
    q: str
    answers: tuple[str, ...]

    @property
    def half(self) -> str:
        """A (odd ids: tune on these) or B (even ids: report on these)."""
        return "A" if self.id % 2 else "B"


def load_questions(path: Path = QUESTIONS) -> list[Question]:
    """Read the question file; raise ValueError naming every malformed entry."""
    entries = tomllib.loads(path.read_text(encoding="utf-8")).get("question", [])
    problems, questions, seen = [], [], set()
    for number, entry in enumerate(entries, 1):
        where = f"question #{number} (id {entry.get('id')!r})"
        if set(entry) != {"id", "form", "q", "answers"}:
            problems.append(f"{where}: needs exactly id, form, q and answers, has {sorted(entry)}")
            continue
        if not isinstance(entry["id"], int) or entry["id"] in seen:
            problems.append(f"{where}: the id must be a unique integer")
        if entry["form"] not in FORMS:
            problems.append(f"{where}: form must be one of {', '.join(FORMS)}")
        if not isinstance(entry["q"], str) or not entry["q"].strip():
            problems.append(f"{where}: q must be a non-empty string")
        answers = entry["answers"]
        if not answers or not all(isinstance(a, str) and a for a in answers):
            problems.append(f"{where}: answers must list at least one corpus page id")
        seen.add(entry["id"])
        questions.append(Question(entry["id"], entry["form"], entry["q"], tuple(answers)))
    if problems:
        raise ValueError(f"{path}:\n  " + "\n  ".join(problems))
    return questions


def check_answers(questions: Iterable[Question], known: Collection[str]) -> None:
    """Fail loudly when a question names a page the loaded corpus does not have."""
    unknown = [(q.id, a) for q in questions for a in q.answers if a not in known]
    if unknown:
        listed = ", ".join(f"#{qid}: {page}" for qid, page in unknown)
        raise SystemExit(f"Questions name pages the corpus does not have: {listed}")


def first_rank(ranked: Sequence[str], answers: Collection[str], depth: int = DEPTH) -> int | None:
    """The 1-based position of the first answer among the top ``depth`` results, or None."""
    for position, page in enumerate(ranked[:depth], 1):
        if page in answers:
            return position
    return None


@dataclass(frozen=True)
class Scores:
    """Known-item scores of a group of questions."""

    n: int
    success_at_1: float
    success_at_5: float
    mrr_at_10: float


def score(ranks: Sequence[int | None]) -> Scores:
    """success@1, success@5 and MRR@10 of questions whose first answers came at ``ranks``."""
    if not ranks:
        return Scores(0, 0.0, 0.0, 0.0)
    found = [rank for rank in ranks if rank is not None and rank <= DEPTH]
    return Scores(
        n=len(ranks),
        success_at_1=sum(rank == 1 for rank in found) / len(ranks),
        success_at_5=sum(rank <= 5 for rank in found) / len(ranks),
        mrr_at_10=sum(1 / rank for rank in found) / len(ranks),
    )


def groups(questions: Sequence[Question]) -> list[tuple[str, list[int]]]:
    """The rows of the table: all questions, each form, each half (as indexes into questions)."""
    rows = [("all", list(range(len(questions))))]
    rows += [
        (f"form: {form}", [i for i, q in enumerate(questions) if q.form == form]) for form in FORMS
    ]
    rows += [
        (f"half {half}", [i for i, q in enumerate(questions) if q.half == half]) for half in "AB"
    ]
    return rows


# --- the corpus -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CorpusPage:
    """One page of the manual, converted: its id is the HTML file's name without ``.html``."""

    id: str
    title: str
    markdown: str


def fetch_manual(cache: Path) -> tuple[str, Path]:
    """Download (once) and unpack the documentation package; return its version and HTML folder."""
    cache.mkdir(parents=True, exist_ok=True)
    debs = sorted(cache.glob(f"{PACKAGE}_*.deb"))
    if not debs:
        subprocess.run(["apt-get", "download", PACKAGE], cwd=cache, check=True)
        debs = sorted(cache.glob(f"{PACKAGE}_*.deb"))
    deb = debs[-1]
    version = subprocess.run(
        ["dpkg-deb", "-f", str(deb), "Version"], check=True, capture_output=True, text=True
    ).stdout.strip()
    unpacked = cache / f"{PACKAGE}_{version}"
    if not (unpacked / HTML_DIR).is_dir():
        subprocess.run(["dpkg-deb", "-x", str(deb), str(unpacked)], check=True)
    return version, unpacked / HTML_DIR


def convert_page(html: str) -> tuple[str, str, str]:
    """Return the title, the parent section's title and the Markdown of one manual page.

    Section numbers leave the titles ("5.4. Constraints" -> "Constraints"), the navigation bars
    go, and links become their text: they point at HTML files that the wiki does not have.
    """
    from bs4 import BeautifulSoup
    from markdownify import markdownify

    soup = BeautifulSoup(html, "html.parser")
    title = _plain_title(soup.title.get_text() if soup.title else "")
    up = soup.select_one('div.navheader a[accesskey="u"]')
    parent = _plain_title(str(up.get("title", ""))) if up else ""
    for navigation in soup.select("div.navheader, div.navfooter"):
        navigation.decompose()
    body = soup.body or soup
    markdown = markdownify(str(body), heading_style="ATX", bullets="-", strip=["a", "img"])
    return title, parent, re.sub(r"\n{3,}", "\n\n", markdown).strip() + "\n"


def convert_manual(html_dir: Path) -> list[CorpusPage]:
    """Convert every prose page; titles that repeat ("Overview", or the same slug) get their
    parent's in brackets."""
    converted = [
        (path.stem, *convert_page(path.read_text(encoding="utf-8")))
        for path in sorted(html_dir.glob("*.html"))
        if path.stem not in NOT_PROSE
    ]
    counts = Counter(slugify(title) for _, title, _, _ in converted)
    return [
        CorpusPage(stem, f"{title} ({parent})" if counts[slugify(title)] > 1 else title, markdown)
        for stem, title, parent, markdown in converted
    ]


def corpus(cache: Path) -> tuple[str, list[CorpusPage]]:
    """The converted manual and its package version, from the cache when converted before."""
    version, html_dir = fetch_manual(cache)
    saved = cache / f"{PACKAGE}_{version}.markdown-v{CONVERSION}.json"
    if saved.exists():
        pages = [CorpusPage(**page) for page in json.loads(saved.read_text(encoding="utf-8"))]
    else:
        pages = convert_manual(html_dir)
        saved.write_text(json.dumps([asdict(page) for page in pages]), encoding="utf-8")
    return version, pages


def _plain_title(title: str) -> str:
    return _SECTION_NUMBER.sub("", " ".join(title.split()))


# --- Peerwiki -------------------------------------------------------------------------------


@dataclass
class Wiki:
    """A throwaway Peerwiki with the corpus published in it."""

    name: str
    app: Any
    session: Any
    backend: Any
    #: Page slug -> corpus page id.
    ids: dict[str, str]
    skipped: list[tuple[str, str]]

    def ranking(self, question: str) -> list[str]:
        """Corpus ids of the top results, as /api/v1/search ranks them (with all=true: the
        whole ranking, before the cut-off)."""
        return [self.ids.get(hit.slug, hit.slug) for hit in self.outcome(question).results.hits]

    def outcome(self, question: str) -> search.Outcome:
        """The search as /api/v1/search answers it (cut-off and direct answer included)."""
        return search.run(
            self.session, self.backend, SearchQuery(text=question, per_page=DEPTH), user=None,
            record=False,
        )  # fmt: skip

    def answers(self, questions: Sequence[Question]) -> str:
        """What the cut-off and the direct answers do to the questions: how many answers the
        cut-off hides, how many direct answers come from a right page."""
        kept = hidden = answered = right = weak = 0
        for q in questions:
            outcome = self.outcome(q.q)
            ranked = [self.ids.get(hit.slug, hit.slug) for hit in outcome.results.hits]
            shown = [self.ids.get(hit.slug, hit.slug) for hit in outcome.hits]
            if first_rank(ranked, q.answers) is not None:
                if first_rank(shown, q.answers) is not None:
                    kept += 1
                else:
                    hidden += 1
            if outcome.answer is not None:
                answered += 1
                right += self.ids.get(outcome.answer.slug, outcome.answer.slug) in q.answers
            weak += outcome.unanswered
        return (
            f"Peerwiki ({self.name}): of {kept + hidden} answers in the top {DEPTH}, {kept} stay "
            f'above the cut-off and {hidden} are behind "show more"; {answered} questions get a '
            f"direct answer, {right} of them from a page that answers; {weak} count as "
            "unanswered at once"
        )

    def documents(self) -> list[SearchDocument]:
        """The documents Peerwiki indexes (the baseline indexes the same texts)."""
        return list(indexing.all_documents(self.session))


@contextmanager
def wiki(backend: str, pages: Sequence[CorpusPage], work: Path) -> Iterator[Wiki]:
    """Create an app on ``backend``, publish ``pages`` through the services and index them."""
    with _database(backend, work) as database_url:
        app = create_app(
            {
                "DATABASE_URL": database_url, "SEARCH_BACKEND": backend,
                "SEARCH_INDEX": str(work / f"index-{backend}"), "SECRET_KEY": "relevance-bench",
                "RATELIMIT_ENABLED": False, "BACKGROUND_RUNNER": "inline",
            }
        )  # fmt: skip
        upgraded = app.test_cli_runner().invoke(args=["db", "upgrade"])
        if upgraded.exit_code != 0:
            raise SystemExit(f"Migrating the bench database failed:\n{upgraded.output}")
        session = app.extensions["wiki.sessionmaker"]()
        try:
            index = app.extensions["wiki.search"]
            author = users.create_user(
                session, username="manual", password="relevance-bench-password",
                department="Engineering", create_department=True,
            )  # fmt: skip
            ids: dict[str, str] = {}
            skipped: list[tuple[str, str]] = []
            for page in pages:
                try:
                    ids.update(dict.fromkeys(_publish(session, author, page), page.id))
                except ValidationError as refused:
                    session.rollback()
                    skipped.append((page.id, "; ".join(refused.fields.values()) or str(refused)))
            while indexing.process_outbox(session, index).rows:
                pass
            yield Wiki(backend, app, session, index, ids, skipped)
        finally:
            session.close()
            app.extensions["wiki.engine"].dispose()


def _publish(session: Any, author: Any, page: CorpusPage) -> list[str]:
    """Publish ``page``, or, when the wiki finds it too complex to show as one page, publish
    its sections as consecutive parts (what the wiki asks writers to do); return the slugs."""
    parts = [page.markdown] if _renders(page.markdown) else _split(page.markdown)
    for part in parts:  # a part the wiki refuses refuses the page, before any part is created
        page_rules.rendered(part)
    slugs = []
    for number, body in enumerate(parts, 1):
        title = page.title if len(parts) == 1 else f"{page.title} (part {number} of {len(parts)})"
        revision = proposals.create_page(
            session, author=author, title=title, body=body, publish=True
        )
        slugs.append(revision.page.slug)
    return slugs


def _split(markdown: str) -> list[str]:
    """Group the sections of ``markdown`` into as few parts as render within the wiki's limits
    (a section too complex on its own stays whole, and is refused)."""
    parts: list[str] = []
    for section in re.split(r"(?m)^(?=#{2,4} )", markdown):
        if parts and _renders(parts[-1] + section):
            parts[-1] += section
        elif section.strip():
            parts.append(section)
    return parts


def _renders(markdown: str) -> bool:
    try:
        page_rules.rendered(markdown)
    except ValidationError:
        return False
    return True


@contextmanager
def _database(backend: str, work: Path) -> Iterator[str]:
    """SQLite in ``work``, or a throwaway PostgreSQL database for the postgres backend."""
    if backend != "postgres":
        yield f"sqlite:///{work / f'{backend}.db'}"
        return
    server = os.environ.get(PG_URL_VARIABLE)
    if not server:
        raise SystemExit(
            f"--backend postgres needs {PG_URL_VARIABLE} (a server to make a throwaway database on)"
        )
    name = f"peerwiki_relevance_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# --- the baseline ---------------------------------------------------------------------------


class Baseline:
    """Plain Whoosh over the same texts: stemming, title boost, OR of the words, BM25F."""

    name = "Whoosh baseline"

    def __init__(
        self,
        documents: Iterable[SearchDocument],
        ids: dict[str, str],
        title_boost: float = TITLE_BOOSTS[0],
    ) -> None:
        from whoosh import fields
        from whoosh.analysis import StemmingAnalyzer
        from whoosh.filedb.filestore import RamStorage
        from whoosh.qparser import MultifieldParser, OrGroup

        schema = fields.Schema(
            id=fields.ID(stored=True),
            title=fields.TEXT(analyzer=StemmingAnalyzer()),
            body=fields.TEXT(analyzer=StemmingAnalyzer()),
        )
        self._index = RamStorage().create_index(schema)
        writer = self._index.writer()
        for document in documents:
            writer.add_document(id=ids[document.slug], title=document.title, body=document.body)
        writer.commit()
        self._parser = MultifieldParser(
            ["title", "body"], schema, fieldboosts={"title": title_boost}, group=OrGroup
        )
        self._searcher = self._index.searcher()

    def ranking(self, question: str) -> list[str]:
        """Corpus ids of the top results for the question's words (no query syntax)."""
        query = self._parser.parse(" ".join(_WORD.findall(question)))
        return [hit["id"] for hit in self._searcher.search(query, limit=DEPTH)]


# --- the run --------------------------------------------------------------------------------


@dataclass
class Run:
    """Each system's top results for each question."""

    questions: list[Question]
    rankings: dict[str, list[list[str]]]

    def ranks(self, system: str) -> list[int | None]:
        return [
            first_rank(ranked, q.answers)
            for q, ranked in zip(self.questions, self.rankings[system], strict=True)
        ]

    def table(self) -> str:
        """A Markdown table: one row per group of questions, three columns per system."""
        systems = list(self.rankings)
        header = ["questions", "n"] + [
            f"{s} {m}" for s in systems for m in ("s@1", "s@5", "MRR@10")
        ]
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        ranks = {system: self.ranks(system) for system in systems}
        for label, members in groups(self.questions):
            cells = [label, str(len(members))]
            for system in systems:
                scores = score([ranks[system][i] for i in members])
                cells += [
                    f"{scores.success_at_1:.2f}",
                    f"{scores.success_at_5:.2f}",
                    f"{scores.mrr_at_10:.3f}",
                ]
            lines.append("| " + " | ".join(cells) + " |")
        return "\n".join(lines)

    def verdicts(self, baseline: str) -> list[str]:
        """Where each Peerwiki backend stands against the baseline, over all questions."""
        base = score(self.ranks(baseline))
        lines = []
        for system in self.rankings:
            if system == baseline:
                continue
            mine = score(self.ranks(system))
            worse = [
                f"{name} {ours:.3f} vs {theirs:.3f}"
                for name, ours, theirs in (
                    ("success@5", mine.success_at_5, base.success_at_5),
                    ("MRR@10", mine.mrr_at_10, base.mrr_at_10),
                )
                if ours <= theirs
            ]
            lines.append(
                f"{system}: "
                + (
                    f"NOT above the baseline on {', '.join(worse)}"
                    if worse
                    else "beats the baseline on success@5 and MRR@10"
                )
            )
        return lines

    def misses(self) -> list[str]:
        """Every question some system does not answer first, with each system's rank and top 3."""
        lines = []
        ranks = {system: self.ranks(system) for system in self.rankings}
        for i, q in enumerate(self.questions):
            if all(ranks[system][i] == 1 for system in self.rankings):
                continue
            lines.append(f"#{q.id} [{q.form}, half {q.half}] {q.q!r} -> {', '.join(q.answers)}")
            for system, ranked in self.rankings.items():
                rank = ranks[system][i]
                lines.append(
                    f"    {system:<22} {'miss' if rank is None else f'rank {rank}':<8} top 3: {', '.join(ranked[i][:3]) or '(nothing)'}"
                )
        return lines

    def as_json(self) -> dict[str, Any]:
        return {
            "questions": [
                {**asdict(q), "half": q.half, **{s: {"rank": self.ranks(s)[i], "top": self.rankings[s][i]} for s in self.rankings}}
                for i, q in enumerate(self.questions)
            ],
            "scores": {
                system: {label: asdict(score([self.ranks(system)[i] for i in members])) for label, members in groups(self.questions)}
                for system in self.rankings
            },
        }  # fmt: skip


def evaluate(
    questions: Sequence[Question], systems: Mapping[str, Callable[[str], list[str]]]
) -> Run:
    """Ask every system every question."""
    return Run(
        list(questions),
        {name: [rank(q.q) for q in questions] for name, rank in systems.items()},
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", action="append", choices=("memory", "whoosh", "postgres"),
                        help="Peerwiki search backend to measure (repeatable; default: memory and whoosh)")  # fmt: skip
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "peerwiki-bench",
                        help="where the Debian package and its conversion are kept")  # fmt: skip
    parser.add_argument("--questions", type=Path, default=QUESTIONS)
    parser.add_argument(
        "--title-boost",
        type=float,
        nargs="+",
        default=list(TITLE_BOOSTS),
        help="the baseline's title boosts (the first is the table's baseline)",
    )
    parser.add_argument("--json", type=Path, help="also write every rank and score to this file")
    parser.add_argument("--verbose", action="store_true", help="list the questions a system misses")
    args = parser.parse_args()
    backends = args.backend or ["memory", "whoosh"]
    missing = [backend for backend in backends if backend not in BACKENDS]
    if missing:
        raise SystemExit(
            f"This Peerwiki has no {', '.join(missing)} search backend (it has {', '.join(BACKENDS)})."
        )
    questions = load_questions(args.questions)
    version, pages = corpus(args.cache)
    print(f"corpus: {PACKAGE} {version}, {len(pages)} pages converted; {len(questions)} questions")

    systems: dict[str, Callable[[str], list[str]]] = {}
    with (
        tempfile.TemporaryDirectory(prefix="peerwiki-relevance-") as work,
        _open_all(backends, pages, Path(work)) as wikis,
    ):
        first = wikis[0]
        for loaded in wikis:
            parts = Counter(loaded.ids.values())
            print(
                f"Peerwiki ({loaded.name}): {len(loaded.ids)} wiki pages hold {len(parts)} manual pages, "
                f"{len(loaded.skipped)} refused by the wiki"
            )
            for page_id, count in sorted(parts.items()):
                if count > 1:
                    print(f"    in {count} parts: {page_id}")
            for page_id, reason in loaded.skipped:
                print(f"    refused {page_id}: {reason}")
            systems[f"Peerwiki ({loaded.name})"] = loaded.ranking
        check_answers(questions, set(first.ids.values()))
        documents = first.documents()
        boosts = {
            f"title boost {boost:g}": Baseline(documents, first.ids, boost).ranking
            for boost in args.title_boost
        }
        systems[Baseline.name] = next(iter(boosts.values()))
        run = evaluate(questions, systems)
        boosted = evaluate(questions, boosts)
        shown = [loaded.answers(questions) for loaded in wikis]

    print()
    print(run.table())
    print()
    print("\n".join(shown))
    print()
    for line in run.verdicts(Baseline.name):
        print(line)
    print(f"\nThe baseline with other title boosts (the table's is {args.title_boost[0]:g}):\n")
    print(boosted.table())
    if args.verbose:
        print("\nQuestions not answered first by every system:")
        print("\n".join(run.misses()))
    if args.json:
        payload = {
            "corpus": {"package": PACKAGE, "version": version, "pages": len(pages)},
            **run.as_json(),
            "baseline_title_boosts": boosted.as_json()["scores"],
        }
        args.json.write_text(json.dumps(payload, indent=2), encoding="utf-8")
        print(f"\nwrote {args.json}")


@contextmanager
def _open_all(
    backends: Sequence[str], pages: Sequence[CorpusPage], work: Path
) -> Iterator[list[Wiki]]:
    """One loaded wiki per backend, open together so that one run asks them all."""
    with ExitStack() as stack:
        yield [stack.enter_context(wiki(backend, pages, work)) for backend in backends]


if __name__ == "__main__":
    main()
