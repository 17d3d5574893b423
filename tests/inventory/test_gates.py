"""Life-cycle gates (A.6.2): each gate item's check, the gate policy and the transition service.

`ready_for_design`, `fully_documented` and `classify` build data for test_gates_web / test_gates_api too.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from openaims.audittrail.models import AuditEvent
from openaims.inventory.card import card_publish
from openaims.inventory.classification.service import classification_record
from openaims.inventory.lifecycle.evaluation import evaluate_gate, evaluate_systems
from openaims.inventory.lifecycle.items import GateResult, _items, get_item, register_item
from openaims.inventory.lifecycle.policy import gate_policy_for, gate_policy_update
from openaims.inventory.lifecycle.transitions import GateRefused, system_transition
from openaims.inventory.models import AISystem, Dataset, GatePolicy, StageTransition
from openaims.inventory.services import part_create, part_update, supplier_create, system_update
from openaims.inventory.vocabulary import lifecycle
from openaims.lib.errors import Forbidden, ServiceError
from openaims.tenancy.models import Tenant
from openaims.tenancy.selectors import tenant_of
from openaims.tenancy.services import api_token_create
from tests.inventory.conftest import add_model, make_system
from tests.inventory.matrix_classification import load_eu_ai_act

PROHIBITED = "urn:openaims:eu-ai-act:art-5.1.a"


def classify(cast, system, **answers):
    """Classify through the wizard's service (loads the EU AI Act catalog once per test database)."""
    load_eu_ai_act()
    classification_record(actor=cast.tenant("owner"), system=system, answers=answers)
    return AISystem.objects.get(pk=system.pk)


def ready_for_design(cast, system=None, **values):
    """A system that meets every default item of the design & development gate."""
    system = system or make_system(cast, **values)
    system = system_update(
        actor=cast.tenant("owner"),
        system=system,
        affected_persons="Loan applicants",
        business_owner=cast.users["owner"],
        technical_owner=cast.users["contributor"],
    )
    return classify(cast, system)


def fresh(system) -> AISystem:
    return AISystem.objects.get(pk=system.pk)


def check(key, system) -> GateResult:
    return get_item(key).check(fresh(system))


def move(cast, system, to_stage, who="owner", reason=""):
    return system_transition(actor=cast.tenant(who), system=system, to_stage=to_stage, override_reason=reason)


def events(system, action):
    return list(AuditEvent.objects.filter(object_type="inventory.aisystem", object_id=str(system.pk), action=action))


@pytest.fixture
def temporary_item():
    """Register items for one test and forget them afterwards."""
    replaced = {}

    def register(key, ok=True, detail="checked"):
        replaced.setdefault(key, get_item(key))
        register_item(key, key.replace("_", " ").title(), lambda system: GateResult(ok, detail))

    yield register
    for key, previous in replaced.items():
        # An app's real item stands in again (the shipped default policy names some of them).
        if previous is None:
            _items.pop(key, None)
        else:
            _items[key] = previous


# ------------------------------------------------------------------------------------ each item's check


def test_it_asks_for_both_owners(cast, system):
    result = check("owners_assigned", system)
    assert not result.ok and "business owner" in result.detail and "technical owner" in result.detail
    system_update(actor=cast.tenant("owner"), system=system, business_owner=cast.users["manager"])
    result = check("owners_assigned", system)
    assert not result.ok and "technical owner" in result.detail and "business" not in result.detail
    system_update(actor=cast.tenant("owner"), system=fresh(system), technical_owner=cast.users["contributor"])
    assert check("owners_assigned", system).ok


def test_it_asks_for_the_intended_use_and_the_affected_persons(cast):
    system = make_system(cast, intended_use="")
    result = check("intended_use_documented", system)
    assert not result.ok and "Intended use and affected persons" in result.detail
    system_update(actor=cast.tenant("owner"), system=system, intended_use="Assist officers")
    assert check("intended_use_documented", system).detail == "Affected persons not described."
    system_update(actor=cast.tenant("owner"), system=fresh(system), affected_persons="Applicants")
    assert check("intended_use_documented", system).ok


def test_it_asks_for_a_current_classification(cast, system):
    assert check("classification_current", system) == GateResult(False, "Not classified under the EU AI Act yet.")
    system = classify(cast, system)
    assert check("classification_current", system).ok
    system_update(actor=cast.tenant("owner"), system=system, purpose="Scores credit and sets limits")
    result = check("classification_current", system)
    assert not result.ok and "classify again" in result.detail


