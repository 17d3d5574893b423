"""Pages for the parts of an AI system (models, datasets, third-party components, resources: A.4, A.6.2,
A.7, A.10), the supplier register (A.10.3) and linking a control to a system from the system's page.

Thin views: reads come from `inventory.views.part_selectors` and `inventory.access`, writes go through
`inventory.services` (and `controls.services` for the control link).
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import path, register_converter, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from openaims.inventory import services
from openaims.inventory.access import get_part_for_tenant, get_supplier_for_tenant, get_system_for_tenant
from openaims.inventory.control_links import control_links
from openaims.inventory.views.part_forms import (
    PART_ARTICLES,
    PART_FORMS,
    PART_GUIDANCE,
    PART_LABELS,
    ControlLinkForm,
    SupplierForm,
    part_form,
)
from openaims.inventory.views.part_selectors import (
    SupplierFilter,
    contract_flag,
    dataset_missing,
    organization_suppliers,
    supplier_components,
    suppliers_for_register,
)
from openaims.inventory.vocabulary import vocabulary
from openaims.lib.concurrency import add_revision, form_status, take_revision
from openaims.lib.errors import ServiceError
from openaims.lib.forms import add_service_error
from openaims.lib.pagination import paginate, query_without_page
from openaims.tenancy.access import tenant_view
from openaims.tenancy.roles import Perm

SUPPLIERS_PER_PAGE = 50


class PartKindConverter:
    """The part segment of a URL: only the four kinds, so other system sub-pages are not shadowed."""

    regex = "model|dataset|component|resource"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(PartKindConverter, "partkind")


def _system_url(system, tab: str = "parts") -> str:
    """The system page's tab that lists what was changed (parts or controls)."""
    return reverse(f"inventory:system_{tab}", args=[system.organization.slug, system.pk])


def _part_url(part, kind: str, name: str = "part_detail") -> str:
    return reverse(f"inventory:{name}", args=[part.organization.slug, part.system_id, kind, part.pk])


# --- Parts of a system ------------------------------------------------------------------------------


def _suppliers_for(kind: str, organization) -> list:
    return organization_suppliers(organization) if kind == "component" else []


def _form_page(request, system, kind, form, *, part=None, status=200):
    context = {
        "system": system,
        "kind": kind,
        "kind_label": PART_LABELS[kind],
        "kind_article": PART_ARTICLES[kind],
        "guidance": PART_GUIDANCE[kind],
        "form": form,
        "part": part,
    }
    return render(request, "inventory/part_form.html", context, status=status)


@tenant_view(Perm.WRITE)
def part_create_view(request, pk: int, kind: str):
    """Add a model, dataset, third-party component or resource to a system."""
    tenant = request.tenant
    system = get_system_for_tenant(tenant, pk)
    suppliers = _suppliers_for(kind, tenant.organization)
    if request.method != "POST":
        return _form_page(request, system, kind, part_form(kind, suppliers=suppliers))
    form = part_form(kind, request.POST, suppliers=suppliers)
    if form.is_valid():
        try:
            part = services.part_create(actor=request.tenant, system=system, kind=kind, **form.values())
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, f"{PART_LABELS[kind].capitalize()} {part} was added to {system.ref}.")
            return redirect(_system_url(system))
    return _form_page(request, system, kind, form, status=400)


def _facts(kind: str, part) -> list[dict]:
    """Label, value (and link) for every field the form records; vocabulary keys shown as their labels."""
    terms = vocabulary()
    facts = []
    for name, field in PART_FORMS[kind].base_fields.items():
        label = field.label or name.replace("_", " ").capitalize()
        value, url = getattr(part, name), None
        if name == "purpose":
            value = terms.label("dataset_purposes", value)
        elif name == "category":
            value = terms.label("component_kinds" if kind == "component" else "resource_kinds", value)
        elif name == "supplier":
            if value is not None:
                url = reverse("inventory:supplier_detail", args=[part.organization.slug, value.pk])
                value = value.name
        elif isinstance(value, bool):
            value = "Yes" if value else "No"
        facts.append({"name": name, "label": label, "value": value, "url": url})
    return facts


@tenant_view(Perm.READ)
def part_detail_view(request, pk: int, kind: str, part: int):
    tenant = request.tenant
    system = get_system_for_tenant(tenant, pk)
    item = get_part_for_tenant(tenant, kind, part, system=system)
    context = {
        "system": system,
        "kind": kind,
        "kind_label": PART_LABELS[kind],
        "kind_article": PART_ARTICLES[kind],
        "part": item,
        "facts": _facts(kind, item),
        "missing": dataset_missing(item) if kind == "dataset" else [],
        "can_write": tenant.can(Perm.WRITE),
        "object_type": item._meta.label_lower,
        "object_id": item.pk,
    }
    return render(request, "inventory/part_detail.html", context)


@tenant_view(Perm.WRITE)
def part_edit_view(request, pk: int, kind: str, part: int):
    tenant = request.tenant
    system = get_system_for_tenant(tenant, pk)
    item = get_part_for_tenant(tenant, kind, part, system=system)
    suppliers = _suppliers_for(kind, tenant.organization)
    form = part_form(kind, request.POST if request.method == "POST" else None, part=item, suppliers=suppliers)
    add_revision(form, item)
    if request.method != "POST":
        return _form_page(request, system, kind, form, part=item)
    if form.is_valid():
        try:
            revision = take_revision(form)
            services.part_update(actor=request.tenant, part=item, expected_revision=revision, **form.values())
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, f"{PART_LABELS[kind].capitalize()} {item} was saved.")
            return redirect(_part_url(item, kind))
    return _form_page(request, system, kind, form, part=item, status=form_status(form))


