"""Pages of the AI system register (A.4.2, A.6.2): list, export, one system, register, edit and delete.

Thin views: reads come from `inventory.selectors` and `inventory.duplicates`, every write goes
through `inventory.services`. The system page shows the panels other concerns build (classification,
life cycle, parts, controls, system card) from their own selector functions.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_POST

from openaims.audittrail.history import history_context
from openaims.inventory import card, panels, services
from openaims.inventory.access import get_system_for_tenant
from openaims.inventory.duplicates import similar_systems
from openaims.inventory.exports import FORMATS, SHEET_TITLE, filename
from openaims.inventory.forms import SystemCreateForm, SystemForm, member_label
from openaims.inventory.models import AISystem, RiskClass
from openaims.inventory.selectors import (
    NO_OWNER,
    SORTS,
    SystemFilter,
    register_rows,
    register_summary,
    term_labels,
)
from openaims.inventory.views import part_selectors
from openaims.inventory.views.classification import classification_panel
from openaims.inventory.views.lifecycle import lifecycle_panel
from openaims.inventory.vocabulary import lifecycle, vocabulary
from openaims.lib.concurrency import add_revision, form_status, take_revision
from openaims.lib.errors import ServiceError
from openaims.lib.forms import add_service_error
from openaims.lib.htmx import is_htmx
from openaims.lib.pagination import paginate, query_without_page
from openaims.lib.tabs import tab_list
from openaims.tenancy.access import tenant_view
from openaims.tenancy.roles import Perm
from openaims.tenancy.selectors import members as org_members

REGISTER_PER_PAGE = 50


def _optional_url(name: str, *args) -> str | None:
    """A link to a page another concern provides, or None while it does not exist."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


# --- The register -----------------------------------------------------------------------------------


@tenant_view(Perm.READ)
@require_GET
def system_list_view(request):
    """The register: every AI system of the organization, searchable and filterable, with a summary strip."""
    tenant = request.tenant
    org = tenant.organization
    flt = SystemFilter.from_query(request.GET)
    page = paginate(request, register_rows(org, flt), per_page=REGISTER_PER_PAGE)
    for system in page.object_list:
        system.labels = term_labels(system)
    query = query_without_page(request)
    context = {
        "page": page,
        "filter": flt,
        "query": query,
        "export_links": [
            {
                "key": fmt.key,
                "label": fmt.label,
                "url": reverse("inventory:systems_export", args=[org.slug, fmt.key]) + f"?{query}",
            }
            for fmt in FORMATS.values()
        ],
    }
    if is_htmx(request):
        return render(request, "inventory/_system_rows.html", context)
    words = vocabulary()
    summary = register_summary(org)
    context.update(
        summary=summary,
        stages=lifecycle().choices(),
        risk_classes=RiskClass.choices,
        roles=words.choices("roles"),
        techniques=words.choices("techniques"),
        criticalities=words.choices("criticality"),
        owners=[(user.get_username(), member_label(user)) for user in org_members(org)],
        no_owner=NO_OWNER,
        sorts=list(SORTS.items()),
        can_write=tenant.can(Perm.WRITE),
        import_url=_optional_url("inventory:import_systems", org.slug),
        mlflow_url=_optional_url("inventory:mlflow_sync", org.slug),
    )
    return render(request, "inventory/system_list.html", context)


@tenant_view(Perm.READ)
@require_GET
def system_export_view(request, fmt: str):
    """The register as a file, with the filters of the page (the page number aside)."""
    export = FORMATS.get(fmt)
    if export is None:
        raise Http404("Unknown export format")
    org = request.tenant.organization
    systems = register_rows(org, SystemFilter.from_query(request.GET))
    content = export.render(systems, f"{SHEET_TITLE} — {org.name}")  # complete before anything is sent
    response = HttpResponse(content, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename(org.slug, export.key)}"'
    return response


# --- Registering a system ---------------------------------------------------------------------------


def _similar_url(org) -> str:
    return reverse("inventory:system_similar", args=[org.slug])


def _form_page(request, form, *, system=None, similar=(), status=200):
    tenant = request.tenant
    context = {
        "form": form,
        "groups": form.groups(),
        "system": system,
        "similar": similar,
        "similar_url": _similar_url(tenant.organization),
        "reclassify_fields": [
            form.fields[name].label or name.replace("_", " ").capitalize() for name in AISystem.CLASSIFICATION_INPUTS
        ],
    }
    template = "inventory/system_edit.html" if system is not None else "inventory/system_new.html"
    return render(request, template, context, status=status)


@tenant_view(Perm.WRITE)
def system_create_view(request):
    """Register an AI system; a close match of name or purpose asks for confirmation first (nothing written)."""
    org = request.tenant.organization
    members = org_members(org)
    if request.method != "POST":
        return _form_page(request, SystemCreateForm(members=members))
    form = SystemCreateForm(request.POST, members=members)
    if not form.is_valid():
        return _form_page(request, form, status=400)
    if not form.cleaned_data["confirm_duplicate"]:
        similar = similar_systems(org, form.cleaned_data["name"], form.cleaned_data["purpose"])
        if similar:
            return _form_page(request, form, similar=similar)
    try:
        system = services.system_create(actor=request.tenant, **form.values())
    except ServiceError as exc:
        add_service_error(form, exc)
        return _form_page(request, form, status=400)
    messages.success(request, f"{system.ref} {system.name} was registered.")
    return redirect("inventory:system", org.slug, system.pk)


