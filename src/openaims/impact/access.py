"""Fetch an impact assessment or impact inside the request's organization, or 404 (other organizations too)."""

from __future__ import annotations

from openaims.impact.models import Impact, ImpactAssessment
from openaims.tenancy.access import get_for_tenant
from openaims.tenancy.models import Tenant


def get_assessment_for_tenant(tenant: Tenant, pk) -> ImpactAssessment:
    return get_for_tenant(
        ImpactAssessment.objects.select_related("organization", "system", "assessor", "approver"),
        tenant,
        pk,
        what="impact assessment",
    )


def get_impact_for_tenant(tenant: Tenant, assessment: ImpactAssessment, pk) -> Impact:
    return get_for_tenant(
        Impact.objects.select_related("risk"), tenant, pk, what="impact in this assessment", assessment=assessment
    )


def get_impact_by_pk_for_tenant(tenant: Tenant, pk) -> Impact:
    return get_for_tenant(Impact.objects.all(), tenant, pk, what="impact")
