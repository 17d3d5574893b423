"""Fetch one control, piece of evidence or SoA version inside the request's organization, or 404.

Another organization's objects answer 404 like missing ones, so their existence is not revealed.
"""

from __future__ import annotations

from django.http import Http404

from openaims.controls.models import Control, Evidence, SoAVersion
from openaims.tenancy.access import object_pk
from openaims.tenancy.models import Tenant


def get_control_for_tenant(tenant: Tenant, pk) -> Control:
    control = (
        Control.objects.select_related("owner", "catalog_node__framework", "organization")
        .filter(organization=tenant.organization, pk=object_pk(pk))
        .first()
    )
    if control is None:
        raise Http404("No such control")
    return control


def get_evidence_for_tenant(tenant: Tenant, pk) -> Evidence:
    evidence = Evidence.objects.filter(organization=tenant.organization, pk=object_pk(pk)).first()
    if evidence is None:
        raise Http404("No such evidence")
    return evidence


def get_soa_version_for_tenant(tenant: Tenant, number) -> SoAVersion:
    version = (
        SoAVersion.objects.select_related("approved_by", "published_by", "approver")
        .filter(organization=tenant.organization, number=object_pk(number))
        .first()
    )
    if version is None:
        raise Http404("No such SoA version")
    return version


def get_soa_version_by_pk_for_tenant(tenant: Tenant, pk) -> SoAVersion:
    """The audit trail files versions under their primary key; pages address them by number."""
    version = SoAVersion.objects.filter(organization=tenant.organization, pk=object_pk(pk)).first()
    if version is None:
        raise Http404("No such SoA version")
    return version
