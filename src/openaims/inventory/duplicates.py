"""Possible duplicates in the AI system register: one system registered twice under close names (A.4.2).

`similar_systems` is asked while someone types a new entry, so it must stay fast for registers of
thousands of systems: one SQL query picks candidates that share one of the longest words of the name
or purpose (ranked by how many, name words counting double; at most `CANDIDATES`), and only those are
scored in Python.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from typing import NamedTuple

from django.db.models import Case, IntegerField, Q, Value, When

from openaims.inventory.models import AISystem

NAME_THRESHOLD = 0.75  # SequenceMatcher ratio of the normalised names
TOKEN_THRESHOLD = 0.6  # Jaccard index of the words of name and purpose together
CANDIDATES = 200
PREFILTER_TOKENS = 3

# Words that say nothing about which system is meant; left out of the word sets.
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "for",
        "from",
        "in",
        "into",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "our",
        "that",
        "the",
        "their",
        "this",
        "to",
        "we",
        "with",
        "system",
        "systems",
        "tool",
        "model",
        "ai",
    ]
)
_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


class Similar(NamedTuple):
    system: AISystem
    score: float
    reason: str


def tokens(text: str) -> list[str]:
    """Case-folded words, punctuation removed: "Credit-scoring Model!" → ["credit", "scoring", "model"]."""
    return [word for word in _NON_WORD.sub(" ", (text or "").casefold()).split() if word]


def normalise(text: str) -> str:
    return " ".join(tokens(text))


def _words(text: str) -> set[str]:
    return {word for word in tokens(text) if word not in STOPWORDS}


def _jaccard(a: set[str], b: set[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def name_similarity(a: str, b: str) -> float:
    a, b = normalise(a), normalise(b)
    if not a or not b:
        return 0.0
    if a.replace(" ", "") == b.replace(" ", ""):
        return 1.0  # "Chat bot" and "chatbot"
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


def _longest(text: str) -> list[str]:
    words = sorted({w for w in _words(text) if len(w) >= 3}, key=lambda w: (-len(w), w))
    return words[:PREFILTER_TOKENS]


def similar_systems(organization, name: str, purpose: str = "", *, exclude_pk=None, limit: int = 5) -> list[Similar]:
    """Registered systems whose name or purpose is close to these, best match first (one query at most)."""
    name, purpose = (name or "").strip(), (purpose or "").strip()
    # A shared word of the name counts twice a shared word of the purpose; the best-ranked
    # candidates are scored, so a common purpose word cannot push a same-named system out.
    terms = [("name", word, 2) for word in _longest(name)] + [("purpose", word, 1) for word in _longest(purpose)]
    if not terms:
        return []
    match = Q()
    whens = []
    for field, word, weight in terms:
        match |= Q(**{f"{field}__icontains": word})
        whens.append(
            Case(
                When(**{f"{field}__icontains": word}, then=Value(weight)),
                default=Value(0),
                output_field=IntegerField(),
            )
        )
    candidates = (
        AISystem.objects.for_organization(organization)
        .filter(match)
        .annotate(hits=sum(whens[1:], start=whens[0]))
        .order_by("-hits", "number")
        .only("pk", "number", "name", "purpose", "stage", "risk_class")
    )
    if exclude_pk is not None:
        candidates = candidates.exclude(pk=exclude_pk)

    new_words = _words(name) | _words(purpose)
    found = []
    for system in candidates[:CANDIDATES]:
        by_name = name_similarity(name, system.name)
        by_words = _jaccard(new_words, _words(system.name) | _words(system.purpose))
        reasons = []
        if by_name >= NAME_THRESHOLD:
            reasons.append("same name" if by_name == 1.0 else "similar name")
        if by_words >= TOKEN_THRESHOLD:
            reasons.append("similar purpose")
        if reasons:
            found.append(Similar(system, round(max(by_name, by_words), 2), " and ".join(reasons)))
    found.sort(key=lambda s: (-s.score, s.system.number))
    return found[:limit]
