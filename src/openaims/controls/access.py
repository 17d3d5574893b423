"""Fetch one control, piece of evidence or SoA version inside the request's organization, or 404.

Another organization's objects answer 404 like missing ones, so their existence is not revealed.
"""

from __future__ import annotations

from openaims.controls.models import Control, Evidence, SoAVersion
from openaims.tenancy.access import get_for_tenant
from openaims.tenancy.models import Tenant


def get_control_for_tenant(tenant: Tenant, pk) -> Control:
    return get_for_tenant(
        Control.objects.select_related("owner", "catalog_node__framework", "organization"), tenant, pk, what="control"
    )


def get_evidence_for_tenant(tenant: Tenant, pk) -> Evidence:
    return get_for_tenant(Evidence.objects.all(), tenant, pk, what="evidence")


def get_soa_version_for_tenant(tenant: Tenant, number) -> SoAVersion:
    return get_for_tenant(
        SoAVersion.objects.select_related("approved_by", "published_by", "approver"),
        tenant,
        number,
        what="SoA version",
        key="number",
    )


def get_soa_version_by_pk_for_tenant(tenant: Tenant, pk) -> SoAVersion:
    """The audit trail files versions under their primary key; pages address them by number."""
    return get_for_tenant(SoAVersion.objects.all(), tenant, pk, what="SoA version")
