"""The shell's own dashboard tiles (members, audit events); apps add theirs through `web.tiles.register`."""

from __future__ import annotations

from django.urls import reverse

from openaims.audittrail.models import AuditEvent
from openaims.tenancy.models import Membership, Tenant
from openaims.tenancy.roles import Perm
from openaims.web.tiles import Tile


def members_tile(tenant: Tenant) -> Tile:
    org = tenant.organization
    by_role: dict[str, int] = {}
    for role in Membership.objects.filter(organization=org).values_list("role", flat=True):
        by_role[role] = by_role.get(role, 0) + 1
    return Tile(
        label="members",
        figure=sum(by_role.values()),
        note=", ".join(f"{n} {role}" for role, n in sorted(by_role.items())),
        url=reverse("tenancy:members", args=[org.slug]),
        definition="People who belong to this organization, whatever their role.",
        computed="Active memberships; pending invitations are not counted.",
        source="Roles & members (5.3)",
    )


def audit_events_tile(tenant: Tenant) -> Tile | None:
    if not tenant.can(Perm.AUDIT_LOG):
        return None
    org = tenant.organization
    return Tile(
        label="audit events",
        figure=AuditEvent.objects.for_organization(org).count(),
        note="hash-chained, verifiable",
        url=reverse("audittrail:log", args=[org.slug]),
        definition="Every recorded change in this organization: who did what, when, through which channel.",
        computed="All events of the organization's hash chain since it was created.",
        source="Audit trail (7.5.3)",
    )
