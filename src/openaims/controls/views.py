"""Pages for the control register, the Statement of Applicability (6.1.3) and framework coverage (9.1).

Thin views: reads come from `controls.selectors`, every write goes through `controls.services`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from openaims.catalog.selectors import (
    framework_loaded,
    framework_slug,
    frameworks_with_controls,
    get_framework,
    search_assessable,
)
from openaims.controls import exports, services
from openaims.controls.access import get_control_for_tenant, get_evidence_for_tenant, get_soa_version_for_tenant
from openaims.controls.forms import (
    ControlCreateForm,
    ControlEditForm,
    DiffForm,
    EvidenceForm,
    PublishForm,
    RequirementLinkForm,
    SystemLinkForm,
)
from openaims.controls.models import (
    Applicability,
    ControlEvidence,
    ControlRequirement,
    ControlSystem,
    ImplementationStatus,
    SoAStatus,
    SoAVersion,
)
from openaims.controls.selectors import (
    FLAG_TEXT,
    SoARow,
    control_systems,
    coverage,
    linkable_systems,
    soa_diff,
    soa_row,
    soa_rows,
    soa_summary,
)
from openaims.inventory.selectors import systems_for_picker
from openaims.lib.concurrency import form_status, take_revision
from openaims.lib.errors import ServiceError
from openaims.lib.forms import add_service_error
from openaims.lib.htmx import is_htmx
from openaims.lib.pagination import paginate, query_without_page
from openaims.signoff import selectors as signoff_selectors
from openaims.tenancy.access import require, tenant_view
from openaims.tenancy.roles import Perm, has_perm
from openaims.tenancy.selectors import memberships

STATUS_LABELS = dict(ImplementationStatus.choices)
APPLICABILITY_LABELS = dict(Applicability.choices)
REGISTER_PER_PAGE = 50  # the 38 Annex A controls and a few of one's own fit on one page


def _members(organization) -> list[tuple[object, str]]:
    """(user, role) for every member, in one query: owner choices, approver choices and display names."""
    return [(m.user, m.role) for m in memberships(organization)]


def _decorate(rows: list[SoARow], members=()) -> list[SoARow]:
    """Labels for the templates (which cannot look values up in a dict)."""
    names = {user.get_username(): user.display_name for user, _role in members}
    for row in rows:
        row.flag_texts = [FLAG_TEXT.get(flag, flag) for flag in row.flags]
        row.status_label = STATUS_LABELS.get(row.status, row.status)
        row.applicability_label = exports.applicability_label(row)
        row.owner_name = names.get(row.owner, row.owner) if row.owner else None
    return rows


@dataclass(frozen=True)
class RowFilter:
    """The register's and the SoA's filters, read from the query string; unknown values are ignored."""

    q: str = ""
    status: str = ""
    applicability: str = ""
    owner: str = ""  # a username, or "none" for controls without an owner
    group: str = ""
    flag: str = ""
    flagged: bool = False

    @classmethod
    def from_query(cls, params) -> RowFilter:
        def pick(name, allowed):
            value = params.get(name, "").strip()
            return value if value in allowed else ""

        return cls(
            q=params.get("q", "").strip(),
            status=pick("status", ImplementationStatus.values),
            applicability=pick("applicability", Applicability.values),
            owner=params.get("owner", "").strip(),
            group=params.get("group", "").strip(),
            flag=pick("flag", FLAG_TEXT),
            flagged=params.get("flagged") in ("1", "on", "true"),
        )

    @property
    def active(self) -> bool:
        return any((self.q, self.status, self.applicability, self.owner, self.group, self.flag, self.flagged))

    def keep(self, row: SoARow) -> bool:
        needle = self.q.casefold()
        return (
            (not needle or needle in row.ref_id.casefold() or needle in row.title.casefold())
            and (not self.status or row.status == self.status)
            and (not self.applicability or row.applicability == self.applicability)
            and (not self.owner or row.owner == (None if self.owner == "none" else self.owner))
            and (not self.group or row.group == self.group)
            and (not self.flag or self.flag in row.flags)
            and (not self.flagged or bool(row.flags))
        )

    def apply(self, rows: list[SoARow]) -> list[SoARow]:
        return [row for row in rows if self.keep(row)]


# --- Control register -------------------------------------------------------------------------------


@tenant_view(Perm.READ)
def control_list_view(request):
    """The control register: every adopted and own control, searchable, with its SoA flags."""
    return _register_page(request)


def _register_page(request, *, create_form=None, status=200):
    tenant = request.tenant
    org = tenant.organization
    members = _members(org)
    # The derived SoA rows carry everything the register shows, in a fixed number of queries.
    rows = soa_rows(org)
    flt = RowFilter.from_query(request.GET)
    page = paginate(request, flt.apply(rows), per_page=REGISTER_PER_PAGE)
    _decorate(page.object_list, members)
    context = {
        "page": page,
        "filter": flt,
        "query": query_without_page(request),
        "has_controls": bool(rows),
    }
    if is_htmx(request):
        return render(request, "controls/_control_rows.html", context)
    context.update(
        statuses=ImplementationStatus.choices,
        applicabilities=Applicability.choices,
        owners=[user for user, _role in members],
        groups=sorted({row.group for row in rows if row.group}),
        can_write=tenant.can(Perm.WRITE),
        can_approve=tenant.can(Perm.APPROVE),
    )
    if context["can_write"]:
        context["create_form"] = create_form or ControlCreateForm(members=context["owners"])
    if context["can_approve"]:
        context["adoptable"] = frameworks_with_controls()
        context["iso_loaded"] = any(f.urn == services.ISO42001 for f in context["adoptable"])
    elif not rows:
        context["iso_loaded"] = framework_loaded(services.ISO42001)
    context["iso42001"] = services.ISO42001
    return render(request, "controls/controls.html", context, status=status)


@tenant_view(Perm.APPROVE)
@require_POST
def adopt_view(request):
    """Adopt a framework's catalog controls (by default ISO/IEC 42001 Annex A); already adopted ones are kept."""
    org = request.tenant.organization
    urn = request.POST.get("framework", "").strip() or services.ISO42001
    try:
        created = services.controls_adopt_catalog(actor=request.tenant, framework_urn=urn)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        if created:
            messages.success(request, f"{created} controls were adopted. Decide, for each, whether it applies and why.")
        else:
            messages.info(request, "Every control of this catalog is already in the register.")
    return redirect("controls:list", org.slug)


