"""The "Impact assessments" panel on an AI system's page (registered with inventory.panels in ready())."""

from __future__ import annotations

from django.urls import reverse

from openaims.impact.models import ImpactAssessment
from openaims.impact.selectors import review_needed
from openaims.tenancy.roles import Perm

SHOWN = 5


def system_impact_panel(tenant, system) -> dict:
    """The system's assessment versions, newest first, and whether the latest approved one needs review."""
    slug = tenant.organization.slug
    versions = list(
        ImpactAssessment.objects.filter(organization=tenant.organization, system=system)
        .select_related("assessor", "approver")
        .order_by("-version")[:SHOWN]
    )
    needs_review, changed = (False, [])
    latest_approved = next((a for a in versions if a.status == "approved"), None)
    if latest_approved is not None and latest_approved is versions[0]:
        latest_approved.system = system  # the snapshot compares against the system already loaded
        needs_review, changed = review_needed(latest_approved)
    return {
        "versions": versions,
        "needs_review": needs_review,
        "changed": changed,
        "slug": slug,
        "create_url": f"{reverse('impact:create', args=[slug])}?system={system.pk}" if tenant.can(Perm.WRITE) else None,
    }
