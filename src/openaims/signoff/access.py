"""A sign-off request inside a tenant: another organization's is 404."""

from __future__ import annotations

from django.http import Http404

from openaims.signoff.models import SignOffRequest
from openaims.tenancy.access import object_pk
from openaims.tenancy.models import Tenant


def get_signoff_for_tenant(tenant: Tenant, pk: str | int) -> SignOffRequest:
    request = (
        SignOffRequest.objects.select_related("requester", "approver", "organization")
        .filter(organization=tenant.organization, pk=object_pk(pk))
        .first()
    )
    if request is None:
        raise Http404("No such sign-off request")
    return request
