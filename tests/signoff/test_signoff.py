"""The sign-off component: who may ask, who may decide, and that the owning app hears of it in the same transaction."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.utils import timezone

from openaims.audittrail.models import AuditEvent
from openaims.controls.models import SoAVersion
from openaims.controls.services import soa_publish
from openaims.lib.errors import Conflict, Forbidden, ServiceError
from openaims.signoff import registry
from openaims.signoff.models import SignOffRequest
from openaims.signoff.selectors import pending_for
from openaims.signoff.services import signoff_request, signoff_return, signoff_sign, signoff_withdraw


@pytest.fixture
def nothing_written():
    def check():
        before = (SignOffRequest.objects.count(), AuditEvent.objects.count(), SoAVersion.objects.count())
        return lambda: (
            (SignOffRequest.objects.count(), AuditEvent.objects.count(), SoAVersion.objects.count()) == before
        )

    return check


def version_of(request) -> SoAVersion:
    return SoAVersion.objects.get(pk=int(request.subject_id))


def test_it_refuses_the_requester_as_approver(cast, pending, nothing_written):
    unchanged = nothing_written()
    with pytest.raises(ServiceError, match="cannot sign off your own request"):
        soa_publish(actor=cast.tenant("owner"), approver=cast.users["owner"])
    assert unchanged()


def test_it_refuses_an_approver_without_the_approve_permission(cast, pending):
    signoff_withdraw(actor=cast.tenant("owner"), request=pending)
    for who in ("contributor", "auditor", "viewer", "outsider"):
        with pytest.raises(ServiceError, match="must be an owner or manager"):
            soa_publish(actor=cast.tenant("owner"), approver=cast.users[who], confirm_undecided=True)
    assert SoAVersion.objects.filter(organization=cast.org).count() == 1


def test_it_refuses_a_decision_by_anyone_but_the_named_approver(cast, pending, nothing_written):
    unchanged = nothing_written()
    for who in ("owner", "contributor", "outsider"):
        with pytest.raises(Forbidden):
            signoff_sign(actor=cast.tenant(who), request=pending)
        with pytest.raises(Forbidden):
            signoff_return(actor=cast.tenant(who), request=pending, comment="No")
    assert unchanged()
    assert SignOffRequest.objects.get(pk=pending.pk).status == "pending"


def test_signing_makes_the_version_the_approved_one_by_the_approvers_act(cast, pending):
    assert version_of(pending).status == "awaiting_signoff" and version_of(pending).approved_by is None

    signed = signoff_sign(actor=cast.tenant("manager"), request=pending, comment="Reviewed at the MR")

    version = version_of(pending)
    assert (signed.status, signed.decision_comment) == ("signed", "Reviewed at the MR")
    assert (version.status, version.approved_by, version.approved_on) == (
        "signed",
        cast.users["manager"],
        timezone.localdate(),
    )
    events = AuditEvent.objects.filter(organization=cast.org).order_by("-seq")[:2]
    assert {(e.object_type, e.action) for e in events} == {
        ("signoff.signoffrequest", "sign"),
        ("controls.soaversion", "signed"),
    }
    assert all(e.actor_id == cast.users["manager"].pk for e in events)


def test_returning_needs_a_reason_and_lets_the_soa_be_published_again(cast, pending):
    with pytest.raises(ServiceError, match="a reason for returning it is needed"):
        signoff_return(actor=cast.tenant("manager"), request=pending, comment="  ")
    signoff_return(actor=cast.tenant("manager"), request=pending, comment="Decide A.2 first")

    version = version_of(pending)
    assert (version.status, version.approved_by) == ("returned", None)
    again = soa_publish(actor=cast.tenant("owner"), approver=cast.users["manager"], confirm_undecided=True)
    assert (again.number, again.status) == (2, "awaiting_signoff")


def test_it_refuses_a_second_decision(cast, pending):
    signoff_sign(actor=cast.tenant("manager"), request=pending)
    with pytest.raises(Conflict, match="already signed"):
        signoff_return(actor=cast.tenant("manager"), request=pending, comment="Changed my mind")
    with pytest.raises(Conflict):
        signoff_withdraw(actor=cast.tenant("owner"), request=pending)
    assert version_of(pending).status == "signed"


def test_it_refuses_a_second_publication_while_one_awaits_sign_off(cast, pending, nothing_written):
    unchanged = nothing_written()
    with pytest.raises(Conflict, match="already awaiting sign-off"):
        soa_publish(actor=cast.tenant("owner"), approver=cast.users["manager"], confirm_undecided=True)
    assert unchanged()


def test_only_the_requester_withdraws(cast, pending):
    with pytest.raises(Forbidden):
        signoff_withdraw(actor=cast.tenant("manager"), request=pending)
    signoff_withdraw(actor=cast.tenant("owner"), request=pending)
    assert (SignOffRequest.objects.get(pk=pending.pk).status, version_of(pending).status) == ("withdrawn", "withdrawn")


def test_an_approver_demoted_since_the_request_may_no_longer_sign(cast, pending):
    from openaims.tenancy.models import Membership
    from openaims.tenancy.services import membership_change_role

    membership = Membership.objects.get(organization=cast.org, user=cast.users["manager"])
    membership_change_role(actor=cast.tenant("owner"), membership=membership, role="contributor")
    with pytest.raises(Forbidden, match="no longer allows approving"):
        signoff_sign(actor=cast.tenant("manager"), request=pending)
    assert version_of(pending).status == "awaiting_signoff"


def test_a_failing_owner_callback_rolls_the_decision_back(cast):
    def refuse(actor, request):
        raise Conflict("the subject changed meanwhile")

    registry.register("tests.broken", on_decided=refuse, label="Broken")
    with transaction.atomic():
        request = signoff_request(
            actor=cast.tenant("owner"),
            subject_kind="tests.broken",
            subject_id=1,
            subject_label="Thing 1",
            approver=cast.users["manager"],
        )
    events = AuditEvent.objects.count()
    with pytest.raises(Conflict, match="changed meanwhile"):
        signoff_sign(actor=cast.tenant("manager"), request=request)
    assert SignOffRequest.objects.get(pk=request.pk).status == "pending"
    assert AuditEvent.objects.count() == events, "the sign event vanished with the failed decision"


def test_it_refuses_an_unregistered_kind(cast):
    with pytest.raises(ServiceError, match="nothing of the kind"):
        signoff_request(
            actor=cast.tenant("owner"),
            subject_kind="nope.nothing",
            subject_id=1,
            subject_label="?",
            approver=cast.users["manager"],
        )


def test_pending_for_lists_only_what_waits_on_that_person(cast, pending):
    assert list(pending_for(cast.users["manager"])) == [pending]
    assert list(pending_for(cast.users["manager"], cast.other_org)) == []
    assert list(pending_for(cast.users["owner"])) == []
    signoff_sign(actor=cast.tenant("manager"), request=pending)
    assert list(pending_for(cast.users["manager"])) == []


def test_it_refuses_a_sign_off_by_the_system_actor(cast, pending, nothing_written):
    from openaims.tenancy.models import Tenant

    unchanged = nothing_written()
    with pytest.raises(Forbidden, match="a person's act"):
        signoff_sign(actor=Tenant.system(cast.org), request=pending)
    with pytest.raises(Forbidden, match="a person's act"):
        soa_publish(actor=Tenant.system(cast.org), approver=cast.users["manager"], confirm_undecided=True)
    assert unchanged()


def test_it_refuses_the_named_approver_acting_through_a_token_that_may_not_approve(cast, pending):
    from openaims.tenancy.models import Tenant
    from openaims.tenancy.services import api_token_create

    manager = cast.tenant("manager")
    token, _secret = api_token_create(actor=manager, name="read only", role="viewer")
    with pytest.raises(Forbidden, match="no longer allows approving"):
        signoff_sign(actor=Tenant(manager.membership, token), request=pending)
    signed = signoff_sign(actor=manager, request=pending)
    assert (signed.status, version_of(pending).approved_by) == ("signed", cast.users["manager"])
