"""Impact assessment workflow, separation of duties, immutability, review-needed, risk link, gate item."""

from __future__ import annotations

import pytest

from openaims.impact import selectors
from openaims.impact.models import Impact, ImpactAssessment, Status
from openaims.impact.services import (
    impact_add,
    impact_assessment_approve,
    impact_assessment_create,
    impact_assessment_new_version,
    impact_assessment_return,
    impact_assessment_submit,
    impact_assessment_update,
    impact_update,
)
from openaims.inventory.lifecycle.evaluation import evaluate_gate
from openaims.inventory.lifecycle.items import get_item
from openaims.inventory.models import AIModel
from openaims.inventory.services import part_update, system_update
from openaims.lib.errors import Conflict, Forbidden, ServiceError
from openaims.risk.models import RiskSystem
from tests.impact.conftest import approved, make_assessment, make_system


def test_it_prefills_the_assessment_from_the_inventory(cast):
    system = make_system(cast)
    assessment = impact_assessment_create(actor=cast.users["contributor"], system=system)
    assert assessment.template == "ml_classifier"
    assert assessment.sections["purpose"] == "Suggests a triage category"
    assert "Decision support for nurses" in assessment.sections["intended_uses"]
    assert "triage-gbm 1.0" in assessment.sections["model"]
    assert "ml_classifier.performance_groups" in assessment.sections
    assert not assessment.fria_required


def test_it_adds_a_fria_section_for_deployers_of_high_risk_systems(cast):
    system = make_system(cast, role="deployer")
    system.risk_class = "high_risk"
    system.save(update_fields=["risk_class"])
    assessment = impact_assessment_create(actor=cast.users["contributor"], system=system)
    assert assessment.fria_required and "persons" in assessment.fria


def test_it_moves_from_draft_to_review_to_approved(cast):
    assessment = make_assessment(cast)
    impact_assessment_submit(actor=cast.users["contributor"], assessment=assessment)
    assessment.refresh_from_db()
    assert assessment.status == Status.IN_REVIEW
    impact_assessment_approve(actor=cast.users["manager"], assessment=assessment, decision="Proceed")
    assessment.refresh_from_db()
    assert assessment.status == Status.APPROVED
    assert assessment.approver == cast.users["manager"] and assessment.content_hash and assessment.review_date


def test_it_refuses_approval_by_the_assessor(cast):
    assessment = make_assessment(cast, actor=cast.users["manager"])
    impact_assessment_submit(actor=cast.users["manager"], assessment=assessment)
    with pytest.raises(Forbidden, match="separation of duties"):
        impact_assessment_approve(actor=cast.users["manager"], assessment=assessment, decision="Proceed")
    assessment.refresh_from_db()
    assert assessment.status == Status.IN_REVIEW


def test_it_refuses_approval_by_a_contributor(cast):
    assessment = make_assessment(cast, actor=cast.users["manager"])
    impact_assessment_submit(actor=cast.users["manager"], assessment=assessment)
    with pytest.raises(Forbidden):
        impact_assessment_approve(actor=cast.users["contributor"], assessment=assessment, decision="Proceed")


def test_a_returned_assessment_can_be_edited_and_resubmitted(cast):
    assessment = make_assessment(cast)
    impact_assessment_submit(actor=cast.users["contributor"], assessment=assessment)
    with pytest.raises(Conflict):
        impact_assessment_update(actor=cast.users["contributor"], assessment=assessment, sections={"scope": "x"})
    impact_assessment_return(actor=cast.users["manager"], assessment=assessment, reason="Add misuse scenarios")
    impact_assessment_update(
        actor=cast.users["contributor"], assessment=assessment, sections={"failure_misuse": "Used during peaks"}
    )
    impact_assessment_submit(actor=cast.users["contributor"], assessment=assessment)
    assessment.refresh_from_db()
    assert assessment.status == Status.IN_REVIEW and assessment.sections["failure_misuse"] == "Used during peaks"


def test_it_refuses_submission_without_impacts(cast):
    assessment = impact_assessment_create(actor=cast.users["contributor"], system=make_system(cast))
    with pytest.raises(ServiceError, match="at least one impact"):
        impact_assessment_submit(actor=cast.users["contributor"], assessment=assessment)


def test_an_approved_assessment_never_changes_and_a_new_version_copies_it(cast):
    assessment = approved(cast)
    impact = Impact.objects.get(assessment=assessment)
    with pytest.raises(Conflict, match="new version"):
        impact_assessment_update(actor=cast.users["contributor"], assessment=assessment, sections={"scope": "x"})
    with pytest.raises(Conflict):
        impact_update(actor=cast.users["contributor"], impact=impact, severity=4)
    new = impact_assessment_new_version(actor=cast.users["contributor"], assessment=assessment)
    assert new.version == 2 and new.status == Status.DRAFT
    assert new.impacts.count() == 1
    impact_assessment_update(actor=cast.users["contributor"], assessment=new, sections={"scope": "Model 2.0"})
    assessment.refresh_from_db()
    assert assessment.sections["scope"] == "First deployment"
    with pytest.raises(Conflict):
        impact_assessment_new_version(actor=cast.users["contributor"], assessment=assessment)


def test_it_refuses_a_second_first_assessment(cast):
    assessment = make_assessment(cast)
    with pytest.raises(Conflict):
        impact_assessment_create(actor=cast.users["contributor"], system=assessment.system)