def test_it_blocks_only_a_prohibited_classification(cast, system):
    assert check("not_prohibited", system).ok, "an unclassified system passes; classification_current asks for one"
    assert check("not_prohibited", classify(cast, system)).ok
    result = check("not_prohibited", classify(cast, system, prohibited_practices=[PROHIBITED]))
    assert not result.ok and "prohibited" in result.detail


def test_it_asks_for_a_registered_model(cast, system):
    assert check("models_registered", system) == GateResult(False, "No model registered for the system.")
    add_model(cast, system)
    assert check("models_registered", system) == GateResult(True, "1 model registered.")


def test_it_asks_for_documented_datasets(cast, system):
    owner = cast.users["owner"]
    assert check("datasets_documented", system) == GateResult(False, "No dataset documented for the system.")
    part_create(actor=tenant_of(owner), system=system, kind="dataset", name="Loans 2023", source="Core banking")
    part_create(
        actor=tenant_of(owner),
        system=system,
        kind="dataset",
        name="Bureau",
        source="Bureau",
        provenance="Contract",
        quality_checks="x",
    )
    result = check("datasets_documented", system)
    assert not result.ok
    assert result.detail == "1 of 2 datasets incomplete: Loans 2023 (no provenance, no quality checks)."
    dataset = Dataset.objects.get(name="Loans 2023")
    part_update(
        actor=tenant_of(owner), part=dataset, provenance="Export of 2024-01", quality_checks="Completeness report"
    )
    assert check("datasets_documented", system).ok


def test_it_asks_every_component_for_its_supplier_and_responsibilities(cast, system):
    owner = cast.users["owner"]
    assert check("suppliers_documented", system) == GateResult(True, "No third-party components.")
    component = part_create(actor=tenant_of(owner), system=system, kind="component", name="OCR API")
    result = check("suppliers_documented", system)
    assert not result.ok and "OCR API (no supplier, no responsibilities)" in result.detail
    supplier = supplier_create(actor=tenant_of(owner, cast.org), name="Vision Inc")
    part_update(actor=tenant_of(owner), part=component, supplier=supplier)
    assert "OCR API (no responsibilities)" in check("suppliers_documented", system).detail
    part_update(actor=tenant_of(owner), part=component, responsibilities="They run the model; we check the output")
    assert check("suppliers_documented", system).ok


def test_it_asks_for_human_oversight(cast, system):
    owner = cast.users["owner"]
    assert not check("oversight_defined", system).ok
    system_update(actor=tenant_of(owner), system=system, oversight_mode="in_the_loop")
    result = check("oversight_defined", system)
    assert not result.ok and "not described" in result.detail
    system_update(actor=tenant_of(owner), system=fresh(system), oversight_description="An officer reviews every score")
    assert check("oversight_defined", system).ok
    system_update(actor=tenant_of(owner), system=fresh(system), oversight_mode="none", oversight_description="")
    assert check("oversight_defined", system).ok, "'no human oversight' needs no description"


def test_it_asks_for_a_system_card_of_the_current_version(cast, system):
    assert check("technical_documentation_present", system) == GateResult(False, "No system card published.")
    card_publish(actor=cast.tenant("owner"), system=fresh(system))
    assert check("technical_documentation_present", system).ok
    system = system_update(actor=cast.tenant("owner"), system=fresh(system), geography="EU, UK")
    result = check("technical_documentation_present", system)
    assert not result.ok
    assert result.detail == (
        f"System card v1 describes entry version {system.version - 1}; the entry is at version {system.version}: "
        "publish the card again."
    )


# ------------------------------------------------------------------------------------------- registry


def test_it_lets_other_capabilities_register_items(cast, system, temporary_item):
    temporary_item("impact_assessment_approved", ok=False, detail="No approved impact assessment.")
    gate_policy_update(actor=cast.tenant("owner"), items={"design_development": ["impact_assessment_approved"]})
    with pytest.raises(GateRefused) as refused:
        move(cast, system, "design_development")
    assert refused.value.missing == [
        {
            "key": "impact_assessment_approved",
            "label": "Impact Assessment Approved",
            "detail": "No approved impact assessment.",
        }
    ]