@tenant_view(Perm.WRITE)
@require_POST
def part_delete_view(request, pk: int, kind: str, part: int):
    tenant = request.tenant
    system = get_system_for_tenant(tenant, pk)
    item = get_part_for_tenant(tenant, kind, part, system=system)
    label = str(item)
    try:
        services.part_delete(actor=request.tenant, part=item)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect(_part_url(item, kind))
    messages.success(request, f"{PART_LABELS[kind].capitalize()} {label} was removed from {system.ref}.")
    return redirect(_system_url(system))


@tenant_view(Perm.WRITE)
@require_POST
def system_control_link_view(request, pk: int):
    """From the system page: say one of the organization's controls applies to this system."""
    tenant = request.tenant
    system = get_system_for_tenant(tenant, pk)
    form = ControlLinkForm(request.POST, controls=control_links().for_organization(tenant.organization))
    if form.is_valid():
        control = form.cleaned_data["control"]
        try:
            control_links().link(actor=request.tenant, control=control, system=system)
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"{control.ref_id} now applies to {system.ref}.")
    else:
        messages.error(request, "Choose one of the organization's controls to link.")
    return redirect(_system_url(system, "controls"))


# --- Supplier register ------------------------------------------------------------------------------


@tenant_view(Perm.READ)
def supplier_list_view(request):
    """The organization's suppliers of AI components and services, with their contract end dates."""
    tenant = request.tenant
    flt = SupplierFilter.from_query(request.GET)
    today = timezone.localdate()
    page = paginate(request, suppliers_for_register(tenant.organization, flt, today), per_page=SUPPLIERS_PER_PAGE)
    for supplier in page.object_list:
        supplier.contract_flag = contract_flag(supplier.contract_ends, today)
    context = {
        "page": page,
        "filter": flt,
        "query": query_without_page(request),
        "can_write": tenant.can(Perm.WRITE),
    }
    return render(request, "inventory/supplier_list.html", context)


def _supplier_form_page(request, form, *, supplier=None, status=200):
    return render(request, "inventory/supplier_form.html", {"form": form, "supplier": supplier}, status=status)


@tenant_view(Perm.WRITE)
def supplier_create_view(request):
    org = request.tenant.organization
    if request.method != "POST":
        return _supplier_form_page(request, SupplierForm())
    form = SupplierForm(request.POST)
    if form.is_valid():
        try:
            supplier = services.supplier_create(actor=request.tenant, **form.cleaned_data)
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, f"{supplier.name} was added to the supplier register.")
            return redirect("inventory:supplier_detail", org.slug, supplier.pk)
    return _supplier_form_page(request, form, status=400)


@tenant_view(Perm.READ)
def supplier_detail_view(request, pk: int):
    """One supplier: the contract, and what it supplies across the organization's systems."""
    tenant = request.tenant
    supplier = get_supplier_for_tenant(tenant, pk)
    terms = vocabulary()
    components = supplier_components(supplier)
    for component in components:
        component.category_label = terms.label("component_kinds", component.category)
    context = {
        "supplier": supplier,
        "contract_flag": contract_flag(supplier.contract_ends),
        "components": components,
        "can_write": tenant.can(Perm.WRITE),
        "object_type": "inventory.supplier",
        "object_id": supplier.pk,
    }
    return render(request, "inventory/supplier_detail.html", context)


@tenant_view(Perm.WRITE)
def supplier_edit_view(request, pk: int):
    tenant = request.tenant
    supplier = get_supplier_for_tenant(tenant, pk)
    form = SupplierForm(request.POST if request.method == "POST" else None, supplier=supplier)
    add_revision(form, supplier)
    if request.method != "POST":
        return _supplier_form_page(request, form, supplier=supplier)
    if form.is_valid():
        try:
            revision = take_revision(form)
            services.supplier_update(
                actor=request.tenant, supplier=supplier, expected_revision=revision, **form.cleaned_data
            )
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, f"{supplier.name} was saved.")
            return redirect("inventory:supplier_detail", tenant.organization.slug, supplier.pk)
    return _supplier_form_page(request, form, supplier=supplier, status=form_status(form))


@tenant_view(Perm.WRITE)
@require_POST
def supplier_delete_view(request, pk: int):
    """Delete a supplier; refused while a component names it (reassign or remove those first)."""
    tenant = request.tenant
    supplier = get_supplier_for_tenant(tenant, pk)
    name = supplier.name
    try:
        services.supplier_delete(actor=request.tenant, supplier=supplier)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("inventory:supplier_detail", tenant.organization.slug, supplier.pk)
    messages.success(request, f"{name} was removed from the supplier register.")
    return redirect("inventory:suppliers", tenant.organization.slug)


PART = "o/<slug:org>/systems/<int:pk>/<partkind:kind>"
urlpatterns = [
    path(f"{PART}/new/", part_create_view, name="part_create"),
    path(f"{PART}/<int:part>/", part_detail_view, name="part_detail"),
    path(f"{PART}/<int:part>/edit/", part_edit_view, name="part_edit"),
    path(f"{PART}/<int:part>/delete/", part_delete_view, name="part_delete"),
    path("o/<slug:org>/systems/<int:pk>/controls/link/", system_control_link_view, name="system_control_link"),
    path("o/<slug:org>/suppliers/", supplier_list_view, name="suppliers"),
    path("o/<slug:org>/suppliers/new/", supplier_create_view, name="supplier_create"),
    path("o/<slug:org>/suppliers/<int:pk>/", supplier_detail_view, name="supplier_detail"),
    path("o/<slug:org>/suppliers/<int:pk>/edit/", supplier_edit_view, name="supplier_edit"),
    path("o/<slug:org>/suppliers/<int:pk>/delete/", supplier_delete_view, name="supplier_delete"),
]
