"""One risk: its page, and every change to it — register entry, (re-)assessment, acceptance of the residual
risk, closing, the treatment plan's actions and the controls it selects. Every write goes through services.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from openaims.controls.access import get_control_for_tenant
from openaims.controls.selectors import controls_for_register
from openaims.lib.concurrency import add_revision, form_status, take_revision
from openaims.lib.errors import ServiceError
from openaims.lib.forms import add_service_error
from openaims.risk import selectors, services
from openaims.risk.access import get_action_for_tenant, get_risk_for_tenant
from openaims.risk.forms import (
    AcceptForm,
    ActionForm,
    ActionStatusForm,
    AssessForm,
    CloseForm,
    ControlSelectForm,
    RiskForm,
)
from openaims.risk.models import RiskControl, RiskStatus
from openaims.risk.selectors import Levels
from openaims.risk.services import OBJECTIVE_KIND, SOURCE_KIND
from openaims.risk.views.common import members
from openaims.tenancy.access import tenant_view
from openaims.tenancy.roles import Perm, acceptance_authority, role_with_article


def _risk_url(risk, anchor: str = "") -> str:
    return reverse("risk:risk", args=[risk.organization.slug, risk.pk]) + (f"#{anchor}" if anchor else "")


def _with_linked(nodes: list, linked: list) -> list:
    """Catalog choices plus the nodes the risk already cites (a node retired from the catalog stays citable)."""
    known = {node.pk for node in nodes}
    return nodes + [node for node in linked if node.pk not in known]


def _risk_form(request, org, *, risk=None, links=None, data=None) -> RiskForm:
    links = links or {}
    return RiskForm(
        data,
        organization=org,
        members=members(org),
        sources=_with_linked(selectors.catalog_nodes(SOURCE_KIND), links.get("sources", [])),
        objectives=_with_linked(selectors.catalog_nodes(OBJECTIVE_KIND), links.get("objectives", [])),
        risk=risk,
        links=links,
    )


@tenant_view(Perm.WRITE)
def create_view(request):
    """Record an identified risk; scores come next, on its page."""
    org = request.tenant.organization
    form = _risk_form(request, org, data=request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if form.is_valid():
            try:
                risk = services.risk_create(actor=request.tenant, **form.values())
            except ServiceError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, f"{risk.ref} was recorded. Assess it next.")
                return redirect(_risk_url(risk, "assess"))
        return render(request, "risk/risk_form.html", {"form": form, "risk": None}, status=400)
    return render(request, "risk/risk_form.html", {"form": form, "risk": None})


@tenant_view(Perm.WRITE)
def edit_view(request, pk: int):
    tenant = request.tenant
    risk = get_risk_for_tenant(tenant, pk)
    links = selectors.risk_detail(risk)
    form = _risk_form(
        request, tenant.organization, risk=risk, links=links, data=request.POST if request.method == "POST" else None
    )
    add_revision(form, risk)
    if request.method == "POST":
        if form.is_valid():
            try:
                revision = take_revision(form)
                services.risk_update(actor=request.tenant, risk=risk, expected_revision=revision, **form.values())
            except ServiceError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, f"{risk.ref} was saved.")
                return redirect(_risk_url(risk))
        return render(request, "risk/risk_form.html", {"form": form, "risk": risk}, status=form_status(form))
    return render(request, "risk/risk_form.html", {"form": form, "risk": risk})


def _acceptance_hint(tenant, risk, data) -> str:
    """Why this user cannot accept, before they try (the service gives the same answer if they do)."""
    if not risk.has_residual:
        return "Assess the residual risk first."
    if risk.owner_id is None:
        return "Name a risk owner first: only the risk owner accepts the residual risk."
    if risk.created_by_id == tenant.user.pk:
        return "You recorded this risk, so its owner — not you — accepts it (separation of duties)."
    if risk.owner_id != tenant.user.pk:
        return f"Only the risk owner, {risk.owner.display_name}, can accept the residual risk."
    rule = data.rule(risk.residual_level)
    if rule is None or rule.accept_role is None:
        return "The criteria do not let anyone accept a residual risk of this level: treat it further."
    if tenant.acceptance_authority() < acceptance_authority(rule.accept_role):
        needed = role_with_article(rule.accept_role)
        return f"At this level the criteria require {needed} or higher to accept; you are a {tenant.role}."
    return ""


def _risk_page(
    request,
    risk,
    *,
    assess_form=None,
    accept_form=None,
    action_form=None,
    control_form=None,
    close_form=None,
    status=200,
):
    tenant = request.tenant
    org = tenant.organization
    version, data = selectors.criteria_in_force(org)
    levels = Levels(data)
    detail = selectors.risk_detail(risk)
    selectors.decorate([risk], levels)
    can_write = tenant.can(Perm.WRITE)
    context = {
        "risk": risk,
        **detail,
        "trend": selectors.trend(detail["assessments"]),
        "version": version,
        "criteria": data,
        "stale": bool(risk.criteria_id and version and risk.criteria_id != version.pk),
        "can_write": can_write,
        "object_type": "risk.risk",
        "object_id": risk.pk,
    }
    if risk.criteria_id and (version is None or risk.criteria_id != version.pk):
        # Scored under an older version: show its levels by that version's names.
        old = Levels(risk.criteria.data)
        risk.inherent_badge, risk.residual_badge = old.get(risk.inherent_level), old.get(risk.residual_level)
    scored = risk.criteria.data if risk.criteria_id else data
    context["scale_names"] = {
        "il": scored.scale_name("likelihood", risk.inherent_likelihood),
        "ic": scored.scale_name("consequence", risk.inherent_consequence),
        "rl": scored.scale_name("likelihood", risk.residual_likelihood),
        "rc": scored.scale_name("consequence", risk.residual_consequence),
    }
    context["consequence_rows"] = [
        {
            "name": dimension.name,
            "inherent": risk.inherent_consequences.get(dimension.key),
            "inherent_name": scored.scale_name("consequence", risk.inherent_consequences.get(dimension.key)),
            "residual": risk.residual_consequences.get(dimension.key),
            "residual_name": scored.scale_name("consequence", risk.residual_consequences.get(dimension.key)),
        }
        for dimension in scored.consequence_dimensions
    ]
    for acceptance in detail["acceptances"]:
        acceptance.level_badge = Levels(acceptance.criteria.data).get(acceptance.residual_level)
    context["earlier_acceptances"] = [a for a in detail["acceptances"] if not a.is_current]
    for action in detail["actions"]:
        action.is_overdue = action.overdue()
    if can_write:
        users = members(org)
        closed = risk.status == RiskStatus.CLOSED
        if not closed:
            context["assess_form"] = assess_form or AssessForm(data_criteria=data, risk=risk)
        context["action_form"] = action_form or ActionForm(members=users)
        for action in detail["actions"]:
            action.edit_form = ActionForm(members=users, action=action, prefix=f"a{action.pk}")
        selected = {c.pk for c in detail["controls"]}
        context["control_form"] = control_form or ControlSelectForm(
            controls=[c for c in controls_for_register(org) if c.pk not in selected]
        )
        context["close_form"] = close_form or CloseForm()
        if risk.status not in (RiskStatus.ACCEPTED, RiskStatus.CLOSED):
            context["accept_hint"] = _acceptance_hint(tenant, risk, data)
            context["accept_form"] = accept_form or AcceptForm()
    return render(request, "risk/risk.html", context, status=status)


@tenant_view(Perm.READ)
def risk_view(request, pk: int):
    """One risk: its entry, scores and trend, treatment plan, selected controls, acceptance and history."""
    return _risk_page(request, get_risk_for_tenant(request.tenant, pk))


@tenant_view(Perm.WRITE)
@require_POST
def assess_view(request, pk: int):
    tenant = request.tenant
    risk = get_risk_for_tenant(tenant, pk)
    _version, data = selectors.criteria_in_force(tenant.organization)
    form = AssessForm(request.POST, data_criteria=data)
    if form.is_valid():
        d = form.cleaned_data
        try:
            services.risk_assess(
                actor=request.tenant,
                risk=risk,
                inherent_likelihood=d["inherent_likelihood"],
                inherent_consequences=form.consequences("inherent") or {},
                treatment_option=d["treatment_option"],
                residual_likelihood=d["residual_likelihood"],
                residual_consequences=form.consequences("residual"),
                review_date=d["review_date"],
                note=d["note"],
            )
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, f"{risk.ref} was assessed.")
            return redirect(_risk_url(risk, "scores"))
    return _risk_page(request, get_risk_for_tenant(tenant, pk), assess_form=form, status=400)


@tenant_view(Perm.WRITE)
@require_POST
def accept_view(request, pk: int):
    """The risk owner's sign-off; a refusal (author, not the owner, role below the criteria) is shown, with 403."""
    tenant = request.tenant
    risk = get_risk_for_tenant(tenant, pk)
    form = AcceptForm(request.POST)
    if form.is_valid():
        try:
            services.risk_accept(actor=request.tenant, risk=risk, note=form.cleaned_data["note"])
        except ServiceError as exc:
            add_service_error(form, exc)
            return _risk_page(request, get_risk_for_tenant(tenant, pk), accept_form=form, status=exc.status)
        messages.success(request, f"You accepted the residual risk of {risk.ref}.")
        return redirect(_risk_url(risk, "acceptance"))
    return _risk_page(request, risk, accept_form=form, status=400)


