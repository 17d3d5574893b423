"""A risk created from a high harm starts assessed from the harm's rating, recorded as derived (6.1.4, 8.2)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from openaims.impact.services import impact_add
from openaims.risk.criteria import default_criteria, map_by_rank
from openaims.risk.models import RiskAssessment, RiskStatus
from openaims.risk.services import risk_assess
from tests.impact.conftest import make_assessment

LONG = (
    "Patients who describe their symptoms in a language other than the one the model was trained on are "
    "systematically placed in a lower triage category, so that their treatment is delayed for hours"
)


def high_harm(cast, assessment, **values):
    fields = {
        "kind": "harm",
        "description": "A critically ill child is under-triaged",
        "severity": 4,
        "likelihood": 2,
        "reversibility": 3,
        "scale": 1,
    }
    return impact_add(actor=cast.users["contributor"], assessment=assessment, **(fields | values))


@pytest.mark.parametrize(
    ("value", "from_size", "to_size", "expected"),
    [(1, 4, 5, 1), (2, 4, 5, 2), (3, 4, 5, 4), (4, 4, 5, 5), (2, 3, 5, 3), (3, 3, 5, 5), (5, 5, 3, 3), (3, 5, 3, 2)],
)
def test_it_maps_a_scale_onto_another_by_rank(value, from_size, to_size, expected):
    assert map_by_rank(value, from_size, to_size) == expected


def test_a_risk_created_from_a_high_harm_starts_assessed_from_the_harms_rating(cast):
    assessment = make_assessment(cast)
    impact = high_harm(cast, assessment)
    risk = impact.risk
    risk.refresh_from_db()
    # Likelihood 2 of 4 → 2 of 5; severity 4 of 4 → 5 of 5 (irreversible: already the top); only individuals rated.
    assert risk.status == RiskStatus.ASSESSED
    assert (risk.inherent_likelihood, risk.inherent_consequence) == (2, 5)
    assert risk.inherent_consequences == {"individuals": 5}
    assert risk.inherent_level == default_criteria().level_key(2, 5) == "high"
    assert risk.derived_from.startswith(f"{assessment.ref} harm #{impact.pk}: severity 4")
    stored = RiskAssessment.objects.get(risk=risk)
    assert stored.derived_from == risk.derived_from and stored.residual_level == ""


def test_an_irreversible_harm_is_one_consequence_step_worse(cast):
    assessment = make_assessment(cast)
    reversible = high_harm(cast, assessment, severity=3, likelihood=3, reversibility=1, description="Reversible")
    irreversible = high_harm(cast, assessment, severity=3, likelihood=3, reversibility=3, description="Lasting")
    reversible.risk.refresh_from_db()
    irreversible.risk.refresh_from_db()
    assert reversible.risk.inherent_consequences == {"individuals": 4}
    assert irreversible.risk.inherent_consequences == {"individuals": 5}


def test_a_harm_to_society_rates_the_societies_dimension_too(cast):
    impact = high_harm(cast, make_assessment(cast), scale=3)
    impact.risk.refresh_from_db()
    assert impact.risk.inherent_consequences == {"individuals": 5, "societies": 5}


def test_a_normal_reassessment_replaces_the_derived_one(cast):
    risk = high_harm(cast, make_assessment(cast)).risk
    risk_assess(actor=cast.users["contributor"], risk=risk, inherent_likelihood=3, inherent_consequence=2)
    risk.refresh_from_db()
    assert risk.derived_from == "" and risk.inherent_consequences == dict.fromkeys(
        ["organization", "individuals", "societies"], 2
    )
    assert RiskAssessment.objects.filter(risk=risk).exclude(derived_from="").count() == 1  # the history keeps it


def test_it_never_cuts_the_title_mid_word_and_keeps_the_whole_harm_in_the_description(cast):
    risk = high_harm(cast, make_assessment(cast), description=LONG).risk
    assert risk.title.endswith("…") and len(risk.title) <= 120
    shown = risk.title.removeprefix("Impact on people: ").removesuffix("…")
    assert LONG.startswith(shown) and LONG[len(shown)] == " "
    assert LONG in risk.description


def test_a_short_harm_keeps_its_whole_title(cast):
    risk = high_harm(cast, make_assessment(cast)).risk
    assert risk.title == "Impact on people: A critically ill child is under-triaged"


def test_the_risk_page_and_the_api_say_the_assessment_is_derived(cast, client_for, api_for):
    assessment = make_assessment(cast)
    risk = high_harm(cast, assessment).risk
    page = client_for(cast.users["viewer"]).get(reverse("risk:risk", args=["acme", risk.pk])).content.decode()
    assert 'data-testid="derived-from"' in page and f"derived from {assessment.ref} harm #" in page
    body = api_for(cast.users["viewer"], cast.org).get(f"/api/v1/orgs/acme/risks/{risk.pk}").json()
    assert body["derived_from"].startswith(f"{assessment.ref} harm #")
    assert body["inherent"]["consequences"] == {"individuals": 5}
    assert body["assessments"][0]["derived_from"] == body["derived_from"]
