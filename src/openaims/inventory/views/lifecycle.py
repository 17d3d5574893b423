"""Life-cycle pages (A.6.2): move a system between stages, its transition history, the gate policy.

Thin views over `inventory.lifecycle`; the panel on the system page posts its form here.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from openaims.audittrail import registry
from openaims.inventory.access import get_system_for_tenant
from openaims.inventory.lifecycle.evaluation import RETIREMENT, evaluate_systems, next_stage, transition_kind
from openaims.inventory.lifecycle.items import registered_items
from openaims.inventory.lifecycle.policy import (
    GatePolicyMap,
    condition_text,
    default_only_items,
    gate_policy_for,
    gate_policy_update,
    gated_stages,
)
from openaims.inventory.lifecycle.transitions import GateRefused, may_override, system_transition
from openaims.inventory.models import GatePolicy, StageTransition
from openaims.inventory.vocabulary import lifecycle
from openaims.lib.concurrency import StaleEdit
from openaims.lib.errors import ServiceError
from openaims.lib.htmx import is_htmx
from openaims.lib.pagination import paginate
from openaims.tenancy.access import require, tenant_view
from openaims.tenancy.roles import Perm
from openaims.web import nav

HISTORY_PER_PAGE = 50


def _next_url(request, fallback: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return fallback


@tenant_view(Perm.WRITE)
@require_POST
def transition_view(request, pk: int):
    """Move the system; a refused gate shows what is missing and, to those who may, the override form."""
    tenant = request.tenant
    system = get_system_for_tenant(tenant, pk)
    to_stage = request.POST.get("to_stage", "").strip()
    reason = request.POST.get("override_reason", "")
    next_url = _next_url(request, reverse("inventory:system", args=[tenant.organization.slug, system.pk]))
    refusal = error = None
    try:
        transition = system_transition(actor=request.tenant, system=system, to_stage=to_stage, override_reason=reason)
    except GateRefused as exc:
        refusal = {
            "to_stage": exc.stage,
            "to_label": lifecycle().label(exc.stage),
            "missing": exc.missing,
            "message": exc.message,
        }
    except ServiceError as exc:
        error = exc.message
    else:
        text = f"{system.ref} moved to {lifecycle().label(transition.to_stage)}."
        if transition.overridden:
            text = (
                f"{system.ref} moved to {lifecycle().label(transition.to_stage)}: the gate was overridden with "
                f"{len(transition.missing)} item(s) missing; the reason is recorded."
            )
        messages.success(request, text)
        if is_htmx(request):
            response = HttpResponse()
            response["HX-Redirect"] = next_url
            return response
        return redirect(next_url)
    panel = lifecycle_panel(tenant, system)
    panel.update(refusal=refusal, error=error or "", reason=reason, return_to=next_url, to_stage=to_stage)
    if is_htmx(request):
        # HTMX swaps only 2xx answers: the refused form comes back as 200 in place of the panel.
        return render(request, "inventory/_lifecycle_panel.html", {"panel": panel})
    return render(request, "inventory/lifecycle_transition.html", {"system": system, "panel": panel}, status=400)


@tenant_view(Perm.READ)
def history_view(request, pk: int):
    """The system's life cycle: where it is, what the next gate asks, and every move with its overrides."""
    tenant = request.tenant
    system = get_system_for_tenant(tenant, pk)
    transitions = StageTransition.objects.filter(system=system).select_related("actor")
    page = paginate(request, transitions, per_page=HISTORY_PER_PAGE)
    labels = dict(lifecycle().choices())
    for row in page.object_list:
        row.from_label = labels.get(row.from_stage, row.from_stage)
        row.to_label = labels.get(row.to_stage, row.to_stage)
    panel = lifecycle_panel(tenant, system)
    return render(request, "inventory/lifecycle_history.html", {"system": system, "panel": panel, "page": page})


def _policy_rows(policy: dict[str, list[str]]) -> list[dict]:
    """One row per registered item, then per unknown key some stage asks for; a cell per gated stage."""
    stages = gated_stages()
    rows = [
        {"key": item.key, "label": item.label, "description": item.description, "available": True}
        for item in registered_items()
    ]
    known = {row["key"] for row in rows}
    for stage in stages:
        for key in policy.get(stage, []):
            if key not in known:
                known.add(key)
                rows.append({"key": key, "label": key, "description": "", "available": False})
    conditions = getattr(policy, "conditions", {})
    for row in rows:
        row["cells"] = [
            {
                "stage": stage,
                "label": lifecycle().label(stage),
                "checked": row["key"] in policy.get(stage, []),
                "condition": condition_text(conditions.get(stage, {}).get(row["key"], {})),
            }
            for stage in stages
        ]
    return rows