def test_a_failing_check_blocks_instead_of_breaking_the_page(cast, system, temporary_item):
    def broken(system):
        raise ValueError("bug in a capability")

    temporary_item("broken_item")
    register_item("broken_item", "Broken item", broken)
    gate_policy_update(actor=cast.tenant("owner"), items={"retirement": ["broken_item"]})
    with pytest.raises(GateRefused) as refused:
        move(cast, system, "retirement")
    assert refused.value.missing == [
        {
            "key": "broken_item",
            "label": "Broken item",
            "detail": "Could not be checked (the error is in the server log).",
        }
    ]


def test_it_refuses_a_malformed_item_key():
    with pytest.raises(ValueError):
        register_item("Bad key", "Bad", lambda s: GateResult(True))


def test_it_evaluates_many_systems_in_a_fixed_number_of_queries(cast):
    policy = gate_policy_for(cast.org)
    owner = cast.users["owner"]

    def build(n):
        systems = []
        for i in range(n):
            system = make_system(cast, name=f"System {n}-{i}")
            for j in range(n):
                add_model(cast, system, name=f"m{j}")
                part_create(actor=tenant_of(owner), system=system, kind="dataset", name=f"d{j}", source="s")
                part_create(actor=tenant_of(owner), system=system, kind="component", name=f"c{j}")
            systems.append(fresh(system))
        return systems

    few, many = build(1), build(5)
    with CaptureQueriesContext(connection) as small:
        evaluate_systems(few, policy=policy)
    with CaptureQueriesContext(connection) as large:
        result = evaluate_systems(many, policy=policy)
    assert len(small) == len(large) <= 4  # models, datasets, components, card: one query each
    assert all(not result[s.pk]["verification_validation"].ready for s in many)


# --------------------------------------------------------------------------------------------- policy


def test_it_starts_from_the_default_gates(cast):
    policy = gate_policy_for(cast.org)
    assert list(policy) == lifecycle().keys[1:]
    assert policy["design_development"] == ["owners_assigned", "intended_use_documented", "classification_current"]
    assert policy["retirement"] == []


def test_it_changes_what_a_stage_requires(cast, system):
    with pytest.raises(GateRefused):
        move(cast, system, "design_development")
    gate_policy_update(actor=cast.tenant("manager"), items={"design_development": []})
    move(cast, system, "design_development")
    assert fresh(system).stage == "design_development"
    gate_policy_update(actor=cast.tenant("manager"), items={"verification_validation": ["owners_assigned"]})
    with pytest.raises(GateRefused) as refused:
        move(cast, system, "verification_validation")
    assert [m["key"] for m in refused.value.missing] == ["owners_assigned"]


def test_it_records_the_policy_change_with_its_diff(cast):
    gate_policy_update(
        actor=cast.tenant("owner"),
        items={
            "design_development": ["classification_current", "owners_assigned"],
            "deployment": ["oversight_defined"],
        },
    )
    policy = GatePolicy.objects.get(organization=cast.org)
    assert policy.items["design_development"] == ["owners_assigned", "classification_current"], "registry order"
    assert policy.items["verification_validation"] == [], "a stage left out asks for nothing"
    event = AuditEvent.objects.get(object_type="inventory.gatepolicy", object_id=str(policy.pk))
    assert event.action == "create" and event.actor == cast.users["owner"]
    assert event.changes_dict["design_development"] == [
        ["owners_assigned", "intended_use_documented", "classification_current"],
        ["owners_assigned", "classification_current"],
    ]
    assert "retirement" not in event.changes_dict, "unchanged stages are not in the diff"


@pytest.mark.parametrize(
    "items, message",
    [
        ({"launch": ["owners_assigned"]}, "unknown life-cycle stage 'launch'"),
        ({"inception": ["owners_assigned"]}, "it has no gate"),
        ({"deployment": ["impact_assesment_approved"]}, "unknown gate item(s) impact_assesment_approved"),
        ({"deployment": "owners_assigned"}, "give a list"),
    ],
)
def test_it_refuses_a_policy_naming_unknown_stages_or_items(cast, items, message):
    with pytest.raises(ServiceError) as refused:
        gate_policy_update(actor=cast.tenant("owner"), items=items)
    assert message in refused.value.message
    assert not GatePolicy.objects.exists()


@pytest.mark.parametrize("who", ["contributor", "auditor", "viewer", "outsider"])
def test_it_lets_only_owners_and_managers_change_the_policy(cast, who):
    with pytest.raises(Forbidden):
        # An outsider gets no Tenant in acme at all (tenant_of refuses), so cannot reach the service.
        gate_policy_update(actor=tenant_of(cast.users[who], cast.org), items={"deployment": []})
    assert not GatePolicy.objects.exists()


