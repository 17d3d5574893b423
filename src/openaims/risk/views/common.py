"""Small helpers the risk pages share."""

from __future__ import annotations

from openaims.tenancy.models import Membership


def members(organization) -> list:
    """The organization's members (users), in one query: owner choices and filters."""
    return [
        m.user
        for m in Membership.objects.filter(organization=organization).select_related("user").order_by("user__username")
    ]
