"""Publishing an SoA version the way tests need it most: published, then signed off by the named approver."""

from __future__ import annotations

from openaims.controls.services import SOA_SIGNOFF_KIND, soa_publish
from openaims.signoff.selectors import latest_for_subject
from openaims.signoff.services import signoff_sign
from openaims.tenancy.selectors import tenant_of


def publish_signed(*, actor, approver, note: str = "", sign: bool = True):
    """`actor` (a Tenant) publishes; `approver` (a user) signs as themselves in the same organization."""
    version = soa_publish(actor=actor, approver=approver, note=note, confirm_undecided=True)
    if sign:
        organization = actor.organization
        request = latest_for_subject(organization, SOA_SIGNOFF_KIND, version.pk)
        signoff_sign(actor=tenant_of(approver, organization), request=request)
        version.refresh_from_db()
    return version


def second_approver(cast):
    """A manager who is neither publisher in the role matrix (owner and manager publish there); idempotent."""
    from openaims.accounts.models import User
    from openaims.tenancy.services import membership_add
    from tests.conftest import make_user

    found = User.objects.filter(username="max").first()
    if found is None:
        found = make_user("max")
        membership_add(actor=cast.tenant("owner"), user=found, role="manager")
    return found