@tenant_view(Perm.WRITE)
@require_POST
def control_create_view(request):
    org = request.tenant.organization
    members = [user for user, _role in _members(org)]
    form = ControlCreateForm(request.POST, members=members)
    if form.is_valid():
        try:
            control = services.control_create_custom(
                actor=request.tenant,
                ref_id=form.cleaned_data["ref_id"],
                title=form.cleaned_data["title"],
                description=form.cleaned_data["description"],
                owner=form.cleaned_data["owner"],
            )
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, f"{control.ref_id} was created.")
            return redirect("controls:control", org.slug, control.pk)
    return render(request, "controls/control_new.html", {"form": form}, status=400)


# --- One control ------------------------------------------------------------------------------------


@tenant_view(Perm.READ)
def control_view(request, pk: int):
    """One control: what it is, its decision, what it satisfies, why it was selected and its evidence."""
    tenant = request.tenant
    control = get_control_for_tenant(tenant, pk)
    if request.method == "POST":
        require(tenant, Perm.WRITE)
        members = _members(tenant.organization)
        form = ControlEditForm(request.POST, control=control, members=[u for u, _ in members])
        if form.is_valid():
            revision = take_revision(form)
            data = form.cleaned_data
            changes = {
                "owner": data["owner"],
                "status": data["status"],
                "applicability": data["applicability"],
                "justification": data["justification"],
            }
            if control.is_custom:
                changes.update(title=data["title"], description=data["description"])
            try:
                services.control_update(actor=request.tenant, control=control, expected_revision=revision, **changes)
            except ServiceError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, f"{control.ref_id} was saved.")
                return redirect("controls:control", tenant.organization.slug, control.pk)
        return _control_page(request, control, members=members, edit_form=form, status=form_status(form))
    if is_htmx(request) and "rq" in request.GET:
        return render(request, "controls/_requirement_search.html", _requirement_search(request, control))
    return _control_page(request, control)


def _requirement_search(request, control) -> dict:
    rq = request.GET.get("rq", "").strip()
    results = []
    if rq:
        linked = ControlRequirement.objects.filter(control=control).values("requirement_id")
        results = search_assessable(rq, exclude=linked)
    return {"control": control, "rq": rq, "results": results}