@tenant_view(Perm.WRITE)
@require_POST
def close_view(request, pk: int):
    tenant = request.tenant
    risk = get_risk_for_tenant(tenant, pk)
    form = CloseForm(request.POST)
    if form.is_valid():
        try:
            services.risk_close(actor=request.tenant, risk=risk, reason=form.cleaned_data["reason"])
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"{risk.ref} was closed.")
    return redirect(_risk_url(risk))


@tenant_view(Perm.WRITE)
@require_POST
def reopen_view(request, pk: int):
    risk = get_risk_for_tenant(request.tenant, pk)
    try:
        services.risk_reopen(actor=request.tenant, risk=risk)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{risk.ref} was reopened.")
    return redirect(_risk_url(risk))


# --- Treatment plan ------------------------------------------------------------------------------------


@tenant_view(Perm.WRITE)
@require_POST
def action_add_view(request, pk: int):
    tenant = request.tenant
    risk = get_risk_for_tenant(tenant, pk)
    form = ActionForm(request.POST, members=members(tenant.organization))
    if form.is_valid():
        try:
            services.treatment_action_create(actor=request.tenant, risk=risk, **form.cleaned_data)
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, "The action was added to the treatment plan.")
            return redirect(_risk_url(risk, "plan"))
    return _risk_page(request, risk, action_form=form, status=400)


