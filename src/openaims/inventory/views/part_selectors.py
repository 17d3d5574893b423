"""Reads for the parts of an AI system, the supplier register and the controls that apply to a system.

The system page shows the parts and controls panels; each runs a fixed number of queries whatever
the number of parts or controls (pinned in tests).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from openaims.inventory.control_links import control_links
from openaims.inventory.models import AIModel, Component, Dataset, Resource, Supplier
from openaims.inventory.vocabulary import vocabulary
from openaims.tenancy.roles import Perm

# A dataset's record is complete for A.7 when these say where the data comes from, its history and its checks.
DATASET_DOCUMENTATION = {
    "source": "source",
    "provenance": "provenance",
    "quality_checks": "quality checks",
}
CONTRACT_WARNING_DAYS = 90


def dataset_missing(dataset: Dataset) -> list[str]:
    """What the dataset's record still lacks (empty when its documentation is complete)."""
    return [label for field, label in DATASET_DOCUMENTATION.items() if not getattr(dataset, field).strip()]


def contract_flag(ends: datetime.date | None, today: datetime.date | None = None) -> str:
    """'ended', 'ending' (within 90 days) or '' for a contract end date."""
    if ends is None:
        return ""
    today = today or timezone.localdate()
    if ends < today:
        return "ended"
    if ends <= today + datetime.timedelta(days=CONTRACT_WARNING_DAYS):
        return "ending"
    return ""


def parts_panel(tenant, system) -> dict:
    """The four tables of the system page's parts panel: one query per kind of part (4 in all)."""
    terms = vocabulary()
    models = list(AIModel.objects.filter(system=system))
    datasets = list(Dataset.objects.filter(system=system))
    for dataset in datasets:
        dataset.missing = dataset_missing(dataset)
        dataset.purpose_label = terms.label("dataset_purposes", dataset.purpose)
    components = list(Component.objects.filter(system=system).select_related("supplier"))
    for component in components:
        component.category_label = terms.label("component_kinds", component.category)
    resources = list(Resource.objects.filter(system=system))
    by_category: dict[str, list[Resource]] = {}
    for resource in resources:
        by_category.setdefault(resource.category, []).append(resource)
    order = [key for key, _label in terms.choices("resource_kinds")]
    resource_groups = [
        {"category": key, "label": terms.label("resource_kinds", key), "items": by_category[key]}
        for key in sorted(by_category, key=lambda k: (order.index(k) if k in order else len(order), k))
    ]
    return {
        "system": system,
        "slug": tenant.organization.slug,
        "can_write": tenant.can(Perm.WRITE),
        "models": models,
        "datasets": datasets,
        "components": components,
        "resources": resources,
        "resource_groups": resource_groups,
        "undocumented_datasets": sum(1 for d in datasets if d.missing),
        "unallocated_components": sum(1 for c in components if not c.responsibilities.strip()),
    }


def controls_panel(tenant, system) -> dict:
    """The controls that apply to the system (one query) and, for writers, those that could (one more)."""
    can_write = tenant.can(Perm.WRITE)
    links = control_links()
    controls = links.for_system(system)
    for control in controls:
        control.status_label = control.get_status_display()
        control.applicability_label = control.get_applicability_display()
    panel = {
        "system": system,
        "slug": tenant.organization.slug,
        "can_write": can_write,
        "controls": controls,
    }
    if can_write:
        panel["linkable"] = links.linkable(system)
    return panel


# --- supplier register -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SupplierFilter:
    q: str = ""
    contract: str = ""  # "ended" | "ending" | "" (any)

    @classmethod
    def from_query(cls, params) -> SupplierFilter:
        contract = params.get("contract", "").strip()
        return cls(q=params.get("q", "").strip()[:200], contract=contract if contract in ("ended", "ending") else "")

    @property
    def active(self) -> bool:
        return bool(self.q or self.contract)


def suppliers_for_register(organization, flt: SupplierFilter = SupplierFilter(), today=None) -> QuerySet:
    """The organization's suppliers with the number of components each supplies, filtered in SQL."""
    today = today or timezone.localdate()
    suppliers = Supplier.objects.filter(organization=organization).annotate(component_count=Count("components"))
    if flt.q:
        suppliers = suppliers.filter(
            Q(name__icontains=flt.q)
            | Q(contact__icontains=flt.q)
            | Q(contract_ref__icontains=flt.q)
            | Q(description__icontains=flt.q)
        )
    if flt.contract == "ended":
        suppliers = suppliers.filter(contract_ends__lt=today)
    elif flt.contract == "ending":
        suppliers = suppliers.filter(
            contract_ends__gte=today, contract_ends__lte=today + datetime.timedelta(days=CONTRACT_WARNING_DAYS)
        )
    return suppliers.order_by("name", "pk")


def supplier_components(supplier: Supplier) -> list[Component]:
    """What the supplier supplies, across the organization's systems (one query)."""
    return list(Component.objects.filter(supplier=supplier).select_related("system").order_by("system__number", "name"))


def organization_suppliers(organization) -> list[Supplier]:
    return list(Supplier.objects.filter(organization=organization).only("pk", "name").order_by("name"))
