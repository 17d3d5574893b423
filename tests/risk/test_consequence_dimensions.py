"""Consequences rated for the organization, for individuals and for societies (ISO/IEC 42001 6.1.2 d) 1))."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.urls import reverse

from openaims.lib.errors import ServiceError
from openaims.risk.criteria import CriteriaData, default_criteria, parse_criteria
from openaims.risk.models import Risk, RiskAcceptance, RiskAssessment
from openaims.risk.services import risk_accept, risk_assess
from tests.risk.conftest import assess, make_risk

DIMENSIONS = ["organization", "individuals", "societies"]
BASE = "/api/v1/orgs/acme"


def test_the_default_criteria_word_the_consequence_scale_for_each_dimension():
    data = default_criteria()
    assert data.dimension_keys == DIMENSIONS
    for dimension in data.consequence_dimensions:
        assert [w.value for w in dimension.scale] == [1, 2, 3, 4, 5] and all(w.description for w in dimension.scale)


def test_criteria_stored_before_dimensions_read_as_the_three_worded_like_their_single_scale():
    legacy = default_criteria().as_json()
    del legacy["consequence_dimensions"]
    data = CriteriaData.model_validate(legacy)
    assert data.dimension_keys == DIMENSIONS
    assert all(d.scale == data.consequence for d in data.consequence_dimensions)


def test_it_refuses_criteria_whose_dimension_does_not_word_every_consequence_value():
    content = default_criteria().as_json()
    content["consequence_dimensions"][1]["scale"] = content["consequence_dimensions"][1]["scale"][:4]
    with pytest.raises(ServiceError, match="individuals"):
        parse_criteria(content)


def test_the_level_comes_from_the_highest_consequence_of_the_dimensions(cast):
    risk = make_risk(cast)
    risk_assess(
        actor=cast.users["contributor"],
        risk=risk,
        inherent_likelihood=3,
        inherent_consequences={"organization": 1, "individuals": 5, "societies": 2},
    )
    risk.refresh_from_db()
    assert risk.inherent_consequence == 5 and risk.inherent_level == "high"
    assert risk.inherent_consequences == {"organization": 1, "individuals": 5, "societies": 2}
    assert RiskAssessment.objects.get(risk=risk).inherent_consequences == risk.inherent_consequences


def test_one_consequence_holds_for_every_dimension(cast):
    risk = make_risk(cast)
    assess(cast, risk, 2, 3, "retain")
    risk.refresh_from_db()
    assert risk.inherent_consequences == risk.residual_consequences == dict.fromkeys(DIMENSIONS, 3)


@pytest.mark.parametrize(
    ("consequences", "field"),
    [
        ({"organization": 2, "individuals": 3}, "inherent_consequence_societies"),
        ({"organization": 2, "individuals": 3, "societies": 9}, "inherent_consequence_societies"),
        ({"organization": 2, "individuals": 3, "societies": 1, "planet": 2}, "inherent_consequence"),
    ],
)
def test_it_refuses_a_missing_unknown_or_out_of_scale_dimension(cast, consequences, field):
    risk = make_risk(cast)
    with pytest.raises(ServiceError) as exc:
        risk_assess(
            actor=cast.users["contributor"], risk=risk, inherent_likelihood=2, inherent_consequences=consequences
        )
    assert exc.value.field == field
    risk.refresh_from_db()
    assert not risk.has_inherent and not RiskAssessment.objects.exists()


def test_an_acceptance_keeps_the_residual_consequence_per_dimension(cast):
    risk = make_risk(cast, owner=cast.users["manager"])
    risk_assess(
        actor=cast.users["contributor"],
        risk=risk,
        inherent_likelihood=3,
        inherent_consequence=4,
        treatment_option="modify",
        residual_likelihood=2,
        residual_consequences={"organization": 2, "individuals": 3, "societies": 1},
    )
    risk_accept(actor=cast.users["manager"], risk=risk)
    acceptance = RiskAcceptance.objects.get(risk=risk)
    assert acceptance.residual_consequences == {"organization": 2, "individuals": 3, "societies": 1}
    assert acceptance.residual_consequence == 3


def test_the_api_takes_and_returns_a_consequence_per_dimension(cast, api_for):
    risk = make_risk(cast)
    api = api_for(cast.users["contributor"], cast.org)
    response = api.post(
        f"{BASE}/risks/{risk.pk}/assessments",
        json={"inherent_likelihood": 4, "inherent_consequences": {"organization": 1, "individuals": 2, "societies": 4}},
    )
    assert response.status_code == 201, response.content
    assert response.json()["inherent"] == {
        "likelihood": 4,
        "consequence": 4,
        "consequences": {"organization": 1, "individuals": 2, "societies": 4},
        "level": "high",
    }
    assert Risk.objects.get(pk=risk.pk).inherent_level == "high"


def test_the_api_refuses_a_missing_dimension_with_the_one_error_shape(cast, api_for):
    risk = make_risk(cast)
    response = api_for(cast.users["contributor"], cast.org).post(
        f"{BASE}/risks/{risk.pk}/assessments",
        json={"inherent_likelihood": 4, "inherent_consequences": {"organization": 1}},
    )
    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["field"] == "inherent_consequence_individuals"
    assert not Risk.objects.get(pk=risk.pk).has_inherent


def test_the_form_rates_each_dimension_and_shows_them_on_the_risk_page(cast, client_for):
    risk = make_risk(cast)
    client = client_for(cast.users["contributor"])
    response = client.post(
        reverse("risk:assess", args=["acme", risk.pk]),
        {
            "inherent_likelihood": "2",
            "inherent_consequence_organization": "1",
            "inherent_consequence_individuals": "4",
            "inherent_consequence_societies": "2",
        },
    )
    assert response.status_code == 302 and response["Location"].endswith("#scores")
    risk.refresh_from_db()
    assert risk.inherent_consequences == {"organization": 1, "individuals": 4, "societies": 2}
    page = client.get(reverse("risk:risk", args=["acme", risk.pk])).content.decode()
    assert 'data-testid="consequences"' in page and "For individuals" in page and "4 Major" in page


def test_the_form_refuses_a_dimension_left_unrated_on_the_page(cast, client_for):
    risk = make_risk(cast)
    response = client_for(cast.users["contributor"]).post(
        reverse("risk:assess", args=["acme", risk.pk]),
        {"inherent_likelihood": "2", "inherent_consequence_organization": "1", "inherent_consequence_individuals": "4"},
    )
    assert response.status_code == 400
    assert "rate the inherent consequence for societies" in response.content.decode()
    assert not Risk.objects.get(pk=risk.pk).has_inherent


def test_the_criteria_page_lists_each_dimension_with_its_wording(cast, client_for):
    page = client_for(cast.users["viewer"]).get(reverse("risk:criteria", args=["acme"])).content.decode()
    assert 'data-testid="consequence-dimensions"' in page and "For societies" in page
    assert default_criteria().dimension("societies").scale[4].description in page


def test_the_migration_gives_an_earlier_single_consequence_to_every_dimension(cast):
    risk = make_risk(cast, owner=cast.users["manager"])
    assess(cast, risk, 3, 4, "modify", 2, 2)
    risk_accept(actor=cast.users["manager"], risk=risk)
    # As the rows stood before the migration: one consequence, no dimensions.
    Risk.objects.update(inherent_consequences={}, residual_consequences={})
    RiskAssessment.objects.update(inherent_consequences={}, residual_consequences={})
    RiskAcceptance.objects.update(residual_consequences={})
    migration = importlib.import_module("openaims.risk.migrations.0003_consequence_dimensions")
    migration.spread_consequences(apps, None)
    risk.refresh_from_db()
    assert risk.inherent_consequences == dict.fromkeys(DIMENSIONS, 4)
    assert risk.residual_consequences == dict.fromkeys(DIMENSIONS, 2)
    assert RiskAssessment.objects.get().inherent_consequences == dict.fromkeys(DIMENSIONS, 4)
    assert RiskAcceptance.objects.get().residual_consequences == dict.fromkeys(DIMENSIONS, 2)
