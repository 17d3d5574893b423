"""Possible duplicates: close names or purposes are found, unrelated systems are not, and it stays fast."""

from __future__ import annotations

import time

import pytest

from openaims.inventory.duplicates import name_similarity, normalise, similar_systems
from openaims.inventory.models import AISystem
from tests.inventory.conftest import make_system


@pytest.fixture
def register(cast):
    return {
        "credit": make_system(cast, name="Credit scoring", purpose="Scores consumer credit applications"),
        "spam": make_system(cast, name="Spam filter", purpose="Filters junk e-mail", technique="rules"),
        "chat": make_system(cast, name="Chat bot", purpose="Answers customer questions", technique="llm"),
    }


def names(found) -> list[str]:
    return [s.system.name for s in found]


def test_it_normalises_case_and_punctuation():
    assert normalise("  Credit-Scoring MODEL! ") == "credit scoring model"
    assert name_similarity("Chat bot", "chatbot") == 1.0
    assert name_similarity("", "anything") == 0.0


@pytest.mark.parametrize(
    "name, purpose",
    [
        ("Credit-scoring model", ""),
        ("credit scoring", ""),
        ("CREDIT SCORING!", ""),
        ("Credit scorer", ""),
        ("Loan scoring", "Scores consumer credit applications"),  # the name alone is not close enough
    ],
)
def test_it_finds_a_close_match(cast, register, name, purpose):
    found = similar_systems(cast.org, name, purpose)
    assert names(found)[:1] == ["Credit scoring"]
    _system, score, reason = found[0]
    assert 0.6 <= score <= 1.0 and reason


@pytest.mark.parametrize(
    "name, purpose",
    [
        ("Spam detector for invoices", "Flags fraudulent supplier invoices"),
        ("Credit limit advisor", "Suggests card limits to account managers"),
        ("Invoice OCR", "Reads supplier invoices"),
        ("AI tool", ""),  # only words that say nothing
        ("", ""),
    ],
)
def test_it_leaves_unrelated_systems_out(cast, register, name, purpose):
    assert "Credit scoring" not in names(similar_systems(cast.org, name, purpose))


def test_it_tells_why_and_ranks_the_best_first(cast, register):
    make_system(cast, name="Credit scoring v2", purpose="Something else entirely")
    found = similar_systems(cast.org, "Credit scoring", "Scores consumer credit applications")
    assert names(found) == ["Credit scoring", "Credit scoring v2"]
    assert found[0].score == 1.0 and found[0].reason == "same name and similar purpose"
    assert found[1].reason == "similar name"


def test_it_sees_a_spam_filter_as_a_spam_filter_only(cast, register):
    assert names(similar_systems(cast.org, "Spam filter", "")) == ["Spam filter"]
    assert names(similar_systems(cast.org, "chatbot", "Answers customer questions")) == ["Chat bot"]


def test_it_leaves_out_the_system_being_edited_and_other_organizations(cast, register):
    make_system(cast, org=cast.other_org, name="Credit scoring")
    found = similar_systems(cast.org, "Credit scoring", "", exclude_pk=register["credit"].pk)
    assert found == []


def test_it_asks_nothing_of_the_database_without_words(cast, register, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert similar_systems(cast.org, "  ", "the a of") == []


def test_it_stays_fast_on_a_register_of_5000_systems(cast, django_assert_max_num_queries):
    owner = cast.users["owner"]
    words = ["fraud", "churn", "pricing", "routing", "forecast", "triage", "matching", "ranking", "vision", "speech"]
    AISystem.objects.bulk_create(
        [
            AISystem(
                organization=cast.org,
                number=n,
                name=f"{words[n % 10].capitalize()} {words[(n // 10) % 10]} engine {n}",
                purpose=f"Supports the {words[(n // 100) % 10]} team with {words[n % 7]} scores",
                role="provider",
                technique="ml",
                created_by=owner,
            )
            for n in range(1, 5001)
        ],
        batch_size=1000,
    )
    # Rows written past the services: start the number counter after them, as the migration does for old data.
    from django.apps import apps

    from openaims.tenancy.numbering import counters_from_existing

    counters_from_existing(apps, "inventory.AISystem", "ai_system")
    make_system(cast, name="Credit scoring", purpose="Scores consumer credit applications")

    started = time.perf_counter()
    with django_assert_max_num_queries(3):
        found = similar_systems(cast.org, "Credit-scoring model", "Scores consumer credit applications")
        crowded = similar_systems(cast.org, "Fraud churn engine", "Supports the pricing team")
    elapsed = time.perf_counter() - started

    assert names(found) == ["Credit scoring"]
    assert len(crowded) == 5  # many candidates share words; the best five come back
    assert elapsed < 3.0, f"two look-ups over 5,000 systems took {elapsed:.2f} s"
