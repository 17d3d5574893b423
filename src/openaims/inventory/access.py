"""Fetch one AI system, part or supplier inside the request's organization, or 404."""

from __future__ import annotations

from django.http import Http404

from openaims.inventory.models import AIModel, AISystem, Classification, Component, Dataset, Resource, Supplier
from openaims.tenancy.access import get_for_tenant
from openaims.tenancy.models import Tenant


def get_system_for_tenant(tenant: Tenant, pk) -> AISystem:
    return get_for_tenant(
        AISystem.objects.select_related(
            "organization", "business_owner", "technical_owner", "created_by", "classification"
        ),
        tenant,
        pk,
        what="AI system",
    )


def get_system_by_number_for_tenant(tenant: Tenant, number) -> AISystem:
    return get_for_tenant(
        AISystem.objects.select_related(
            "organization", "business_owner", "technical_owner", "created_by", "classification"
        ),
        tenant,
        number,
        what="AI system",
        key="number",
    )


_PARTS = {"model": AIModel, "dataset": Dataset, "component": Component, "resource": Resource}


def get_part_for_tenant(tenant: Tenant, kind: str, pk, *, system: AISystem | None = None):
    model = _PARTS.get(kind)
    if model is None:
        raise Http404("No such part")
    parts = model.objects.select_related("system", "organization")
    if system is not None:
        parts = parts.filter(system=system)
    return get_for_tenant(parts, tenant, pk, what=kind)


def get_model_for_tenant(tenant, pk):
    return get_part_for_tenant(tenant, "model", pk)


def get_dataset_for_tenant(tenant, pk):
    return get_part_for_tenant(tenant, "dataset", pk)


def get_component_for_tenant(tenant, pk):
    return get_part_for_tenant(tenant, "component", pk)


def get_resource_for_tenant(tenant, pk):
    return get_part_for_tenant(tenant, "resource", pk)


def get_supplier_for_tenant(tenant: Tenant, pk) -> Supplier:
    return get_for_tenant(Supplier.objects.all(), tenant, pk, what="supplier")


def get_classification_for_tenant(tenant: Tenant, pk) -> Classification:
    return get_for_tenant(
        Classification.objects.select_related("system", "created_by"), tenant, pk, what="classification"
    )
