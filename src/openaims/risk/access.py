"""Fetch one risk, treatment action or criteria version inside the request's organization, or 404.

Another organization's objects answer 404 like missing ones, so their existence is not revealed.
"""

from __future__ import annotations

from openaims.risk.models import Risk, RiskCriteria, TreatmentAction
from openaims.tenancy.access import get_for_tenant
from openaims.tenancy.models import Tenant


def get_risk_for_tenant(tenant: Tenant, pk) -> Risk:
    return get_for_tenant(
        Risk.objects.select_related("organization", "owner", "created_by", "criteria"), tenant, pk, what="risk"
    )


def get_action_for_tenant(tenant: Tenant, risk: Risk, pk) -> TreatmentAction:
    return get_for_tenant(
        TreatmentAction.objects.select_related("organization", "owner", "risk"),
        tenant,
        pk,
        what="action in this risk's treatment plan",
        risk=risk,
    )


def get_criteria_for_tenant(tenant: Tenant, number) -> RiskCriteria:
    """A criteria version by its number (pages and the API address versions so)."""
    return get_for_tenant(
        RiskCriteria.objects.select_related("created_by", "published_by"),
        tenant,
        number,
        what="version of the risk criteria",
        key="number",
    )


def get_criteria_by_pk_for_tenant(tenant: Tenant, pk) -> RiskCriteria:
    """The audit trail files versions under their primary key."""
    return get_for_tenant(RiskCriteria.objects.all(), tenant, pk, what="version of the risk criteria")
