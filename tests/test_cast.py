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


def test_a_catalog_layer_restores_the_loaders_rows_and_keeps_the_global_chain_verifiable(cast, iso42001_snapshot):
    from openaims.catalog.models import CatalogNode, Framework
    from openaims.inventory.services import system_create

    # An organization event first: the layer's audit event must take a fresh id after it.
    system_create(
        actor=cast.users["owner"], organization=cast.org, name="Scoring", purpose="p", role="provider", technique="ml"
    )
    assert iso42001_snapshot.try_restore()

    framework = Framework.objects.get(urn="urn:openaims:framework:iso42001-2023")
    assert CatalogNode.objects.filter(framework=framework, kind="control").count() == 38
    assert AuditEvent.objects.filter(organization=None, action="catalog_load").count() == 1
    assert verify_chain(None).ok and verify_chain(cast.org.pk).ok
    make_user("nina")  # the global chain goes on from the layer's head
    assert verify_chain(None).ok


def test_a_catalog_layer_stands_aside_when_the_global_chain_moved_since(cast, iso42001_snapshot):
    from openaims.catalog.models import Framework

    make_user("nina")  # a global event the layer's chain link does not know

    assert not iso42001_snapshot.try_restore()
    assert not Framework.objects.exists(), "nothing half-restored"
    assert verify_chain(None).ok