@tenant_view(Perm.WRITE)
@require_POST
def action_view(request, pk: int, action: int):
    """Change an action: its status alone (the quick control in its row) or everything (its edit form)."""
    tenant = request.tenant
    risk = get_risk_for_tenant(tenant, pk)
    item = get_action_for_tenant(tenant, risk, action)
    prefix = f"a{item.pk}"
    if f"{prefix}-title" in request.POST:
        form = ActionForm(request.POST, members=members(tenant.organization), action=item, prefix=prefix)
    else:
        form = ActionStatusForm(request.POST)
    if form.is_valid():
        try:
            revision = take_revision(form)  # the status-only control sends none: it reverts nothing
            services.treatment_action_update(
                actor=request.tenant, action=item, expected_revision=revision, **form.cleaned_data
            )
        except ServiceError as exc:
            # The plan is one page of inline forms: a refusal (a stale edit with what changed) is a message on it.
            messages.error(request, " ".join([exc.message, *(str(d["message"]) for d in exc.details)]))
        else:
            messages.success(request, f"“{item.title}” was saved.")
        return redirect(_risk_url(risk, "plan"))
    messages.error(request, "The action was not saved: " + "; ".join(e for errs in form.errors.values() for e in errs))
    return redirect(_risk_url(risk, "plan"))


@tenant_view(Perm.WRITE)
@require_POST
def action_delete_view(request, pk: int, action: int):
    tenant = request.tenant
    risk = get_risk_for_tenant(tenant, pk)
    item = get_action_for_tenant(tenant, risk, action)
    services.treatment_action_delete(actor=request.tenant, action=item)
    messages.success(request, f"“{item.title}” was removed from the treatment plan.")
    return redirect(_risk_url(risk, "plan"))


# --- Controls the treatment selects (they feed the SoA) ------------------------------------------------


@tenant_view(Perm.WRITE)
@require_POST
def control_select_view(request, pk: int):
    tenant = request.tenant
    risk = get_risk_for_tenant(tenant, pk)
    selected = set(RiskControl.objects.filter(risk=risk).values_list("control_id", flat=True))
    form = ControlSelectForm(
        request.POST, controls=[c for c in controls_for_register(tenant.organization) if c.pk not in selected]
    )
    if form.is_valid():
        control = form.cleaned_data["control"]
        try:
            services.risk_select_control(actor=request.tenant, risk=risk, control=control)
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, f"The treatment of {risk.ref} now selects {control.ref_id}.")
            return redirect(_risk_url(risk, "controls"))
    return _risk_page(request, risk, control_form=form, status=400)


@tenant_view(Perm.WRITE)
@require_POST
def control_deselect_view(request, pk: int, control: int):
    tenant = request.tenant
    risk = get_risk_for_tenant(tenant, pk)
    item = get_control_for_tenant(tenant, control)
    if not RiskControl.objects.filter(risk=risk, control=item).exists():
        raise Http404("This risk's treatment does not select that control")
    services.risk_deselect_control(actor=request.tenant, risk=risk, control=item)
    messages.success(request, f"The treatment of {risk.ref} no longer selects {item.ref_id}.")
    return redirect(_risk_url(risk, "controls"))


urlpatterns = [
    path("o/<slug:org>/risks/new/", create_view, name="create"),
    path("o/<slug:org>/risks/<int:pk>/", risk_view, name="risk"),
    path("o/<slug:org>/risks/<int:pk>/edit/", edit_view, name="edit"),
    path("o/<slug:org>/risks/<int:pk>/assess/", assess_view, name="assess"),
    path("o/<slug:org>/risks/<int:pk>/accept/", accept_view, name="accept"),
    path("o/<slug:org>/risks/<int:pk>/close/", close_view, name="close"),
    path("o/<slug:org>/risks/<int:pk>/reopen/", reopen_view, name="reopen"),
    path("o/<slug:org>/risks/<int:pk>/actions/", action_add_view, name="action_add"),
    path("o/<slug:org>/risks/<int:pk>/actions/<int:action>/", action_view, name="action"),
    path("o/<slug:org>/risks/<int:pk>/actions/<int:action>/delete/", action_delete_view, name="action_delete"),
    path("o/<slug:org>/risks/<int:pk>/controls/", control_select_view, name="control_select"),
    path("o/<slug:org>/risks/<int:pk>/controls/<int:control>/remove/", control_deselect_view, name="control_deselect"),
]