def _control_page(
    request,
    control,
    *,
    members=None,
    edit_form=None,
    requirement_form=None,
    evidence_form=None,
    system_form=None,
    status=200,
):
    tenant = request.tenant
    org = tenant.organization
    members = members if members is not None else _members(org)
    users = [user for user, _role in members]
    # The control's SoA row (reasons, flags, selecting risks) exactly as the SoA derives it.
    row = soa_row(control)
    _decorate([row], members)
    can_write = tenant.can(Perm.WRITE)
    requirements = list(
        ControlRequirement.objects.filter(control=control)
        .select_related("requirement__framework")
        .order_by("requirement__framework__name", "requirement__order")
    )
    evidence = [link.evidence for link in ControlEvidence.objects.filter(control=control).select_related("evidence")]
    evidence.sort(key=lambda e: (e.collected_at, e.pk), reverse=True)
    context = {
        "control": control,
        "node": control.catalog_node,
        "row": row,
        "requirements": requirements,
        "evidence": evidence,
        "systems": control_systems(control),
        "can_write": can_write,
        "object_type": "controls.control",
        "object_id": control.pk,
    }
    if can_write:
        context["edit_form"] = edit_form or ControlEditForm(control=control, members=users)
        context["requirement_form"] = requirement_form or RequirementLinkForm()
        context["evidence_form"] = evidence_form or EvidenceForm()
        context["system_form"] = system_form or SystemLinkForm(systems=linkable_systems(control))
        context.update(_requirement_search(request, control) if request.GET.get("rq") else {"rq": ""})
    return render(request, "controls/control.html", context, status=status)


@tenant_view(Perm.WRITE)
@require_POST
def requirement_add_view(request, pk: int):
    control = get_control_for_tenant(request.tenant, pk)
    form = RequirementLinkForm(request.POST)
    if form.is_valid():
        requirement = form.cleaned_data["requirement"]
        try:
            services.control_link_requirement(actor=request.tenant, control=control, requirement=requirement)
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, f"{control.ref_id} now satisfies {requirement.framework.ref_id} {requirement}.")
            return redirect(reverse("controls:control", args=[control.organization.slug, control.pk]) + "#requirements")
    return _control_page(request, control, requirement_form=form, status=400)


@tenant_view(Perm.WRITE)
@require_POST
def requirement_remove_view(request, pk: int, node: int):
    control = get_control_for_tenant(request.tenant, pk)
    link = ControlRequirement.objects.filter(control=control, requirement_id=node).select_related("requirement").first()
    if link is None:
        raise Http404("This control is not linked to that requirement")
    services.control_unlink_requirement(actor=request.tenant, control=control, requirement=link.requirement)
    messages.success(request, f"{control.ref_id} no longer lists {link.requirement}.")
    return redirect(reverse("controls:control", args=[control.organization.slug, control.pk]) + "#requirements")


@tenant_view(Perm.WRITE)
@require_POST
def evidence_add_view(request, pk: int):
    control = get_control_for_tenant(request.tenant, pk)
    form = EvidenceForm(request.POST)
    if form.is_valid():
        try:
            services.evidence_create(
                actor=request.tenant,
                title=form.cleaned_data["title"],
                url=form.cleaned_data["url"],
                collected_at=form.cleaned_data["collected_at"],
                valid_until=form.cleaned_data["valid_until"],
                controls=[control],
            )
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, f"The evidence was added to {control.ref_id}.")
            return redirect(reverse("controls:control", args=[control.organization.slug, control.pk]) + "#evidence")
    return _control_page(request, control, evidence_form=form, status=400)


@tenant_view(Perm.WRITE)
@require_POST
def evidence_unlink_view(request, pk: int, evidence: int):
    control = get_control_for_tenant(request.tenant, pk)
    item = get_evidence_for_tenant(request.tenant, evidence)
    if not ControlEvidence.objects.filter(control=control, evidence=item).exists():
        raise Http404("This evidence is not linked to the control")
    services.control_unlink_evidence(actor=request.tenant, control=control, evidence=item)
    messages.success(request, f"“{item.title}” no longer counts for {control.ref_id}.")
    return redirect(reverse("controls:control", args=[control.organization.slug, control.pk]) + "#evidence")


def _next_or(request, default: str) -> str:
    """Where to go after a change made from another page (e.g. the AI system's): `next` if it is ours."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


@tenant_view(Perm.WRITE)
@require_POST
def system_link_view(request, pk: int):
    """Say the control applies to one of the organization's AI systems."""
    control = get_control_for_tenant(request.tenant, pk)
    # Every system of the organization is a valid choice (linking twice is harmless); another's is not.
    systems = systems_for_picker(control.organization)
    form = SystemLinkForm(request.POST, systems=systems)
    if form.is_valid():
        system = form.cleaned_data["system"]
        try:
            services.control_link_system(actor=request.tenant, control=control, system=system)
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, f"{control.ref_id} now applies to {system.ref} {system.name}.")
            default = reverse("controls:control", args=[control.organization.slug, control.pk]) + "#systems"
            return redirect(_next_or(request, default))
    return _control_page(request, control, system_form=form, status=400)