def test_an_unknown_key_in_the_stored_policy_does_not_block_and_survives_an_edit(cast, system, temporary_item):
    temporary_item("monitoring_plan_defined", ok=False)
    gate_policy_update(
        actor=cast.tenant("owner"),
        items={"design_development": ["monitoring_plan_defined"], "deployment": ["monitoring_plan_defined"]},
    )
    _items.pop("monitoring_plan_defined")  # the capability that provided it is gone
    gate = evaluate_gate(fresh(system), "design_development")
    assert [(i.key, i.available, i.blocking) for i in gate.items] == [("monitoring_plan_defined", False, False)]
    assert gate.ready
    move(cast, system, "design_development")
    assert fresh(system).stage == "design_development"
    # Kept where it was; not addable where it was not.
    gate_policy_update(
        actor=cast.tenant("owner"),
        items={"deployment": ["monitoring_plan_defined", "owners_assigned"]},
    )
    assert gate_policy_for(cast.org)["deployment"] == ["owners_assigned", "monitoring_plan_defined"]
    with pytest.raises(ServiceError):
        gate_policy_update(actor=cast.tenant("owner"), items={"retirement": ["monitoring_plan_defined"]})


# ---------------------------------------------------------------------------------------- transitions


def test_it_refuses_a_transition_listing_exactly_the_missing_items(cast, system):
    with pytest.raises(GateRefused) as refused:
        move(cast, system, "design_development")
    error = refused.value
    assert error.status == 409 and error.code == "gate_refused"
    assert [m["key"] for m in error.missing] == ["owners_assigned", "intended_use_documented", "classification_current"]
    assert "Owners assigned" in error.message and "Classification current" in error.message
    assert fresh(system).stage == "inception"
    assert not StageTransition.objects.exists()
    assert not events(system, "transition") and not events(system, "override_gate")


@pytest.mark.django_db(transaction=True)
def test_it_records_a_refused_move_with_who_tried_and_what_was_missing(cast, system):
    with pytest.raises(GateRefused):
        move(cast, system, "design_development", who="contributor")
    (refusal,) = events(system, "transition_refused")
    assert refusal.actor_id == cast.users["contributor"].pk
    assert refusal.changes_dict == {
        "stage": ["inception", "design_development"],
        "missing": [None, ["owners_assigned", "intended_use_documented", "classification_current"]],
    }
    assert fresh(system).stage == "inception" and not StageTransition.objects.exists()


def test_it_lists_only_what_is_still_missing(cast, system):
    system_update(
        actor=cast.tenant("owner"),
        system=system,
        business_owner=cast.users["owner"],
        technical_owner=cast.users["manager"],
        affected_persons="Applicants",
    )
    with pytest.raises(GateRefused) as refused:
        move(cast, system, "design_development")
    assert refused.value.missing == [
        {
            "key": "classification_current",
            "label": "Classification current",
            "detail": "Not classified under the EU AI Act yet.",
        }
    ]


def test_it_moves_a_system_that_meets_the_gate(cast):
    system = ready_for_design(cast)
    transition = move(cast, system, "design_development", who="contributor")
    system = fresh(system)
    assert system.stage == "design_development"
    assert (transition.from_stage, transition.to_stage, transition.missing) == ("inception", "design_development", [])
    assert not transition.overridden
    (event,) = events(system, "transition")
    assert event.changes_dict == {"stage": ["inception", "design_development"]}
    assert event.actor == cast.users["contributor"]


def test_it_records_an_override_by_the_owner(cast, system):
    transition = move(cast, system, "design_development", reason="Pilot approved by the board on 3 March")
    assert fresh(system).stage == "design_development"
    assert transition.overridden
    assert [m["key"] for m in transition.missing] == [
        "owners_assigned",
        "intended_use_documented",
        "classification_current",
    ]
    assert transition.override_reason == "Pilot approved by the board on 3 March"
    (event,) = events(system, "override_gate")
    assert event.changes_dict == {
        "stage": ["inception", "design_development"],
        "missing": [None, ["owners_assigned", "intended_use_documented", "classification_current"]],
        "override_reason": [None, "Pilot approved by the board on 3 March"],
    }


