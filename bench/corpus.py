"""Deterministic generator of realistic wiki pages for benchmarks and relevance tests."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import accumulate

DEPARTMENTS = ["Engineering", "Finance", "People", "Operations", "Sales", "Legal", "Support"]
TOPICS = {
    # Subjects other than the starter pages', so the relevance test measures ranking, not luck.
    "Engineering": ["deployment pipelines", "code ownership", "feature flags", "API versioning", "load testing",
                    "dependency upgrades", "structured logging", "database indexing", "cache invalidation", "release trains"],
    "Finance": ["purchase orders", "invoice approval", "corporate cards", "quarter close", "vendor payments",
                "revenue recognition", "payroll corrections", "audit evidence", "tax registrations", "petty cash"],
    "People": ["performance calibration", "hiring interviews", "promotion process", "learning budget", "remote work allowance",
               "relocation support", "referral bonus", "exit interviews", "team offsites", "employee surveys"],
    "Operations": ["meeting rooms", "shipping equipment", "vendor contracts", "facility requests", "printer setup",
                   "parking permits", "visitor policy", "desk booking", "mail room", "fire drills"],
    "Sales": ["lead qualification", "discount approval", "CRM hygiene", "demo scripts", "renewals",
              "pricing questions", "territory planning", "proposal templates", "win reviews", "pipeline review"],
    "Legal": ["contract review", "NDA requests", "data protection", "trademark questions", "policy exceptions",
              "signature authority", "open source licences", "retention schedule", "export control", "privacy notices"],
    "Support": ["ticket triage", "escalation paths", "refund requests", "status page", "customer tone",
                "knowledge articles", "SLA targets", "bug reports", "macro replies", "shift handover"],
}  # fmt: skip
VERBS = [
    "request",
    "approve",
    "prepare",
    "review",
    "submit",
    "track",
    "escalate",
    "plan",
    "document",
    "check",
]
NOUNS = ["form", "owner", "deadline", "checklist", "template", "channel", "ticket", "budget", "policy",
         "manager", "tool", "report", "calendar", "account", "approval", "handbook", "record", "team"]  # fmt: skip
FILLER = ["first", "always", "before", "after", "each", "quarter", "week", "clearly", "together", "carefully",
          "shared", "written", "current", "simple", "relevant", "specific", "short", "useful", "common", "new"]  # fmt: skip


@dataclass(frozen=True)
class GeneratedPage:
    """One generated page."""

    title: str
    body: str
    tags: list[str]
    department: str
    topic: str


def _vocabulary(size: int = 6000, seed: int = 3) -> list[str]:
    """Real workplace words first, then pronounceable made-up ones, most common first."""
    rng = random.Random(seed)
    onsets, vowels, codas = (
        "b c d f g h k l m n p r s t v w z br ch cl cr dr fl gr pl pr sh st tr".split(),
        "a e i o u ai ea ou".split(),
        "n r s t l m nd st rk".split(),
    )
    made_up = {
        "".join(rng.choice(onsets) + rng.choice(vowels) for _ in range(rng.randint(1, 3)))
        + rng.choice(codas)
        + "q"  # keeps made-up words from colliding with real words and their typos
        for _ in range(size * 2)
    }
    return FILLER + NOUNS + VERBS + sorted(made_up)[:size]


_VOCABULARY = _vocabulary()
#: Zipf-like word frequencies, as in real text: a few words everywhere, most words rare.
_WEIGHTS = [1 / rank for rank in range(1, len(_VOCABULARY) + 1)]
#: The same, summed once: ``choices`` would sum 6,000 weights for every sentence (same words).
_CUM_WEIGHTS = list(accumulate(_WEIGHTS))


def _sentence(rng: random.Random, topic: str) -> str:
    words = [rng.choice(VERBS), "the", rng.choice(NOUNS)]
    words.extend(rng.choices(_VOCABULARY, cum_weights=_CUM_WEIGHTS, k=rng.randint(6, 12)))
    if rng.random() < 0.12:  # a topic is named now and then, as in real writing
        words.insert(rng.randint(0, len(words)), topic)
    return " ".join(words).capitalize() + "."


def generate(count: int, *, seed: int = 7, words: int = 400) -> Iterator[GeneratedPage]:
    """Yield ``count`` pages of about ``words`` words, with titles, headings, tags and departments."""
    rng = random.Random(seed)
    for number in range(1, count + 1):
        department = DEPARTMENTS[number % len(DEPARTMENTS)]
        topic = rng.choice(TOPICS[department])
        verb = rng.choice(VERBS)
        title = f"How to {verb} {topic} ({department} guide {number})"
        sections = []
        written = 0
        for heading in (
            "Why it matters",
            f"Steps to {verb} {topic}",
            "Common mistakes",
            "Who to ask",
        ):
            paragraph = []
            while sum(len(s.split()) for s in paragraph) < words // 4:
                paragraph.append(_sentence(rng, topic))
            written += sum(len(s.split()) for s in paragraph)
            sections.append(f"## {heading}\n\n" + " ".join(paragraph))
        tags = sorted({topic.split()[0].lower(), department.lower(), rng.choice(NOUNS)})
        body = f"# {title}\n\n" + "\n\n".join(sections) + "\n"
        yield GeneratedPage(title=title, body=body, tags=tags, department=department, topic=topic)