@tenant_view(Perm.WRITE)
@require_POST
def system_unlink_view(request, pk: int, system: int):
    control = get_control_for_tenant(request.tenant, pk)
    link = ControlSystem.objects.filter(control=control, system_id=system).select_related("system").first()
    if link is None:
        raise Http404("This control does not apply to that AI system")
    services.control_unlink_system(actor=request.tenant, control=control, system=link.system)
    messages.success(request, f"{control.ref_id} no longer applies to {link.system.ref} {link.system.name}.")
    default = reverse("controls:control", args=[control.organization.slug, control.pk]) + "#systems"
    return redirect(_next_or(request, default))


# --- Statement of Applicability ---------------------------------------------------------------------


def _export_links(org, version: int | None = None) -> list[dict]:
    """One download link per registered format (exports.FORMATS; PDF and OSCAL register there too)."""
    links = []
    for fmt in exports.FORMATS.values():
        if version is None:
            url = reverse("controls:soa_export", args=[org.slug, fmt.key])
        else:
            url = reverse("controls:version_export", args=[org.slug, version, fmt.key])
        links.append({"key": fmt.key, "label": fmt.label, "url": url})
    return links


@tenant_view(Perm.READ)
def soa_view(request):
    """The current SoA, derived from the register: every control, its decision, reasons and flags."""
    return _soa_page(request)


def _soa_page(request, *, publish_form=None, status=200):
    tenant = request.tenant
    org = tenant.organization
    members = _members(org)
    rows = _decorate(soa_rows(org), members)
    flt = RowFilter.from_query(request.GET)
    context = {
        "rows": flt.apply(rows),
        "filter": flt,
        "total": len(rows),
    }
    if is_htmx(request):
        return render(request, "controls/_soa_rows.html", context)
    can_approve = tenant.can(Perm.APPROVE)
    versions = list(
        SoAVersion.objects.filter(organization=org)
        .defer("rows")
        .select_related("approved_by", "published_by", "approver")
    )
    undecided = [row.ref_id for row in rows if row.applicability == Applicability.UNDECIDED]
    context.update(
        summary=soa_summary(rows),
        flag_choices=list(FLAG_TEXT.items()),
        statuses=ImplementationStatus.choices,
        applicabilities=Applicability.choices,
        versions=versions,
        approved=next((v for v in versions if v.status == SoAStatus.SIGNED), None),
        awaiting=next((v for v in versions if v.status == SoAStatus.AWAITING), None),
        undecided=undecided,
        export_links=_export_links(org),
        can_approve=can_approve,
    )
    if can_approve:
        context["publish_form"] = publish_form or PublishForm(
            approvers=_approvers(members, request.user), undecided=undecided
        )
    return render(request, "controls/soa.html", context, status=status)


def _approvers(members, requester) -> list:
    """Who may be asked to sign off: members holding `approve`, never the requester."""
    return [user for user, role in members if has_perm(role, Perm.APPROVE) and user.pk != requester.pk]


@tenant_view(Perm.APPROVE)
@require_POST
def soa_publish_view(request):
    org = request.tenant.organization
    members = _members(org)
    undecided = [row.ref_id for row in soa_rows(org) if row.applicability == Applicability.UNDECIDED]
    form = PublishForm(request.POST, approvers=_approvers(members, request.user), undecided=undecided)
    if form.is_valid():
        try:
            version = services.soa_publish(
                actor=request.tenant,
                approver=form.cleaned_data["approver"],
                note=form.cleaned_data["note"],
                confirm_undecided=form.cleaned_data.get("confirm_undecided", False),
            )
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(
                request,
                f"Version {version.number} of the Statement of Applicability now awaits "
                f"{version.approver.display_name}'s sign-off.",
            )
            return redirect("controls:version", org.slug, version.number)
    return _soa_page(request, publish_form=form, status=400)


