"""Life-cycle API: gate evaluation, transitions (409 listing what is missing, overrides) and the gate policy."""

from __future__ import annotations

from openaims.inventory.lifecycle.policy import gate_policy_for
from openaims.inventory.models import AISystem, GatePolicy, StageTransition
from openaims.inventory.services import system_update
from tests.inventory.test_gates import ready_for_design

BASE = "/api/v1/orgs/acme"
DESIGN_ITEMS = ["owners_assigned", "intended_use_documented", "classification_current"]


def test_it_evaluates_the_next_gate_and_every_stage(cast, api_for, system):
    response = api_for(cast.users["viewer"], cast.org).get(f"{BASE}/systems/{system.pk}/gates")
    assert response.status_code == 200
    body = response.json()
    assert body["stage"] == {"key": "inception", "label": "Inception"}
    assert body["next_stage"]["key"] == "design_development"
    assert body["next_gate"]["ready"] is False
    assert [m["key"] for m in body["next_gate"]["missing"]] == DESIGN_ITEMS
    assert [g["stage"] for g in body["gates"]] == [
        "design_development",
        "verification_validation",
        "deployment",
        "operation_monitoring",
        "retirement",
    ]
    assert body["gates"][-1] == {
        "stage": "retirement",
        "label": "Retirement",
        "ready": True,
        "items": [],
        "missing": [],
    }
    assert body["can_override"] is False


def test_a_refused_transition_answers_409_listing_the_missing_items(cast, api_for, system):
    response = api_for(cast.users["owner"], cast.org).post(
        f"{BASE}/systems/{system.pk}/transition", json={"to_stage": "design_development"}
    )
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "gate_refused"
    assert [m["key"] for m in error["missing"]] == DESIGN_ITEMS
    assert error["missing"][2] == {
        "key": "classification_current",
        "label": "Classification current",
        "detail": "Not classified under the EU AI Act yet.",
    }
    for label in ("Owners assigned", "Intended use documented", "Classification current"):
        assert label in error["message"]
    assert len(error["details"]) == 3
    assert AISystem.objects.get(pk=system.pk).stage == "inception"


def test_the_owner_overrides_through_the_api(cast, api_for, system):
    response = api_for(cast.users["owner"], cast.org).post(
        f"{BASE}/systems/{system.pk}/transition",
        json={"to_stage": "design_development", "override_reason": "Pilot approved by the board"},
    )
    assert response.status_code == 201
    body = response.json()
    assert body["overridden"] is True and body["override_reason"] == "Pilot approved by the board"
    assert [m["key"] for m in body["missing"]] == DESIGN_ITEMS
    assert body["actor"] == "alice" and (body["from_stage"], body["to_stage"]) == ("inception", "design_development")

    listed = api_for(cast.users["auditor"], cast.org).get(f"{BASE}/systems/{system.pk}/transitions").json()
    assert listed["count"] == 1 and listed["items"][0]["id"] == body["id"]


def test_a_manager_may_not_override(cast, api_for, system):
    response = api_for(cast.users["manager"], cast.org).post(
        f"{BASE}/systems/{system.pk}/transition", json={"to_stage": "design_development", "override_reason": "Go"}
    )
    assert response.status_code == 403 and response.json()["error"]["code"] == "forbidden"
    assert not StageTransition.objects.exists()


def test_a_business_owner_with_a_contributor_role_may_override(cast, api_for, system):
    system_update(actor=cast.users["owner"], system=system, business_owner=cast.users["contributor"])
    client = api_for(cast.users["contributor"], cast.org)
    assert client.get(f"{BASE}/systems/{system.pk}/gates").json()["can_override"] is True
    response = client.post(
        f"{BASE}/systems/{system.pk}/transition", json={"to_stage": "design_development", "override_reason": "Mine"}
    )
    assert response.status_code == 201 and response.json()["overridden"] is True


def test_an_owners_narrower_token_may_not_override(cast, api_for, system):
    response = api_for(cast.users["owner"], cast.org, role="contributor").post(
        f"{BASE}/systems/{system.pk}/transition", json={"to_stage": "design_development", "override_reason": "Go"}
    )
    assert response.status_code == 403


def test_a_move_that_meets_the_gate_answers_201(cast, api_for):
    system = ready_for_design(cast)
    response = api_for(cast.users["contributor"], cast.org).post(
        f"{BASE}/systems/{system.pk}/transition", json={"to_stage": "design_development"}
    )
    assert response.status_code == 201
    assert response.json()["overridden"] is False and response.json()["missing"] == []


def test_a_skipped_or_unknown_stage_is_a_400(cast, api_for, system):
    client = api_for(cast.users["owner"], cast.org)
    for stage in ("deployment", "launch", "inception"):
        response = client.post(f"{BASE}/systems/{system.pk}/transition", json={"to_stage": stage})
        assert response.status_code == 400, stage
        assert response.json()["error"]["details"][0]["field"] == "to_stage"


def test_another_organizations_system_is_a_404(cast, api_for):
    from tests.inventory.conftest import make_system

    theirs = make_system(cast, org=cast.other_org)
    client = api_for(cast.users["owner"], cast.org)
    assert client.get(f"{BASE}/systems/{theirs.pk}/gates").status_code == 404
    response = client.post(f"{BASE}/systems/{theirs.pk}/transition", json={"to_stage": "retirement"})
    assert response.status_code == 404
    assert AISystem.objects.get(pk=theirs.pk).stage == "inception"


def test_it_reads_and_sets_the_policy(cast, api_for):
    client = api_for(cast.users["manager"], cast.org)
    body = client.get(f"{BASE}/lifecycle/policy").json()
    assert body["stages"][0] == {
        "stage": "design_development",
        "label": "Design & development",
        "items": DESIGN_ITEMS,
        "conditions": {},
    }
    assert {i["key"] for i in body["available_items"]} >= {"owners_assigned", "technical_documentation_present"}

    response = client.request(
        "PUT", f"{BASE}/lifecycle/policy", json={"items": {"design_development": ["owners_assigned"]}}
    )
    assert response.status_code == 200
    assert response.json()["stages"][0]["items"] == ["owners_assigned"]
    assert response.json()["stages"][2] == {"stage": "deployment", "label": "Deployment", "items": [], "conditions": {}}
    assert gate_policy_for(cast.org)["design_development"] == ["owners_assigned"]


def test_a_policy_with_an_unknown_item_is_a_400(cast, api_for):
    response = api_for(cast.users["owner"], cast.org).request(
        "PUT", f"{BASE}/lifecycle/policy", json={"items": {"deployment": ["nope"]}}
    )
    assert response.status_code == 400 and "unknown gate item(s) nope" in response.json()["error"]["message"]
    assert not GatePolicy.objects.exists()
