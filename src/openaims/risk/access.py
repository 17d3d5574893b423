"""Fetch one risk, treatment action or criteria version inside the request's organization, or 404.

Another organization's objects answer 404 like missing ones, so their existence is not revealed.
"""

from __future__ import annotations

from django.http import Http404

from openaims.risk.models import Risk, RiskCriteria, TreatmentAction
from openaims.tenancy.access import object_pk
from openaims.tenancy.models import Tenant


def get_risk_for_tenant(tenant: Tenant, pk) -> Risk:
    risk = (
        Risk.objects.select_related("organization", "owner", "created_by", "criteria")
        .filter(organization=tenant.organization, pk=object_pk(pk))
        .first()
    )
    if risk is None:
        raise Http404("No such risk")
    return risk


def get_action_for_tenant(tenant: Tenant, risk: Risk, pk) -> TreatmentAction:
    action = (
        TreatmentAction.objects.select_related("organization", "owner", "risk")
        .filter(organization=tenant.organization, risk=risk, pk=object_pk(pk))
        .first()
    )
    if action is None:
        raise Http404("No such action in this risk's treatment plan")
    return action


def get_criteria_for_tenant(tenant: Tenant, number) -> RiskCriteria:
    """A criteria version by its number (pages and the API address versions so)."""
    version = (
        RiskCriteria.objects.select_related("created_by", "published_by")
        .filter(organization=tenant.organization, number=object_pk(number))
        .first()
    )
    if version is None:
        raise Http404("No such version of the risk criteria")
    return version


def get_criteria_by_pk_for_tenant(tenant: Tenant, pk) -> RiskCriteria:
    """The audit trail files versions under their primary key."""
    version = RiskCriteria.objects.filter(organization=tenant.organization, pk=object_pk(pk)).first()
    if version is None:
        raise Http404("No such version of the risk criteria")
    return version
