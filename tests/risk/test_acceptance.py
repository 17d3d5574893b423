"""Acceptance of residual risk (6.1.3 f): a sign-off by the risk owner, never its author, within the authority
the criteria give the owner's role, recorded with the date, the level and the criteria version."""

from __future__ import annotations

import pytest

from openaims.audittrail.models import AuditEvent
from openaims.lib.errors import Conflict, Forbidden
from openaims.risk.models import RiskAcceptance, RiskStatus
from openaims.risk.services import criteria_draft_save, criteria_publish, risk_accept, risk_update
from openaims.tenancy.models import Tenant
from openaims.tenancy.services import api_token_create
from tests.risk.conftest import assess, make_risk
from tests.risk.test_criteria import three_by_three

LOW = (2, 2, "modify", 1, 1)  # residual low: within appetite, contributor+ may accept
HIGH = (5, 5, "modify", 4, 4)  # residual high: above appetite, manager+
CRITICAL = (5, 5, "retain", 5, 5)  # residual critical: above appetite, owner role only


def assessed_risk(cast, scores, *, owner, author="owner"):
    risk = make_risk(cast, actor=cast.tenant(author), owner=cast.users[owner])
    assess(cast, risk, *scores)
    return risk


def test_the_risk_owner_accepts_and_the_acceptance_records_date_level_and_criteria_version(cast):
    risk = assessed_risk(cast, HIGH, owner="manager")
    acceptance = risk_accept(actor=cast.tenant("manager"), risk=risk, note="Monitoring covers it")
    risk.refresh_from_db()
    assert risk.status == RiskStatus.ACCEPTED
    assert acceptance.accepted_by == cast.users["manager"] and acceptance.accepted_role == "manager"
    assert (acceptance.residual_level, acceptance.within_appetite) == ("high", False)
    assert acceptance.criteria.number == 1 and acceptance.accepted_at is not None
    event = AuditEvent.objects.get(object_type="risk.risk", object_id=str(risk.pk), action="accept")
    assert '"criteria_version":[null,1]' in event.changes


def test_it_refuses_acceptance_by_the_risk_author(cast):
    risk = assessed_risk(cast, LOW, owner="manager", author="manager")
    with pytest.raises(Forbidden, match="separation of duties"):
        risk_accept(actor=cast.tenant("manager"), risk=risk)
    assert not RiskAcceptance.objects.exists()


def test_it_refuses_acceptance_by_anyone_but_the_risk_owner(cast):
    risk = assessed_risk(cast, LOW, owner="contributor")
    with pytest.raises(Forbidden, match=r"only the risk owner \(carl\)"):
        risk_accept(actor=cast.tenant("manager"), risk=risk)  # a manager, but not the owner


def test_a_contributor_owner_accepts_within_appetite(cast):
    risk = assessed_risk(cast, LOW, owner="contributor")
    acceptance = risk_accept(actor=cast.tenant("contributor"), risk=risk)
    assert acceptance.within_appetite


def test_it_refuses_a_contributor_owner_above_appetite(cast):
    risk = assessed_risk(cast, HIGH, owner="contributor")
    with pytest.raises(Forbidden, match="only a manager or higher may accept it, and you act as contributor"):
        risk_accept(actor=cast.tenant("contributor"), risk=risk)


def test_only_the_role_the_criteria_name_accepts_a_critical_risk(cast):
    by_manager = assessed_risk(cast, CRITICAL, owner="manager")
    with pytest.raises(Forbidden, match="only an owner or higher"):
        risk_accept(actor=cast.tenant("manager"), risk=by_manager)
    by_owner = assessed_risk(cast, CRITICAL, owner="owner", author="manager")
    assert risk_accept(actor=cast.tenant("owner"), risk=by_owner).accepted_role == "owner"


@pytest.mark.parametrize("role", ["auditor", "viewer"])
def test_auditors_and_viewers_never_accept_even_as_risk_owners(cast, role):
    risk = assessed_risk(cast, LOW, owner=role)
    with pytest.raises(Forbidden, match=f"you act as {role}"):
        risk_accept(actor=cast.tenant(role), risk=risk)


def test_a_narrower_acting_role_counts_not_the_membership(cast):
    risk = assessed_risk(cast, HIGH, owner="manager")
    token, _raw = api_token_create(actor=cast.tenant("manager"), name="ci", role="contributor")
    with pytest.raises(Forbidden, match="you act as contributor"):
        risk_accept(actor=Tenant(cast.tenant("manager").membership, token), risk=risk)


def test_the_system_actor_never_accepts_risk(cast):
    risk = assessed_risk(cast, LOW, owner="manager")
    with pytest.raises(Forbidden, match="act of its owner"):
        risk_accept(actor=Tenant.system(cast.org), risk=risk)
    assert RiskAcceptance.objects.filter(risk=risk).count() == 0


def test_it_refuses_before_the_residual_risk_is_assessed(cast):
    risk = make_risk(cast, owner=cast.users["manager"])
    with pytest.raises(Conflict, match="assess the residual risk"):
        risk_accept(actor=cast.tenant("manager"), risk=risk)
    assess(cast, risk, 3, 3)  # inherent only
    with pytest.raises(Conflict, match="assess the residual risk"):
        risk_accept(actor=cast.tenant("manager"), risk=risk)


def test_it_refuses_without_a_risk_owner(cast):
    risk = make_risk(cast)
    assess(cast, risk, *LOW)
    with pytest.raises(Conflict, match="name a risk owner"):
        risk_accept(actor=cast.tenant("manager"), risk=risk)


def test_it_refuses_a_second_acceptance(cast):
    risk = assessed_risk(cast, LOW, owner="manager")
    risk_accept(actor=cast.tenant("manager"), risk=risk)
    with pytest.raises(Conflict, match="already accepted"):
        risk_accept(actor=cast.tenant("manager"), risk=risk)


def test_it_refuses_a_level_the_criteria_let_nobody_accept(cast):
    criteria_draft_save(actor=cast.tenant("manager"), content=three_by_three())
    criteria_publish(actor=cast.tenant("manager"))
    risk = assessed_risk(cast, (3, 3, "retain", 3, 3), owner="owner", author="manager")  # extreme
    with pytest.raises(Conflict, match="cannot be accepted: treat it further"):
        risk_accept(actor=cast.tenant("owner"), risk=risk)


def test_it_refuses_an_assessment_made_under_criteria_no_longer_in_force(cast):
    risk = assessed_risk(cast, LOW, owner="manager")
    criteria_draft_save(actor=cast.tenant("manager"), content=three_by_three())
    criteria_publish(actor=cast.tenant("manager"))
    with pytest.raises(Conflict, match="assessed under risk criteria v1; v2 is in force"):
        risk_accept(actor=cast.tenant("manager"), risk=risk)


def test_handing_the_risk_to_an_owner_with_authority_lets_them_accept(cast):
    risk = assessed_risk(cast, HIGH, owner="contributor")
    risk_update(actor=cast.tenant("owner"), risk=risk, owner=cast.users["manager"])
    assert risk_accept(actor=cast.tenant("manager"), risk=risk).accepted_role == "manager"
