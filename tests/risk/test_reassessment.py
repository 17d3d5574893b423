"""Reassessment suggested (8.2): a linked AI system changed significantly since the risk was assessed."""

from __future__ import annotations

from django.urls import reverse

from openaims.inventory.services import part_create, system_update
from openaims.risk.selectors import reassessment_suggested
from openaims.risk.services import risk_close, risk_update
from tests.risk.conftest import assess, make_risk, make_system

BASE = "/api/v1/orgs/acme"


def suggested(cast) -> set[str]:
    from openaims.risk.models import Risk

    flagged = Risk.objects.filter(organization=cast.org).filter(reassessment_suggested(cast.org))
    return {risk.title for risk in flagged}


def assessed_risk(cast, system, title="Biased credit decisions"):
    risk = make_risk(cast, title, systems=[system])
    assess(cast, risk, 3, 3)
    return risk


def test_it_suggests_nothing_while_the_linked_system_is_unchanged(cast):
    assessed_risk(cast, make_system(cast))
    assert suggested(cast) == set()


def test_a_changed_purpose_of_a_linked_system_suggests_reassessment(cast):
    system = make_system(cast)
    assessed_risk(cast, system)
    make_risk(cast, "Not assessed", systems=[system])
    system_update(actor=cast.users["owner"], system=system, purpose="Decides credit applications alone")
    assert suggested(cast) == {"Biased credit decisions"}  # an unassessed risk has nothing to reassess


def test_a_new_model_version_suggests_reassessment(cast):
    system = make_system(cast)
    assessed_risk(cast, system)
    part_create(actor=cast.users["owner"], system=system, kind="model", name="scorer", version="2.0")
    assert suggested(cast) == {"Biased credit decisions"}


def test_a_change_outside_the_significant_fields_suggests_nothing(cast):
    system = make_system(cast)
    assessed_risk(cast, system)
    system_update(actor=cast.users["owner"], system=system, name="Credit scoring v2")
    assert suggested(cast) == set()


def test_a_reassessment_clears_the_suggestion(cast):
    system = make_system(cast)
    risk = assessed_risk(cast, system)
    system_update(actor=cast.users["owner"], system=system, purpose="Something else")
    assess(cast, risk, 3, 2)
    assert suggested(cast) == set()


def test_a_closed_risk_is_never_suggested(cast):
    system = make_system(cast)
    risk = assessed_risk(cast, system)
    system_update(actor=cast.users["owner"], system=system, purpose="Something else")
    risk_close(actor=cast.users["owner"], risk=risk)
    assert suggested(cast) == set()


def test_a_system_linked_after_the_assessment_suggests_reassessment(cast):
    risk = assessed_risk(cast, make_system(cast))
    risk_update(actor=cast.users["owner"], risk=risk, systems=[make_system(cast, "Chatbot")])
    assert suggested(cast) == {"Biased credit decisions"}


def test_the_register_filters_and_flags_and_the_risk_page_says_which_system_changed(cast, client_for):
    system = make_system(cast)
    risk = assessed_risk(cast, system)
    assessed_risk(cast, make_system(cast, "Chatbot"), title="Hallucinated advice")
    system_update(actor=cast.users["owner"], system=system, intended_use="Automatic decisions")
    client = client_for(cast.users["viewer"])
    response = client.get(reverse("risk:register", args=["acme"]) + "?reassess=1")
    assert [r.title for r in response.context["page"].object_list] == ["Biased credit decisions"]
    assert 'data-testid="reassess-flag"' in response.content.decode()
    page = client.get(reverse("risk:risk", args=["acme", risk.pk])).content.decode()
    assert 'data-testid="reassessment-suggested"' in page and f"AIS-{system.number}" in page


def test_the_api_reports_and_filters_on_the_suggestion(cast, api_for):
    system = make_system(cast)
    risk = assessed_risk(cast, system)
    other = assessed_risk(cast, make_system(cast, "Chatbot"), title="Hallucinated advice")
    system_update(actor=cast.users["owner"], system=system, purpose="Sets interest rates")
    api = api_for(cast.users["viewer"], cast.org)
    listed = api.get(f"{BASE}/risks?reassess=true").json()["items"]
    assert [item["id"] for item in listed] == [risk.pk]
    assert api.get(f"{BASE}/risks/{risk.pk}").json()["reassessment_suggested"] is True
    assert api.get(f"{BASE}/risks/{other.pk}").json()["reassessment_suggested"] is False