@tenant_view(Perm.READ)
@require_GET
def system_similar_view(request):
    """HTMX: registered systems close to the name and purpose being typed."""
    org = request.tenant.organization
    exclude = request.GET.get("exclude", "")
    similar = similar_systems(
        org,
        request.GET.get("name", "")[:200],
        request.GET.get("purpose", "")[:2000],
        exclude_pk=int(exclude) if exclude.isdigit() else None,
    )
    return render(request, "inventory/_similar.html", {"similar": similar, "live": True})


# --- One system -------------------------------------------------------------------------------------


SYSTEM_TABS = ["overview", "parts", "controls"]  # then panels.tabs() (risks, assessments), then "history"
TAB_LABELS = {"overview": "Overview", "parts": "Parts", "controls": "Controls", "history": "History", **panels.TABS}


def system_tab_url(slug: str, pk: int, tab: str) -> str:
    return reverse("inventory:system" if tab == "overview" else f"inventory:system_{tab}", args=[slug, pk])


def _tab_context(request, tenant, system, tab: str) -> dict:
    """What one tab shows: only its own panels are built, so a tab costs the queries of what it shows."""
    if tab == "overview":
        return {
            "classification_panel": classification_panel(tenant, system),
            "lifecycle_panel": lifecycle_panel(tenant, system),
            "card_panel": card.card_panel(tenant, system),
            "extra_panels": panels.build_all(tenant, system, tab="overview"),
        }
    if tab == "parts":
        return {"parts_panel": part_selectors.parts_panel(tenant, system)}
    if tab == "controls":
        return {"controls_panel": part_selectors.controls_panel(tenant, system)}
    if tab == "history":
        return history_context(request, tenant, "inventory.aisystem", str(system.pk))
    return {"extra_panels": panels.build_all(tenant, system, tab=tab)}


@tenant_view(Perm.READ)
@require_GET
def system_view(request, pk: int, tab: str = "overview"):
    """One system as tabs, each its own URL: overview (register entry, classification, life cycle, card), parts,
    controls, the tabs other apps fill (risks, assessments) and history. htmx gets the tab region only."""
    tenant = request.tenant
    system = get_system_for_tenant(tenant, pk)
    keys = [*SYSTEM_TABS, *panels.tabs(), "history"]
    if tab not in keys:
        raise Http404("No such tab")
    slug = tenant.organization.slug
    context = {
        "system": system,
        "labels": term_labels(system),
        "first_stage": lifecycle().keys[0],
        "can_write": tenant.can(Perm.WRITE),
        "tab": tab,
        "tabs": tab_list(tab, [(key, TAB_LABELS[key], system_tab_url(slug, system.pk, key), None) for key in keys]),
        "object_type": "inventory.aisystem",
        "object_id": system.pk,
        **_tab_context(request, tenant, system, tab),
    }
    template = "inventory/_system_tabs.html" if is_htmx(request) else "inventory/system_detail.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])  # one URL, two bodies: caches must keep them apart
    return response


@tenant_view(Perm.WRITE)
def system_edit_view(request, pk: int):
    """Change the register entry; a changed classification input marks the EU AI Act classification to redo."""
    tenant = request.tenant
    system = get_system_for_tenant(tenant, pk)
    members = org_members(tenant.organization)
    form = SystemForm(request.POST if request.method == "POST" else None, members=members, system=system)
    add_revision(form, system)
    if request.method != "POST":
        return _form_page(request, form, system=system)
    if not form.is_valid():
        return _form_page(request, form, system=system, status=400)
    was_stale = system.classification_stale
    try:
        updated = services.system_update(
            actor=request.tenant, system=system, expected_revision=take_revision(form), **form.values()
        )
    except ServiceError as exc:
        add_service_error(form, exc)
        return _form_page(request, form, system=system, status=form_status(form))
    if updated.version == system.version:
        messages.info(request, f"{system.ref} was not changed.")
    else:
        messages.success(request, f"{system.ref} was saved.")
    if updated.classification_stale and not was_stale:
        messages.warning(
            request,
            f"A classification input of {system.ref} changed: its EU AI Act classification must be done again.",
        )
    return redirect("inventory:system", tenant.organization.slug, system.pk)


@tenant_view(Perm.WRITE)
@require_POST
def system_delete_view(request, pk: int):
    """Delete an entry registered by mistake; a system past its first stage is refused (retire it instead)."""
    tenant = request.tenant
    system = get_system_for_tenant(tenant, pk)
    ref, name = system.ref, system.name
    try:
        services.system_delete(actor=request.tenant, system=system)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("inventory:system", tenant.organization.slug, system.pk)
    messages.success(request, f"{ref} {name} was deleted.")
    return redirect("inventory:systems", tenant.organization.slug)


urlpatterns = [
    path("o/<slug:org>/systems/", system_list_view, name="systems"),
    path("o/<slug:org>/systems/export.<slug:fmt>", system_export_view, name="systems_export"),
    path("o/<slug:org>/systems/new/", system_create_view, name="system_create"),
    path("o/<slug:org>/systems/similar/", system_similar_view, name="system_similar"),
    path("o/<slug:org>/systems/<int:pk>/", system_view, name="system"),
    *[
        path(f"o/<slug:org>/systems/<int:pk>/{tab}/", system_view, {"tab": tab}, name=f"system_{tab}")
        for tab in ["parts", "controls", *panels.TABS, "history"]
    ],
    path("o/<slug:org>/systems/<int:pk>/edit/", system_edit_view, name="system_edit"),
    path("o/<slug:org>/systems/<int:pk>/delete/", system_delete_view, name="system_delete"),
]
