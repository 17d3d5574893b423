"""Fetch an impact assessment or impact inside the request's organization, or 404 (other organizations too)."""

from __future__ import annotations

from django.http import Http404

from openaims.impact.models import Impact, ImpactAssessment
from openaims.tenancy.access import object_pk
from openaims.tenancy.models import Tenant


def get_assessment_for_tenant(tenant: Tenant, pk) -> ImpactAssessment:
    assessment = (
        ImpactAssessment.objects.select_related("organization", "system", "assessor", "approver")
        .filter(organization=tenant.organization, pk=object_pk(pk))
        .first()
    )
    if assessment is None:
        raise Http404("No such impact assessment")
    return assessment


def get_impact_for_tenant(tenant: Tenant, assessment: ImpactAssessment, pk) -> Impact:
    impact = (
        Impact.objects.select_related("risk")
        .filter(organization=tenant.organization, assessment=assessment, pk=object_pk(pk))
        .first()
    )
    if impact is None:
        raise Http404("No such impact in this assessment")
    return impact


def get_impact_by_pk_for_tenant(tenant: Tenant, pk) -> Impact:
    impact = Impact.objects.filter(organization=tenant.organization, pk=object_pk(pk)).first()
    if impact is None:
        raise Http404("No such impact")
    return impact