@pytest.mark.parametrize("change", ["stage", "purpose", "model_version"])
def test_a_significant_change_to_the_system_flags_its_assessment(cast, change):
    assessment = approved(cast)
    system = assessment.system
    assert selectors.review_needed(assessment) == (False, [])
    if change == "stage":
        system.stage = "design"
        system.save(update_fields=["stage"])
    elif change == "purpose":
        system_update(actor=cast.users["owner"], system=system, purpose="Now also prioritises ambulances")
    else:
        model = AIModel.objects.get(system=system)
        part_update(actor=cast.users["owner"], part=model, version="2.0")
    assessment = ImpactAssessment.objects.select_related("system").get(pk=assessment.pk)
    needed, changed = selectors.review_needed(assessment)
    assert needed and changed
    flagged = list(selectors.assessments(cast.org, selectors.ListFilter(review_needed=True)))
    assert [a.pk for a in flagged] == [assessment.pk]


def test_a_change_to_an_unrelated_field_does_not_flag(cast):
    assessment = approved(cast)
    system_update(actor=cast.users["owner"], system=assessment.system, geography="EU")
    assessment = ImpactAssessment.objects.select_related("system").get(pk=assessment.pk)
    assert selectors.review_needed(assessment) == (False, [])


def test_a_high_harm_creates_a_linked_risk_for_the_system(cast):
    assessment = make_assessment(cast)
    impact = impact_add(
        actor=cast.users["contributor"],
        assessment=assessment,
        kind="harm",
        description="A critically ill child is under-triaged",
        affected_party="Children",
        vulnerable_group=True,
        severity=4,
        likelihood=2,
        reversibility=3,
    )
    assert impact.level == "very_high" and impact.risk is not None
    assert RiskSystem.objects.filter(risk=impact.risk, system=assessment.system).exists()
    low = Impact.objects.get(assessment=assessment, severity=2)
    assert low.risk is None
    updated = impact_update(actor=cast.users["contributor"], impact=low, severity=4, likelihood=3)
    assert updated.risk is not None


def test_a_benefit_never_creates_a_risk(cast):
    assessment = make_assessment(cast)
    impact = impact_add(
        actor=cast.users["contributor"],
        assessment=assessment,
        kind="benefit",
        description="Faster",
        severity=4,
        likelihood=4,
    )
    assert impact.risk is None


def test_it_refuses_values_off_the_impact_scale(cast):
    assessment = make_assessment(cast)
    with pytest.raises(ServiceError, match="impact scale"):
        impact_add(actor=cast.users["contributor"], assessment=assessment, description="x", severity=9, likelihood=1)


def test_the_gate_item_passes_only_for_an_approved_current_assessment(cast):
    item = get_item("impact_assessment_approved")
    assert item is not None
    system = make_system(cast)
    assert not item.check(system).ok
    assessment = make_assessment(cast, system)
    assert "draft" in item.check(system).detail
    impact_assessment_submit(actor=cast.users["contributor"], assessment=assessment)
    impact_assessment_approve(actor=cast.users["manager"], assessment=assessment, decision="Proceed")
    assert item.check(system).ok
    system_update(actor=cast.users["owner"], system=system, purpose="Something else")
    system.refresh_from_db()
    result = item.check(system)
    assert not result.ok and "review needed" in result.detail
    gate = evaluate_gate(system, "design", policy={"design": ["impact_assessment_approved"]})
    assert not gate.ready


def test_outsiders_assessments_stay_in_their_organization(cast):
    theirs = make_system(cast, org=cast.other_org)
    impact_assessment_create(actor=cast.users["outsider"], system=theirs)
    assert not selectors.assessments(cast.org).exists()
    assert ImpactAssessment.objects.filter(organization=cast.other_org).count() == 1


def test_the_demo_makes_two_approved_assessments(db):
    from openaims.accounts.models import User
    from openaims.catalog.loader import load_catalog
    from openaims.demo import seed_demo
    from openaims.impact.demo import seed_demo_impact

    load_catalog()
    seed_demo()  # seeds the assessments through seed_demo_impact
    users = {u.username: u for u in User.objects.all()}
    assert seed_demo_impact(users) == 0  # idempotent
    approved_ones = ImpactAssessment.objects.filter(organization__slug="acme-health", status=Status.APPROVED)
    assert approved_ones.count() == 2
    assert Impact.objects.filter(assessment__in=approved_ones, risk__isnull=False).count() >= 2


def test_every_step_is_in_the_audit_trail(cast):
    from openaims.audittrail.models import AuditEvent

    assessment = approved(cast)
    actions = list(
        AuditEvent.objects.filter(object_type="impact.impactassessment", object_id=str(assessment.pk))
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == ["create", "update", "submit", "approve"]
    assert AuditEvent.objects.filter(object_type="impact.impact", action="create").count() == 1


def test_the_gate_item_costs_the_same_queries_for_many_systems(cast, django_assert_num_queries):
    from openaims.inventory.lifecycle.evaluation import evaluate_systems
    from openaims.inventory.models import AISystem

    for i in range(4):
        approved(cast, make_system(cast, f"S{i}"))
    systems = list(AISystem.objects.filter(organization=cast.org))
    with django_assert_num_queries(3):
        answers = evaluate_systems(systems, ["design"], policy={"design": ["impact_assessment_approved"]})
    assert all(answer["design"].ready for answer in answers.values())
