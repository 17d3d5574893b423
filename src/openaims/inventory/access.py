"""Fetch one AI system, part or supplier inside the request's organization, or 404."""

from __future__ import annotations

from django.http import Http404

from openaims.inventory.models import AIModel, AISystem, Classification, Component, Dataset, Resource, Supplier
from openaims.tenancy.access import object_pk
from openaims.tenancy.models import Tenant


def get_system_for_tenant(tenant: Tenant, pk) -> AISystem:
    system = (
        AISystem.objects.select_related(
            "organization", "business_owner", "technical_owner", "created_by", "classification"
        )
        .filter(organization=tenant.organization, pk=object_pk(pk))
        .first()
    )
    if system is None:
        raise Http404("No such AI system")
    return system


def get_system_by_number_for_tenant(tenant: Tenant, number) -> AISystem:
    system = AISystem.objects.filter(organization=tenant.organization, number=object_pk(number)).first()
    if system is None:
        raise Http404("No such AI system")
    return get_system_for_tenant(tenant, system.pk)


_PARTS = {"model": AIModel, "dataset": Dataset, "component": Component, "resource": Resource}


def get_part_for_tenant(tenant: Tenant, kind: str, pk, *, system: AISystem | None = None):
    model = _PARTS.get(kind)
    if model is None:
        raise Http404("No such part")
    parts = model.objects.select_related("system", "organization").filter(
        organization=tenant.organization, pk=object_pk(pk)
    )
    if system is not None:
        parts = parts.filter(system=system)
    part = parts.first()
    if part is None:
        raise Http404(f"No such {kind}")
    return part


def get_model_for_tenant(tenant, pk):
    return get_part_for_tenant(tenant, "model", pk)


def get_dataset_for_tenant(tenant, pk):
    return get_part_for_tenant(tenant, "dataset", pk)


def get_component_for_tenant(tenant, pk):
    return get_part_for_tenant(tenant, "component", pk)


def get_resource_for_tenant(tenant, pk):
    return get_part_for_tenant(tenant, "resource", pk)


def get_supplier_for_tenant(tenant: Tenant, pk) -> Supplier:
    supplier = Supplier.objects.filter(organization=tenant.organization, pk=object_pk(pk)).first()
    if supplier is None:
        raise Http404("No such supplier")
    return supplier


def get_classification_for_tenant(tenant: Tenant, pk) -> Classification:
    row = (
        Classification.objects.select_related("system", "created_by")
        .filter(organization=tenant.organization, pk=object_pk(pk))
        .first()
    )
    if row is None:
        raise Http404("No such classification")
    return row
