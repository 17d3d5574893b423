"""Impact assessment pages: the list, starting one, the assessment with its workflow, and the PDF."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from openaims.impact import selectors, services
from openaims.impact.access import get_assessment_for_tenant, get_impact_for_tenant
from openaims.impact.catalog import impact_catalog
from openaims.impact.forms import ApproveForm, CreateForm, ImpactAddForm, ImpactForm, ReturnForm
from openaims.impact.models import Impact, ImpactAssessment, Status, Trigger
from openaims.inventory.selectors import systems_without
from openaims.lib import pdf
from openaims.lib.concurrency import StaleEdit, add_revision, take_revision
from openaims.lib.errors import ServiceError
from openaims.lib.forms import add_service_error
from openaims.lib.pagination import paginate, query_without_page
from openaims.risk.selectors import open_risks_system_first
from openaims.tenancy.access import tenant_view
from openaims.tenancy.roles import Perm

PER_PAGE = 25


def _url(assessment, anchor: str = "") -> str:
    return reverse("impact:assessment", args=[assessment.organization.slug, assessment.pk]) + (
        f"#{anchor}" if anchor else ""
    )


@tenant_view(Perm.READ)
def list_view(request):
    tenant = request.tenant
    org = tenant.organization
    flt = selectors.ListFilter.from_query(request.GET)
    page = paginate(request, selectors.assessments(org, flt), per_page=PER_PAGE)
    selectors.decorate(page.object_list)
    context = {
        "page": page,
        "filter": flt,
        "query": query_without_page(request),
        "statuses": Status.choices,
        "can_write": tenant.can(Perm.WRITE),
    }
    return render(request, "impact/list.html", context)


def _unassessed_systems(org):
    assessed = ImpactAssessment.objects.filter(organization=org).values("system_id")
    return systems_without(org, assessed)


@tenant_view(Perm.WRITE)
def create_view(request):
    org = request.tenant.organization
    systems = _unassessed_systems(org)
    initial = {"system": request.GET.get("system")} if request.GET.get("system") else None
    form = CreateForm(request.POST if request.method == "POST" else None, systems=systems, initial=initial)
    if request.method == "POST":
        if form.is_valid():
            system = next(s for s in systems if s.pk == form.cleaned_data["system"])
            try:
                assessment = services.impact_assessment_create(
                    actor=request.tenant,
                    system=system,
                    template=form.cleaned_data["template"],
                    sector=form.cleaned_data["sector"],
                    trigger=form.cleaned_data["trigger"],
                )
            except ServiceError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, "The impact assessment was started, pre-filled from the inventory.")
                return redirect(_url(assessment))
        return render(request, "impact/create.html", {"form": form, "systems": systems}, status=400)
    return render(request, "impact/create.html", {"form": form, "systems": systems})


def _sections(assessment):
    catalog = impact_catalog()
    return [
        {"element": e, "name": f"s__{e.id}", "value": assessment.sections.get(e.id, "")}
        for e in catalog.elements_for(assessment.template, assessment.sector)
    ]


def _impact_rows(assessment, scale):
    impacts = list(Impact.objects.filter(assessment=assessment).select_related("risk").order_by("pk"))
    for impact in impacts:
        impact.high = impact.kind == "harm" and scale.is_high(impact.level)
        impact.labels = {
            d: scale.label(d, getattr(impact, d)) for d in ("severity", "likelihood", "reversibility", "scale")
        }
    return impacts


def _context(request, assessment, **extra):
    tenant = request.tenant
    catalog = impact_catalog()
    scale = catalog.scale
    needs_review, changed = selectors.review_needed(assessment)
    editable = assessment.editable and tenant.can(Perm.WRITE)
    impacts = _impact_rows(assessment, scale)
    if editable:
        for impact in impacts:
            impact.form = ImpactForm(
                initial={f: getattr(impact, f) for f in ImpactForm.base_fields}, prefix=f"i{impact.pk}"
            )
            add_revision(impact.form, impact)
    versions = ImpactAssessment.objects.filter(system_id=assessment.system_id).only("pk", "version", "status")
    latest = max(v.version for v in versions)
    context = {
        "assessment": assessment,
        "system": assessment.system,
        "sections": _sections(assessment),
        "fria": [{"element": e, "name": f"f__{e.id}", "value": assessment.fria.get(e.id, "")} for e in catalog.fria]
        if assessment.fria_required
        else [],
        "impacts": impacts,
        "levels": {level.key: level.label for level in scale.levels},
        "template": catalog.template(assessment.template),
        "sector": catalog.sector(assessment.sector),
        "triggers": Trigger.choices,
        "review_needed": needs_review,
        "changed": changed,
        "versions": versions,
        "is_latest": assessment.version == latest,
        "editable": editable,
        "can_submit": editable,
        "can_review": assessment.status == Status.IN_REVIEW and tenant.can(Perm.APPROVE),
        "self_review": assessment.assessor_id == tenant.user.pk,
        "can_new_version": assessment.status == Status.APPROVED
        and assessment.version == latest
        and tenant.can(Perm.WRITE),
        "object_type": "impact.impactassessment",
        "object_id": assessment.pk,
        "error": "",
    }
    context.setdefault("impact_form", ImpactAddForm(risks=_open_risks(assessment)) if editable else None)
    context["approve_form"] = ApproveForm()
    context["return_form"] = ReturnForm()
    context.update(extra)
    return context


def _page(request, assessment, status=200, **extra):
    return render(request, "impact/assessment.html", _context(request, assessment, **extra), status=status)


@tenant_view(Perm.READ)
def assessment_view(request, pk: int):
    return _page(request, get_assessment_for_tenant(request.tenant, pk))


@tenant_view(Perm.WRITE)
@require_POST
def sections_view(request, pk: int):
    assessment = get_assessment_for_tenant(request.tenant, pk)
    sections = {k.removeprefix("s__"): v for k, v in request.POST.items() if k.startswith("s__")}
    fria = {k.removeprefix("f__"): v for k, v in request.POST.items() if k.startswith("f__")}
    revision = request.POST.get("revision", "")
    if not revision.isdigit():
        return _page(request, assessment, status=400, error=OUT_OF_DATE)
    try:
        services.impact_assessment_update(
            actor=request.tenant,
            assessment=assessment,
            sections=sections,
            fria=fria if assessment.fria_required else None,
            trigger=request.POST.get("trigger") or None,
            expected_revision=int(revision),
        )
    except ServiceError as exc:
        return _page(request, assessment, status=_status(exc), error=_refusal(exc))
    messages.success(request, "Saved.")
    return redirect(_url(assessment, "sections"))


OUT_OF_DATE = "This page is out of date: reload it and make your change again."


def _refusal(exc: ServiceError) -> str:
    # A stale edit lists what changed since the page was opened (the page shows the current text).
    return " ".join([exc.message, *(str(d["message"]) for d in exc.details)])


def _status(exc: ServiceError) -> int:
    return 409 if isinstance(exc, StaleEdit) else 400


def _impact_values(form) -> dict:
    return {k: v for k, v in form.cleaned_data.items() if k != "risk"}


def _open_risks(assessment):
    """The organization's open risks, the system's first: the choices for linking a harm (one query)."""
    return open_risks_system_first(assessment.organization_id, assessment.system_id)


@tenant_view(Perm.WRITE)
@require_POST
def impact_add_view(request, pk: int):
    assessment = get_assessment_for_tenant(request.tenant, pk)
    risks = _open_risks(assessment)
    form = ImpactAddForm(request.POST, risks=risks)
    if form.is_valid():
        risk = next((r for r in risks if r.pk == form.cleaned_data.get("risk")), None)
        try:
            impact = services.impact_add(actor=request.tenant, assessment=assessment, risk=risk, **_impact_values(form))
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            if impact.risk_id:
                messages.info(request, f"Rated {impact.level.replace('_', ' ')}: linked to risk {impact.risk.ref}.")
            return redirect(_url(assessment, "impacts"))
    return _page(request, assessment, status=400, impact_form=form, error="The impact was not added; see below.")


@tenant_view(Perm.WRITE)
@require_POST
def impact_edit_view(request, pk: int, impact_pk: int):
    assessment = get_assessment_for_tenant(request.tenant, pk)
    impact = get_impact_for_tenant(request.tenant, assessment, impact_pk)
    form = ImpactForm(request.POST, prefix=f"i{impact.pk}")
    add_revision(form, impact)
    if form.is_valid():
        try:
            revision = take_revision(form)
            services.impact_update(
                actor=request.tenant, impact=impact, expected_revision=revision, **_impact_values(form)
            )
        except ServiceError as exc:
            return _page(request, assessment, status=_status(exc), error=_refusal(exc))
        return redirect(_url(assessment, "impacts"))
    errors = "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items())
    return _page(request, assessment, status=400, error=f"The impact was not saved: {errors}")


@tenant_view(Perm.WRITE)
@require_POST
def impact_delete_view(request, pk: int, impact_pk: int):
    assessment = get_assessment_for_tenant(request.tenant, pk)
    impact = get_impact_for_tenant(request.tenant, assessment, impact_pk)
    try:
        services.impact_delete(actor=request.tenant, impact=impact)
    except ServiceError as exc:
        return _page(request, assessment, status=400, error=exc.message)
    return redirect(_url(assessment, "impacts"))


@tenant_view(Perm.WRITE)
@require_POST
def submit_view(request, pk: int):
    assessment = get_assessment_for_tenant(request.tenant, pk)
    try:
        services.impact_assessment_submit(actor=request.tenant, assessment=assessment)
    except ServiceError as exc:
        return _page(request, assessment, status=400, error=exc.message)
    messages.success(request, "Submitted for review.")
    return redirect(_url(assessment))


@tenant_view(Perm.APPROVE)
@require_POST
def approve_view(request, pk: int):
    tenant = request.tenant
    assessment = get_assessment_for_tenant(tenant, pk)
    form = ApproveForm(request.POST)
    if form.is_valid():
        try:
            services.impact_assessment_approve(
                actor=request.tenant,
                assessment=assessment,
                decision=form.cleaned_data["decision"],
                review_date=form.cleaned_data["review_date"],
            )
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, f"Version {assessment.version} approved.")
            return redirect(_url(assessment))
    return _page(request, assessment, status=400, approve_form=form, error="Not approved; see the review form.")


@tenant_view(Perm.APPROVE)
@require_POST
def return_view(request, pk: int):
    tenant = request.tenant
    assessment = get_assessment_for_tenant(tenant, pk)
    form = ReturnForm(request.POST)
    if form.is_valid():
        try:
            services.impact_assessment_return(
                actor=request.tenant, assessment=assessment, reason=form.cleaned_data["reason"]
            )
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, "Returned to the assessor.")
            return redirect(_url(assessment))
    return _page(request, assessment, status=400, return_form=form, error="Not returned; see the review form.")


@tenant_view(Perm.WRITE)
@require_POST
def new_version_view(request, pk: int):
    assessment = get_assessment_for_tenant(request.tenant, pk)
    trigger = request.POST.get("trigger") or Trigger.SIGNIFICANT_CHANGE
    try:
        new = services.impact_assessment_new_version(actor=request.tenant, assessment=assessment, trigger=trigger)
    except ServiceError as exc:
        return _page(request, assessment, status=400, error=exc.message)
    messages.success(request, f"Version {new.version} started from version {assessment.version}.")
    return redirect(_url(new))


@tenant_view(Perm.READ)
def pdf_view(request, pk: int):
    assessment = get_assessment_for_tenant(request.tenant, pk)
    context = _context(request, assessment)
    context["organization"] = request.tenant.organization
    html = render_to_string("impact/pdf/assessment.html", context)
    try:
        data = pdf.render_pdf(html, what="impact assessment PDF")
    except ServiceError as exc:
        return _page(request, assessment, status=400, error=exc.message)
    response = HttpResponse(data, content_type="application/pdf")
    name = f"impact-assessment-AIS-{assessment.system.number}-v{assessment.version}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


urlpatterns = [
    path("o/<slug:org>/impact/", list_view, name="list"),
    path("o/<slug:org>/impact/new/", create_view, name="create"),
    path("o/<slug:org>/impact/<int:pk>/", assessment_view, name="assessment"),
    path("o/<slug:org>/impact/<int:pk>/sections/", sections_view, name="sections"),
    path("o/<slug:org>/impact/<int:pk>/impacts/", impact_add_view, name="impact_add"),
    path("o/<slug:org>/impact/<int:pk>/impacts/<int:impact_pk>/", impact_edit_view, name="impact_edit"),
    path("o/<slug:org>/impact/<int:pk>/impacts/<int:impact_pk>/delete/", impact_delete_view, name="impact_delete"),
    path("o/<slug:org>/impact/<int:pk>/submit/", submit_view, name="submit"),
    path("o/<slug:org>/impact/<int:pk>/approve/", approve_view, name="approve"),
    path("o/<slug:org>/impact/<int:pk>/return/", return_view, name="return"),
    path("o/<slug:org>/impact/<int:pk>/new-version/", new_version_view, name="new_version"),
    path("o/<slug:org>/impact/<int:pk>/pdf/", pdf_view, name="pdf"),
]
