"""Work no person starts acts as the organization's system actor, and the trail says so."""

from __future__ import annotations

import pytest
from django.db import transaction

from openaims.audittrail.chain import verify_chain
from openaims.audittrail.models import AuditEvent
from openaims.audittrail.selectors import event_dict
from openaims.audittrail.services import record_event
from openaims.inventory.lifecycle.policy import gate_policy_update
from openaims.lib.errors import Forbidden
from openaims.tenancy.models import Membership, Tenant
from openaims.tenancy.roles import Perm
from openaims.tenancy.services import membership_add
from tests.conftest import make_user


def test_it_records_the_system_actor_as_kind_system_and_the_chain_still_verifies(cast):
    newcomer = make_user("nina")
    membership_add(actor=Tenant.system(cast.org), user=newcomer, role="viewer")
    event = AuditEvent.objects.filter(organization=cast.org).order_by("-seq").first()
    assert (event.actor_id, event.actor_label, event.actor_kind) == (None, "system", "system")
    assert event_dict(event)["actor_kind"] == "system"
    assert Membership.objects.filter(organization=cast.org, user=newcomer, role="viewer").exists()
    assert verify_chain(cast.org.pk).ok


def test_events_with_a_person_or_nobody_keep_their_kind(cast):
    person = AuditEvent.objects.filter(organization=cast.org, actor=cast.users["owner"]).first()
    assert person.actor_kind == "user"
    # Nobody acting (seeding) is not the system actor.
    with transaction.atomic():
        nobody = record_event(actor=None, organization=cast.org, obj=cast.org, action="note")
    assert (nobody.actor_label, nobody.actor_kind) == ("", "")
    assert verify_chain(cast.org.pk).ok


@pytest.mark.parametrize("perm", [Perm.APPROVE, Perm.MANAGE_MEMBERS, Perm.OVERRIDE_GATES, Perm.AUDIT_LOG])
def test_the_system_actor_never_holds_a_persons_authority(cast, perm):
    assert not Tenant.system(cast.org).can(perm)


def test_it_refuses_a_gate_policy_change_by_the_system_actor(cast):
    with pytest.raises(Forbidden, match="only owners and managers"):
        gate_policy_update(actor=Tenant.system(cast.org), items={"deployment": []})
    assert not AuditEvent.objects.filter(organization=cast.org, actor_label="system").exists()