@pytest.mark.parametrize("who", ["manager", "contributor"])
def test_it_refuses_an_override_by_someone_who_is_not_owner_or_business_owner(cast, system, who):
    with pytest.raises(Forbidden) as refused:
        move(cast, system, "design_development", who=who, reason="We are in a hurry")
    assert "owner" in refused.value.message
    assert fresh(system).stage == "inception" and not StageTransition.objects.exists()


@pytest.mark.parametrize("reason", ["", "   \n"])
def test_it_refuses_an_override_without_a_reason(cast, system, reason):
    with pytest.raises(GateRefused):
        move(cast, system, "design_development", reason=reason)
    assert not StageTransition.objects.exists()


def test_the_business_owner_may_override_with_a_contributor_role(cast, system):
    system_update(actor=cast.tenant("owner"), system=system, business_owner=cast.users["contributor"])
    transition = move(cast, system, "design_development", who="contributor", reason="Accepted for the pilot")
    assert transition.overridden and transition.actor == cast.users["contributor"]
    assert [m["key"] for m in transition.missing] == [
        "owners_assigned",
        "intended_use_documented",
        "classification_current",
    ]


def test_the_business_owner_may_not_override_without_write_permission(cast, system):
    system_update(actor=cast.tenant("owner"), system=system, business_owner=cast.users["viewer"])
    with pytest.raises(Forbidden):
        move(cast, system, "design_development", who="viewer", reason="I own it")


def test_an_owner_acting_with_a_narrower_token_may_not_override(cast, system):
    token, _raw = api_token_create(actor=cast.tenant("owner"), name="ci", role="contributor")
    with pytest.raises(Forbidden):
        system_transition(
            actor=Tenant(cast.tenant("owner").membership, token),
            system=system,
            to_stage="design_development",
            override_reason="x",
        )


@pytest.mark.parametrize("who", ["auditor", "viewer", "outsider"])
def test_it_lets_only_writers_move_systems(cast, system, who):
    with pytest.raises(Forbidden):
        move(cast, system, "retirement", who=who)


def test_it_refuses_to_skip_a_stage(cast, system):
    with pytest.raises(ServiceError) as refused:
        move(cast, system, "verification_validation", reason="skip it")
    assert refused.value.field == "to_stage"
    assert "one stage at a time" in refused.value.message and "Design & development" in refused.value.message
    assert not StageTransition.objects.exists()


@pytest.mark.parametrize("to_stage", ["inception", "launch", ""])
def test_it_refuses_the_same_or_an_unknown_stage(cast, system, to_stage):
    with pytest.raises(ServiceError):
        move(cast, system, to_stage)


def test_it_goes_back_to_any_earlier_stage_without_a_gate(cast, system):
    move(cast, system, "design_development", reason="Board decision")
    move(cast, system, "verification_validation", reason="Board decision")
    transition = move(cast, system, "inception", who="contributor")
    assert fresh(system).stage == "inception"
    assert transition.missing == [] and not transition.overridden
    assert [e.changes_dict["stage"] for e in events(system, "transition")] == [["verification_validation", "inception"]]


def test_it_retires_from_any_stage(cast):
    for stage_count in range(len(lifecycle().keys) - 1):
        system = make_system(cast, name=f"System {stage_count}")
        for stage in lifecycle().keys[1 : stage_count + 1]:
            move(cast, system, stage, reason="Setting up the test")
        move(cast, system, "retirement", who="contributor")
        assert fresh(system).stage == "retirement"


def test_the_retirement_gate_applies(cast, system):
    gate_policy_update(actor=cast.tenant("owner"), items={"retirement": ["owners_assigned"]})
    with pytest.raises(GateRefused) as refused:
        move(cast, system, "retirement")
    assert [m["key"] for m in refused.value.missing] == ["owners_assigned"]


def test_leaving_retirement_passes_the_gate_of_the_stage_returned_to(cast, system):
    move(cast, system, "retirement")
    with pytest.raises(GateRefused):
        move(cast, system, "design_development")
    system = ready_for_design(cast, fresh(system))
    move(cast, system, "design_development")
    assert fresh(system).stage == "design_development"


def test_it_keeps_a_note_given_with_a_transition_that_needed_no_override(cast):
    system = ready_for_design(cast)
    transition = move(cast, system, "design_development", reason="Kick-off on Monday")
    assert not transition.overridden and transition.override_reason == "Kick-off on Monday"
    (event,) = events(system, "transition")
    assert event.changes_dict["override_reason"] == [None, "Kick-off on Monday"]
