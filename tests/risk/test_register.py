"""The risk register's services: recording, linking, assessing with history, treatment actions, the gate."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from openaims.audittrail.models import AuditEvent
from openaims.catalog.models import CatalogNode
from openaims.lib.errors import Conflict, ServiceError
from openaims.risk.models import (
    ActionStatus,
    Risk,
    RiskAcceptance,
    RiskAssessment,
    RiskStatus,
    RiskSystem,
)
from openaims.risk.selectors import GATE_NO_RISK, risk_detail, system_risk_gate, system_risk_gates, trend
from openaims.risk.services import (
    risk_accept,
    risk_close,
    risk_create,
    risk_reopen,
    risk_update,
    treatment_action_create,
    treatment_action_delete,
    treatment_action_update,
)
from tests.risk.conftest import C25, C34, assess, make_risk, make_system


class TestRecording:
    def test_it_numbers_risks_per_organization(self, cast):
        first, second = make_risk(cast, "One"), make_risk(cast, "Two")
        other = make_risk(cast, "Elsewhere", org=cast.other_org)
        assert (first.number, second.number, other.number) == (1, 2, 1)
        assert str(second) == "R-2 Two" and first.status == RiskStatus.IDENTIFIED

    def test_the_demo_call_still_works(self, cast):
        risk = risk_create(actor=cast.users["manager"], organization=cast.org, title="Drift", owner=cast.users["owner"])
        assert risk.owner == cast.users["owner"] and risk.created_by == cast.users["manager"]

    def test_it_links_systems_annex_c_sources_and_objectives(self, cast, iso):
        system = make_system(cast)
        source, objective = CatalogNode.objects.get(urn=C34), CatalogNode.objects.get(urn=C25)
        risk = make_risk(
            cast,
            systems=[system],
            sources=[source],
            objectives=[objective],
            other_sources="Vendor model updates without notice",
            existing_controls="Quarterly fairness review",
        )
        detail = risk_detail(risk)
        assert detail["systems"] == [system]
        assert detail["sources"] == [source] and detail["objectives"] == [objective]
        event = AuditEvent.objects.get(object_type="risk.risk", object_id=str(risk.pk), action="create")
        assert '"systems":[null,["AIS-1"]]' in event.changes and '"sources":[null,["C.3.4"]]' in event.changes

    def test_a_risk_without_systems_is_organization_wide(self, cast):
        risk = make_risk(cast)
        assert not RiskSystem.objects.filter(risk=risk).exists()

    def test_it_refuses_a_system_of_another_organization(self, cast):
        theirs = make_system(cast, org=cast.other_org)
        with pytest.raises(ServiceError, match="another organization") as exc:
            make_risk(cast, systems=[theirs])
        assert exc.value.field == "systems"
        assert not Risk.objects.exists()

    def test_it_refuses_a_catalog_node_that_is_not_a_risk_source(self, cast, iso):
        objective = CatalogNode.objects.get(urn=C25)
        with pytest.raises(ServiceError, match="not a risk source"):
            make_risk(cast, sources=[objective])

    def test_it_refuses_an_owner_from_outside_the_organization(self, cast):
        with pytest.raises(ServiceError, match="member of this organization"):
            make_risk(cast, owner=cast.users["outsider"])

    def test_it_refuses_a_risk_without_a_title(self, cast):
        with pytest.raises(ServiceError, match="needs a title"):
            make_risk(cast, "   ")

    def test_it_updates_the_entry_and_its_links_with_one_audit_event(self, cast):
        a, b = make_system(cast, "A"), make_system(cast, "B")
        risk = make_risk(cast, systems=[a])
        risk_update(
            actor=cast.users["contributor"], risk=risk, title="Renamed", systems=[b], owner=cast.users["viewer"]
        )
        risk.refresh_from_db()
        assert risk.title == "Renamed" and risk.owner == cast.users["viewer"]
        assert list(RiskSystem.objects.filter(risk=risk).values_list("system", flat=True)) == [b.pk]
        event = AuditEvent.objects.filter(object_type="risk.risk", object_id=str(risk.pk), action="update").get()
        assert '"systems":[["AIS-1"],["AIS-2"]]' in event.changes

    def test_it_refuses_to_change_scores_through_an_update(self, cast):
        with pytest.raises(ServiceError, match="cannot change inherent_level"):
            risk_update(actor=cast.users["owner"], risk=make_risk(cast), inherent_level="low")


class TestAssessment:
    def test_it_computes_and_stores_levels_from_the_criteria(self, cast):
        risk = make_risk(cast)
        assess(cast, risk, 4, 5, "modify", 2, 3)
        risk.refresh_from_db()
        assert (risk.inherent_level, risk.inherent_rank) == ("critical", 4)
        assert (risk.residual_level, risk.residual_rank) == ("medium", 2)
        assert risk.status == RiskStatus.ASSESSED and risk.criteria.number == 1

    def test_it_keeps_every_assessment_for_the_trend(self, cast):
        risk = make_risk(cast)
        assess(cast, risk, 3, 3)
        assess(cast, risk, 4, 4, "modify", 3, 3)
        assess(cast, risk, 4, 4, "modify", 2, 2)
        rows = trend(list(RiskAssessment.objects.filter(risk=risk).select_related("criteria")))
        assert [(r["inherent"].key, r["residual"] and r["residual"].key) for r in rows] == [
            ("medium", None),
            ("high", "medium"),
            ("high", "low"),
        ]
        assert [r["direction"] for r in rows] == ["", "same", "down"]

    def test_it_refuses_a_residual_level_above_the_inherent_one(self, cast):
        risk = make_risk(cast)
        with pytest.raises(ServiceError, match="cannot be higher than the inherent level"):
            assess(cast, risk, 2, 2, "modify", 5, 5)
        assert not RiskAssessment.objects.exists()

    def test_it_needs_a_treatment_option_for_residual_scores(self, cast):
        with pytest.raises(ServiceError, match="treatment option"):
            assess(cast, make_risk(cast), 3, 3, "", 2, 2)

    def test_retaining_a_risk_keeps_the_inherent_scores_as_residual(self, cast):
        risk = make_risk(cast)
        assess(cast, risk, 2, 3, "retain")
        risk.refresh_from_db()
        assert (risk.residual_likelihood, risk.residual_consequence, risk.residual_level) == (2, 3, "medium")

    @pytest.mark.parametrize(("il", "ic", "field"), [(6, 1, "inherent_likelihood"), (1, 0, "inherent_consequence")])
    def test_it_refuses_scores_outside_the_scales(self, cast, il, ic, field):
        with pytest.raises(ServiceError) as exc:
            assess(cast, make_risk(cast), il, ic)
        assert exc.value.field == field

    def test_a_new_assessment_withdraws_the_acceptance(self, cast):
        risk = make_risk(cast, owner=cast.users["manager"])
        assess(cast, risk, 3, 3, "modify", 2, 2)
        risk_accept(actor=cast.users["manager"], risk=risk)
        assess(cast, risk, 3, 3, "modify", 1, 2)
        risk.refresh_from_db()
        acceptance = RiskAcceptance.objects.get(risk=risk)
        assert risk.status == RiskStatus.ASSESSED
        assert acceptance.revoked_at is not None and acceptance.revoked_reason == "re-assessed"

    def test_it_refuses_to_assess_a_closed_risk_until_reopened(self, cast):
        risk = make_risk(cast)
        risk_close(actor=cast.users["owner"], risk=risk, reason="System retired")
        with pytest.raises(Conflict, match="closed"):
            assess(cast, risk, 2, 2)
        risk_reopen(actor=cast.users["owner"], risk=risk)
        risk.refresh_from_db()
        assert risk.status == RiskStatus.IDENTIFIED
        assess(cast, risk, 2, 2)

    def test_it_flags_a_risk_whose_review_date_passed(self, cast):
        yesterday = timezone.localdate() - timedelta(days=1)
        risk = make_risk(cast, review_date=yesterday)
        assert risk.review_overdue()
        risk_close(actor=cast.users["owner"], risk=risk)
        risk.refresh_from_db()
        assert not risk.review_overdue()  # closed risks are not reviewed


class TestTreatmentPlan:
    def test_it_adds_changes_and_removes_actions_recording_them_on_the_risk(self, cast):
        risk = make_risk(cast)
        action = treatment_action_create(
            actor=cast.users["contributor"],
            risk=risk,
            title="Retrain on balanced data",
            owner=cast.users["contributor"],
            due_date=timezone.localdate() + timedelta(days=30),
        )
        assert action.status == ActionStatus.PLANNED and not action.overdue()
        treatment_action_update(actor=cast.users["contributor"], action=action, status=ActionStatus.DONE)
        action.refresh_from_db()
        assert action.completed_at is not None
        treatment_action_delete(actor=cast.users["manager"], action=action)
        actions = list(
            AuditEvent.objects.filter(object_type="risk.risk", object_id=str(risk.pk)).values_list("action", flat=True)
        )
        assert actions == ["create", "add_action", "update_action", "delete_action"]

    def test_an_open_action_past_its_due_date_is_overdue(self, cast):
        action = treatment_action_create(
            actor=cast.users["owner"], risk=make_risk(cast), title="Audit", due_date=timezone.localdate() - timedelta(1)
        )
        assert action.overdue()

    def test_it_refuses_an_unknown_status_and_an_outside_owner(self, cast):
        risk = make_risk(cast)
        with pytest.raises(ServiceError, match="unknown action status"):
            treatment_action_create(actor=cast.users["owner"], risk=risk, title="X", status="finished")
        with pytest.raises(ServiceError, match="member"):
            treatment_action_create(actor=cast.users["owner"], risk=risk, title="X", owner=cast.users["outsider"])


class TestGate:
    def test_a_system_no_risk_names_does_not_pass(self, cast):
        assert system_risk_gate(make_system(cast)) == (False, GATE_NO_RISK)

    def test_it_needs_every_open_risk_assessed(self, cast):
        system = make_system(cast)
        make_risk(cast, systems=[system])
        ok, detail = system_risk_gate(system)
        assert not ok and "residual risk not assessed: R-1" in detail

    def test_a_residual_risk_above_appetite_must_be_accepted(self, cast):
        system = make_system(cast)
        risk = make_risk(cast, systems=[system], owner=cast.users["manager"])
        assess(cast, risk, 5, 5, "modify", 4, 4)  # high: above appetite
        ok, detail = system_risk_gate(system)
        assert not ok and "above appetite and not accepted: R-1" in detail
        risk_accept(actor=cast.users["manager"], risk=risk)
        assert system_risk_gate(system)[0]

    def test_a_residual_risk_within_appetite_passes_without_acceptance(self, cast):
        system, other = make_system(cast, "A"), make_system(cast, "B")
        assess(cast, make_risk(cast, systems=[system]), 3, 3, "modify", 1, 2)
        closed = make_risk(cast, systems=[system])
        risk_close(actor=cast.users["owner"], risk=closed)  # closed risks do not count
        answers = system_risk_gates([system.pk, other.pk])
        assert answers[system.pk][0] and answers[other.pk] == (False, GATE_NO_RISK)

    def test_it_is_registered_as_an_inventory_gate_item(self, cast):
        from openaims.inventory.lifecycle.items import get_item

        item = get_item("risks_assessed_accepted")
        assert item is not None
        assert item.check(make_system(cast)).ok is False