def _download(request, fmt_key: str, rows: list[dict], meta: exports.SoAMeta) -> HttpResponse:
    fmt = exports.FORMATS.get(fmt_key)
    if fmt is None:
        raise Http404("Unknown export format")
    try:
        content = fmt.render(rows, meta)  # complete before anything is sent
    except ServiceError as exc:
        return render(request, "400.html", {"title": "This export is not available", "reason": exc.message}, status=400)
    response = HttpResponse(content, content_type=fmt.content_type)
    response["Content-Disposition"] = f'attachment; filename="{exports.filename(meta, fmt.extension)}"'
    return response


@tenant_view(Perm.READ)
def soa_export_view(request, fmt: str):
    org = request.tenant.organization
    rows = [row.as_dict() for row in soa_rows(org)]
    return _download(request, fmt, rows, exports.SoAMeta(organization=org.name, slug=org.slug))


def _version_meta(org, version: SoAVersion) -> exports.SoAMeta:
    return exports.meta_for_version(org, version)


@tenant_view(Perm.READ)
def version_view(request, number: int):
    """A published SoA version: the rows as they were approved, whatever changed since."""
    tenant = request.tenant
    org = tenant.organization
    version = get_soa_version_for_tenant(tenant, number)
    rows = _decorate([exports.row_from_dict(data) for data in version.rows], _members(org))
    previous = (
        SoAVersion.objects.filter(organization=org, number__lt=version.number)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    context = {
        "version": version,
        "rows": rows,
        "summary": soa_summary(rows),
        "previous": previous,
        "export_links": _export_links(org, version.number),
        "object_type": "controls.soaversion",
        "object_id": version.pk,
        "signoff": signoff_selectors.latest_for_subject(org, services.SOA_SIGNOFF_KIND, version.pk),
    }
    return render(request, "controls/version.html", context)


@tenant_view(Perm.READ)
def version_export_view(request, number: int, fmt: str):
    org = request.tenant.organization
    version = get_soa_version_for_tenant(request.tenant, number)
    return _download(request, fmt, version.rows, _version_meta(org, version))


FIELD_LABELS = {
    "title": "Title",
    "status": "Implementation status",
    "applicability": "Applicability",
    "justification": "Justification",
    "owner": "Owner",
}


def _value_label(name: str, value) -> str:
    if value in (None, ""):
        return "—"
    if name == "status":
        return STATUS_LABELS.get(value, value)
    if name == "applicability":
        return APPLICABILITY_LABELS.get(value, value)
    return str(value)


@tenant_view(Perm.READ)
def soa_diff_view(request):
    """What changed between two published versions (default: the one before the latest, and the latest)."""
    org = request.tenant.organization
    numbers = list(SoAVersion.objects.filter(organization=org).order_by("number").values_list("number", flat=True))
    context = {"numbers": numbers, "change": None}
    status = 200
    if len(numbers) >= 2:
        data = {
            "from": request.GET.get("from") or str(numbers[-2]),
            "to": request.GET.get("to") or str(numbers[-1]),
        }
        form = DiffForm(data, numbers=numbers)
        context["form"] = form
        if form.is_valid():
            old_number, new_number = form.cleaned_data["from"], form.cleaned_data["to"]
            stored = dict(
                SoAVersion.objects.filter(organization=org, number__in=[old_number, new_number]).values_list(
                    "number", "rows"
                )
            )
            change = soa_diff(stored[old_number], stored[new_number])
            for item in change["changed"]:
                item["fields"] = [
                    (
                        FIELD_LABELS.get(name, name.replace("_", " ").capitalize()),
                        _value_label(name, before),
                        _value_label(name, after),
                    )
                    for name, (before, after) in item["changes"].items()
                ]
            context.update(change=change, old=old_number, new=new_number)
        else:
            status = 400
    return render(request, "controls/diff.html", context, status=status)


# --- Coverage (9.1) ---------------------------------------------------------------------------------


def _percent(share: float) -> int:
    # Rounded down, so a framework shows 100 % only when every item is covered.
    return math.floor(share * 100)


@tenant_view(Perm.READ)
def coverage_view(request):
    """Per framework, how many assessable items implemented controls with current evidence cover."""
    org = request.tenant.organization
    items = [
        {"coverage": item, "slug": framework_slug(item.framework), "percent": _percent(item.share)}
        for item in coverage(org)
    ]
    return render(request, "controls/coverage.html", {"items": items})


@tenant_view(Perm.READ)
def coverage_framework_view(request, framework: str):
    org = request.tenant.organization
    fw = get_framework(framework)
    item = coverage(org, [fw])[0]
    context = {"item": item, "framework": fw, "slug": framework, "percent": _percent(item.share)}
    return render(request, "controls/coverage_framework.html", context)
