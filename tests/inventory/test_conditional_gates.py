"""Gate items asked only of some systems (risk class), and the default asking high-risk systems for an approved
impact assessment and accepted residual risks before Deployment (42001 6.1.3 f, 6.1.4, A.6.2)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from openaims.inventory.lifecycle.evaluation import evaluate_gate
from openaims.inventory.lifecycle.policy import default_only_items, gate_policy_for, gate_policy_update
from openaims.inventory.lifecycle.transitions import GateRefused, system_transition
from openaims.inventory.models import AISystem
from openaims.lib.errors import ServiceError
from openaims.risk.services import risk_accept, risk_assess, risk_create
from tests.impact.conftest import approved, make_system

BASE = "/api/v1/orgs/acme"
HIGH_ONLY = {"risk_class": ["high_risk"]}
HIGH_RISK_ITEMS = {"impact_assessment_approved", "risks_assessed_accepted"}


def with_class(system, risk_class: str) -> AISystem:
    # The classification wizard is not what these tests are about: set the outcome it would store.
    AISystem.objects.filter(pk=system.pk).update(risk_class=risk_class)
    return AISystem.objects.get(pk=system.pk)


def deployment_gate(system):
    return evaluate_gate(system, "deployment")


def test_the_default_asks_a_high_risk_system_for_an_approved_impact_assessment_and_accepted_risks(cast):
    system = with_class(make_system(cast), "high_risk")
    missing = {item["key"] for item in deployment_gate(system).missing}
    assert missing >= HIGH_RISK_ITEMS


def test_the_high_risk_items_are_not_required_of_other_systems(cast):
    system = with_class(make_system(cast), "minimal")
    gate = deployment_gate(system)
    assert not HIGH_RISK_ITEMS & {item["key"] for item in gate.missing}
    shown = {item.key: item for item in gate.items}
    assert not shown["impact_assessment_approved"].applies
    assert shown["impact_assessment_approved"].detail == "Only for high-risk systems: not required for this system."


def test_a_high_risk_system_passes_them_with_the_impact_approved_and_its_risks_accepted(cast):
    system = with_class(make_system(cast), "high_risk")
    approved(cast, system)
    risk = risk_create(
        actor=cast.tenant("contributor"),
        title="Under-triage",
        owner=cast.users["manager"],
        systems=[system],
    )
    risk_assess(
        actor=cast.tenant("contributor"),
        risk=risk,
        inherent_likelihood=3,
        inherent_consequence=3,
        treatment_option="modify",
        residual_likelihood=1,
        residual_consequence=2,
    )
    risk_accept(actor=cast.tenant("manager"), risk=risk)
    missing = {item["key"] for item in deployment_gate(AISystem.objects.get(pk=system.pk)).missing}
    assert not HIGH_RISK_ITEMS & missing


def test_a_transition_of_a_high_risk_system_is_refused_naming_the_high_risk_items(cast):
    system = with_class(make_system(cast), "high_risk")
    for stage in ("design_development", "verification_validation"):
        system_transition(actor=cast.tenant("owner"), system=system, to_stage=stage, override_reason="Setup")
    with pytest.raises(GateRefused) as refused:
        system_transition(actor=cast.tenant("owner"), system=system, to_stage="deployment")
    assert {item["key"] for item in refused.value.missing} >= HIGH_RISK_ITEMS
    assert AISystem.objects.get(pk=system.pk).stage == "verification_validation"


def test_a_policy_entry_sets_keeps_and_removes_a_condition(cast):
    owner = cast.tenant("owner")
    when = {"risk_class": ["high_risk", "limited_risk"]}
    policy = gate_policy_update(actor=owner, items={"design_development": [{"item": "owners_assigned", "when": when}]})
    assert policy.when("design_development", "owners_assigned") == when
    kept = gate_policy_update(actor=owner, items={"design_development": ["owners_assigned", "oversight_defined"]})
    assert kept.when("design_development", "owners_assigned") == when
    assert gate_policy_for(cast.org).when("design_development", "owners_assigned") == when
    removed = gate_policy_update(actor=owner, items={"design_development": [{"item": "owners_assigned", "when": {}}]})
    assert removed.when("design_development", "owners_assigned") == {}


@pytest.mark.parametrize(
    ("when", "message"),
    [({"stage": ["deployment"]}, "may depend on risk_class"), ({"risk_class": ["very_high"]}, "not very_high")],
)
def test_it_refuses_a_condition_on_an_unknown_field_or_value(cast, when, message):
    with pytest.raises(ServiceError, match=message):
        gate_policy_update(
            actor=cast.tenant("owner"),
            items={"deployment": [{"item": "owners_assigned", "when": when}]},
        )
    assert not default_only_items(cast.org)  # nothing was saved: the organization still follows the default


def test_a_saved_policy_keeps_its_items_and_is_told_what_the_default_asks_for_more(cast, client_for):
    gate_policy_update(actor=cast.tenant("owner"), items={"deployment": ["not_prohibited"]})
    assert gate_policy_for(cast.org)["deployment"] == ["not_prohibited"]
    more = {(d["stage"], d["key"]) for d in default_only_items(cast.org)}
    assert {("deployment", "impact_assessment_approved"), ("deployment", "risks_assessed_accepted")} <= more
    page = client_for(cast.users["viewer"]).get(reverse("inventory:lifecycle_policy", args=["acme"]))
    assert 'data-testid="default-only"' in page.content.decode()


def test_the_policy_page_shows_the_condition(cast, client_for):
    page = client_for(cast.users["viewer"]).get(reverse("inventory:lifecycle_policy", args=["acme"])).content.decode()
    assert 'data-testid="condition-deployment-impact_assessment_approved"' in page
    assert "Only for high-risk systems" in page


def test_saving_the_policy_page_keeps_the_conditions(cast, client_for):
    policy = gate_policy_for(cast.org)
    data = {f"gate-{stage}": keys for stage, keys in policy.items()} | {"revision": policy.revision}
    response = client_for(cast.users["manager"]).post(reverse("inventory:lifecycle_policy", args=["acme"]), data)
    assert response.status_code == 302
    saved = gate_policy_for(cast.org)
    assert saved.when("deployment", "risks_assessed_accepted") == {"risk_class": ["high_risk"]}
    assert not default_only_items(cast.org)


def test_the_api_sets_and_shows_conditions(cast, api_for):
    client = api_for(cast.users["manager"], cast.org)
    response = client.request(
        "PUT",
        f"{BASE}/lifecycle/policy",
        json={
            "items": {
                "deployment": ["not_prohibited", {"item": "owners_assigned", "when": {"risk_class": ["high_risk"]}}]
            }
        },
    )
    assert response.status_code == 200, response.content
    deployment = next(s for s in response.json()["stages"] if s["stage"] == "deployment")
    assert deployment["conditions"] == {"owners_assigned": {"risk_class": ["high_risk"]}}
    system = with_class(make_system(cast), "minimal")
    body = client.get(f"{BASE}/systems/{system.pk}/gates").json()
    item = next(
        i for g in body["gates"] if g["stage"] == "deployment" for i in g["items"] if i["key"] == "owners_assigned"
    )
    assert (item["applies"], item["condition"]) == (False, "Only for high-risk systems")
    refused = client.request(
        "PUT",
        f"{BASE}/lifecycle/policy",
        json={"items": {"deployment": [{"item": "owners_assigned", "when": {"risk_class": ["nope"]}}]}},
    )
    assert refused.status_code == 400 and "nope" in refused.json()["error"]["message"]