@tenant_view(Perm.READ)
def policy_view(request):
    """The organization's gate policy as a matrix of stages and items; owners and managers change it."""
    tenant = request.tenant
    org = tenant.organization
    error = None
    status = 400
    if request.method == "POST":
        require(tenant, Perm.APPROVE)
        items = {stage: request.POST.getlist(f"gate-{stage}") for stage in gated_stages()}
        revision = request.POST.get("revision", "")
        try:
            if not revision.isdigit():
                raise ServiceError("This page is out of date: reload it and make your change again.")
            gate_policy_update(actor=request.tenant, items=items, expected_revision=int(revision))
        except ServiceError as exc:
            # A stale edit also lists what changed since the page was opened.
            error = " ".join([exc.message, *(str(d["message"]) for d in exc.details)])
            status = 409 if isinstance(exc, StaleEdit) else 400
        else:
            messages.success(request, "The life-cycle gates were saved.")
            return redirect("inventory:lifecycle_policy", org.slug)
        current = gate_policy_for(org)
        policy = GatePolicyMap(items, current.conditions, revision=current.revision)
    else:
        policy = gate_policy_for(org)
    context = {
        "stages": [{"key": key, "label": lifecycle().label(key)} for key in gated_stages()],
        "rows": _policy_rows(policy),
        "default_only": [
            {**item, "label": lifecycle().label(item["stage"]), "condition": condition_text(item["when"])}
            for item in default_only_items(org)
        ],
        "can_edit": tenant.can(Perm.APPROVE),
        "error": error,
        "revision": policy.revision,
    }
    return render(request, "inventory/lifecycle_policy.html", context, status=status if error else 200)


def register_nav() -> None:
    """Put the gate policy under Settings and give it a history page (called from InventoryConfig.ready())."""

    def policy_url(tenant, obj=None):
        return reverse("inventory:lifecycle_policy", args=[tenant.organization.slug])

    def policy_lookup(tenant, object_id):
        policy = GatePolicy.objects.filter(organization=tenant.organization, pk=object_id).first()
        if policy is None:
            raise Http404("No such gate policy")
        return policy

    registry.register("inventory.gatepolicy", "Life-cycle gate policy", policy_lookup, policy_url)
    nav.register("settings", "Life-cycle gates", policy_url, clause="A.6.2", order=40)


urlpatterns = [
    path("o/<slug:org>/systems/<int:pk>/transition/", transition_view, name="lifecycle_transition"),
    path("o/<slug:org>/systems/<int:pk>/lifecycle/", history_view, name="lifecycle_history"),
    path("o/<slug:org>/settings/lifecycle-gates/", policy_view, name="lifecycle_policy"),
]


def stage_targets(stage: str) -> list[dict]:
    """Where a system in `stage` may go: {key, label, kind} with kind forward, back, retire or reactivate."""
    targets = []
    for key, label in lifecycle().choices():
        try:
            kind = transition_kind(stage, key)
        except ServiceError:
            continue
        targets.append({"key": key, "label": label, "kind": kind})
    order = {"forward": 0, "retire": 1, "reactivate": 2, "back": 3}
    return sorted(targets, key=lambda t: order[t["kind"]])


def lifecycle_panel(tenant, system) -> dict:
    """What the system page shows about the life cycle, in a fixed number of queries.

    Keys: system, stages (stepper rows {key, label, state: done|current|upcoming}), current and
    next_stage ({key, label} or None), gate (GateStatus of the next stage, or None), retirement_gate
    (GateStatus, when retirement is not the next stage), targets (stage_targets), can_transition,
    can_override, transition_url, history_url, policy_url; return_to (where the form goes back to;
    empty: the page it is on) and to_stage, refusal ({to_stage, to_label, missing, message}),
    reason and error, which the transition view fills after a refused move.
    """
    stage = system.stage
    keys = lifecycle().keys
    position = keys.index(stage) if stage in keys else -1
    following = next_stage(stage)
    wanted = [s for s in dict.fromkeys([following, RETIREMENT]) if s and s != stage]
    policy = gate_policy_for(tenant.organization)
    statuses = evaluate_systems([system], wanted, policy=policy)[system.pk]
    org = tenant.organization.slug
    return {
        "system": system,
        "stages": [
            {
                "key": key,
                "label": label,
                "state": "current" if i == position else ("done" if i < position else "upcoming"),
            }
            for i, (key, label) in enumerate(lifecycle().choices())
        ],
        "current": {"key": stage, "label": lifecycle().label(stage)},
        "next_stage": {"key": following, "label": lifecycle().label(following)} if following else None,
        "gate": statuses.get(following) if following else None,
        "retirement_gate": statuses.get(RETIREMENT) if following != RETIREMENT else None,
        "targets": stage_targets(stage),
        "can_transition": tenant.can(Perm.WRITE),
        "can_override": may_override(tenant, system),
        "transition_url": reverse("inventory:lifecycle_transition", args=[org, system.pk]),
        "history_url": reverse("inventory:lifecycle_history", args=[org, system.pk]),
        "policy_url": reverse("inventory:lifecycle_policy", args=[org]),
        "return_to": "",
        "to_stage": "",
        "refusal": None,
        "reason": "",
        "error": "",
    }
