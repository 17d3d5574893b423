"""The risk register (6.1.2) with its filters, the heat map, and the register's exports (CSV, XLSX, PDF plan)."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone

from openaims.inventory.models import AISystem
from openaims.lib.errors import ServiceError
from openaims.lib.pagination import paginate, query_without_page
from openaims.risk import exports, selectors
from openaims.risk.models import Risk, RiskStatus, TreatmentOption
from openaims.risk.pdf import MAX_RISKS, PlanMeta, treatment_plan_pdf
from openaims.risk.selectors import SORT_LABELS, Levels, RegisterFilter
from openaims.risk.views.common import is_htmx, members
from openaims.tenancy.access import tenant_view
from openaims.tenancy.roles import Perm

REGISTER_PER_PAGE = 50
EXPORTS = (("csv", "CSV"), ("xlsx", "Excel (XLSX)"), ("pdf", "Treatment plan (PDF)"))


def _system(organization, number):
    if number is None:
        return None

    return AISystem.objects.filter(organization=organization, number=number).only("number", "name").first()


def _describe_cell(flt: RegisterFilter, data) -> str:
    parts = []
    for kind, li, ci in (("inherent", flt.il, flt.ic), ("residual", flt.rl, flt.rc)):
        if li is not None:
            parts.append(
                f"{kind} likelihood {li} ({data.scale_name('likelihood', li)}) × "  # noqa: RUF001
                f"consequence {ci} ({data.scale_name('consequence', ci)})"
            )
    return "; ".join(parts)


@tenant_view(Perm.READ)
def register_view(request):
    """The register: filter by level, AI system, owner, status, treatment, overdue review; search; sort; page."""
    tenant = request.tenant
    org = tenant.organization
    version, data = selectors.criteria_in_force(org)
    levels = Levels(data)
    flt = RegisterFilter.from_query(request.GET)
    current_id = version.pk if version else None
    page = paginate(request, selectors.register(org, flt, current_id=current_id), per_page=REGISTER_PER_PAGE)
    selectors.decorate(page.object_list, levels)
    query = query_without_page(request)
    suffix = f"?{query}" if query else ""
    context = {
        "page": page,
        "filter": flt,
        "query": query,
        "cell": _describe_cell(flt, data),
        # In the rows fragment, so that they follow the filters as they change.
        "exports": [
            {"key": key, "label": label, "url": reverse("risk:export", args=[org.slug, key]) + suffix}
            for key, label in EXPORTS
        ],
        "heatmap_url": reverse("risk:heatmap", args=[org.slug])
        + (f"?{flt.without_cells().query()}" if flt.active else ""),
    }
    if is_htmx(request):
        return render(request, "risk/_register_rows.html", context)
    today = timezone.localdate()
    context.update(
        version=version,
        levels=levels.choices(),
        statuses=RiskStatus.choices,
        treatments=TreatmentOption.choices,
        sorts=list(SORT_LABELS.items()),
        owners=members(org),
        system=_system(org, flt.system),
        overdue_count=Risk.objects.filter(organization=org, review_date__lt=today)
        .exclude(status=RiskStatus.CLOSED)
        .count(),
        can_write=tenant.can(Perm.WRITE),
    )
    return render(request, "risk/register.html", context)


@tenant_view(Perm.READ)
def heatmap_view(request):
    """Two grids, inherent and residual: risks per cell (one aggregate query each); a cell links to its risks."""
    tenant = request.tenant
    org = tenant.organization
    version, data = selectors.criteria_in_force(org)
    flt = RegisterFilter.from_query(request.GET).without_cells()
    grids = selectors.heatmap(org, data, flt, current_id=version.pk if version else None)
    context = {
        "version": version,
        "criteria": data,
        "grids": [grids["inherent"], grids["residual"]],
        "filter": flt,
        "register_url": reverse("risk:register", args=[org.slug]),
        "statuses": RiskStatus.choices,
        "owners": members(org),
        "system": _system(org, flt.system),
    }
    return render(request, "risk/heatmap.html", context)


def _filename(org, kind: str, extension: str) -> str:
    return f"{kind}-{org.slug}-{timezone.localdate():%Y-%m-%d}.{extension}"


@tenant_view(Perm.READ)
def export_view(request, fmt: str):
    """The filtered register as CSV or XLSX, or its treatment plan as PDF (built whole before it is sent)."""
    if fmt not in dict(EXPORTS):
        raise Http404("Unknown export format")
    org = request.tenant.organization
    version, data = selectors.criteria_in_force(org)
    levels = Levels(data)
    flt = RegisterFilter.from_query(request.GET)
    current_id = version.pk if version else None
    if fmt == "pdf":
        count = selectors.register(org, flt, current_id=current_id).count()
        if count > MAX_RISKS:
            return render(
                request,
                "400.html",
                {
                    "title": "Too many risks for one treatment plan",
                    "reason": f"The filters keep {count:,} risks; a treatment plan PDF holds at most {MAX_RISKS}. "
                    "Narrow the register's filters (an AI system, a level, an owner) and download again.",
                },
                status=400,
            )
    risks = selectors.decorate(selectors.export_risks(org, flt, current_id=current_id), levels)
    try:
        if fmt == "csv":
            content, content_type = exports.register_csv(risks, levels), "text/csv; charset=utf-8"
            name = _filename(org, "risk-register", "csv")
        elif fmt == "xlsx":
            content = exports.register_xlsx(risks, levels, organization=org.name)
            content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            name = _filename(org, "risk-register", "xlsx")
        else:
            meta = PlanMeta(
                organization=org.name,
                slug=org.slug,
                criteria_version=version.number if version else None,
                filter_summary="filtered" if flt.active else "",
            )
            content, content_type = treatment_plan_pdf(risks, meta, levels), "application/pdf"
            name = _filename(org, "risk-treatment-plan", "pdf")
    except ServiceError as exc:
        return render(request, "400.html", {"title": "This export is not available", "reason": exc.message}, status=400)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


urlpatterns = [
    path("o/<slug:org>/risks/", register_view, name="register"),
    path("o/<slug:org>/risks/heatmap/", heatmap_view, name="heatmap"),
    path("o/<slug:org>/risks/export.<slug:fmt>", export_view, name="export"),
]
