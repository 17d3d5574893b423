"""The cast fixture: restored from a snapshot, it is the same as built through the services, and usable."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from openaims.audittrail.chain import verify_chain
from openaims.audittrail.models import AuditEvent
from openaims.tenancy.models import Membership
from openaims.tenancy.services import membership_add
from tests.conftest import PASSWORD, ROLES, make_user


def test_it_gives_each_role_its_membership_and_the_outsider_none(cast):
    roles = dict(Membership.objects.filter(organization=cast.org).values_list("user__username", "role"))
    assert roles == {"alice": "owner", "mona": "manager", "carl": "contributor", "aude": "auditor", "vera": "viewer"}
    assert [cast.user(role).username for role in ROLES] == ["alice", "mona", "carl", "aude", "vera"]
    assert not Membership.objects.filter(organization=cast.org, user=cast.users["outsider"]).exists()


def test_its_audit_chains_verify_and_grow(cast):
    for chain in (cast.org.pk, cast.other_org.pk, None):
        assert verify_chain(chain).ok, chain
    before = AuditEvent.objects.filter(organization=cast.org).count()

    # New rows after the restored ones: ids and sequences continue where the snapshot ends.
    nina = make_user("nina")
    membership_add(actor=cast.users["owner"], organization=cast.org, user=nina, role="viewer")

    assert AuditEvent.objects.filter(organization=cast.org).count() == before + 1
    assert verify_chain(cast.org.pk).ok and verify_chain(None).ok


def test_its_people_log_in_with_the_test_password(cast, client):
    assert client.login(username="vera", password=PASSWORD)
    assert get_user_model().objects.get(username="vera").check_password(PASSWORD)
