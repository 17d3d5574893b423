"""The "Risks" panel on an AI system's page (registered with inventory.panels in RiskConfig.ready)."""

from __future__ import annotations

from django.urls import reverse

from openaims.risk.models import RiskStatus
from openaims.risk.selectors import risks_for_system
from openaims.tenancy.roles import Perm

SHOWN = 10


def system_risks_panel(tenant, system) -> dict:
    """Open risks naming the system, highest residual first (one query)."""
    slug = tenant.organization.slug
    risks = list(risks_for_system(system).exclude(status=RiskStatus.CLOSED)[: SHOWN + 1])
    return {
        "risks": risks[:SHOWN],
        "more": len(risks) > SHOWN,
        "register_url": f"{reverse('risk:register', args=[slug])}?system={system.number}",
        "heatmap_url": f"{reverse('risk:heatmap', args=[slug])}?system={system.number}",
        "create_url": reverse("risk:create", args=[slug]) if tenant.can(Perm.WRITE) else None,
        "slug": slug,
    }
