"""EU AI Act classification pages: the wizard, the history of runs and one run with its obligations.

Thin views over `inventory.classification`; the panel on the system page links here.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse

from openaims.inventory.access import get_system_for_tenant
from openaims.inventory.classification.catalog import EuCatalog, catalog_loaded, eu_catalog
from openaims.inventory.classification.engine import classify, operator_roles
from openaims.inventory.classification.nodes import NOT_LOADED
from openaims.inventory.classification.questions import BOOL_KEYS, STEPS, URN_KEYS, Answers, clean_answers
from openaims.inventory.classification.selectors import answer_summary, input_changes, obligation_groups
from openaims.inventory.classification.service import classification_record
from openaims.inventory.models import Classification, RiskClass
from openaims.inventory.vocabulary import vocabulary
from openaims.lib.errors import ServiceError
from openaims.lib.pagination import paginate
from openaims.tenancy.access import tenant_view
from openaims.tenancy.roles import Perm

HISTORY_PER_PAGE = 25
TRUE = ("1", "on", "true", "yes")


def _answers_from_post(post) -> dict:
    """The form's answers as the service takes them: URN lists from checkboxes, booleans from ticks."""
    answers: dict = {key: post.getlist(key) for key in URN_KEYS}
    answers.update({key: post.get(key, "").lower() in TRUE for key in BOOL_KEYS})
    return answers


def _steps(catalog: EuCatalog, answers: dict) -> list[dict]:
    """Questions grouped into the wizard's numbered steps, with what is ticked (templates cannot look it up)."""
    chosen = {u for key in URN_KEYS for u in answers.get(key) or []}

    def options(items):
        return [{"option": o, "checked": o.urn in chosen} for o in items]

    steps = []
    for number, title in STEPS.items():
        questions = [
            {
                "q": q,
                "checked": bool(answers.get(q.key)) if q.kind == "bool" else False,
                "options": options(q.options),
                "groups": [{"group": g, "options": options(g.options)} for g in q.groups],
            }
            for q in catalog.questions
            if q.step == number
        ]
        if questions:
            steps.append({"number": number, "title": title, "questions": questions})
    return steps


def _preview(answers: dict, catalog: EuCatalog, system) -> dict:
    try:
        cleaned = clean_answers(answers, catalog)
    except ServiceError as exc:
        return {"error": exc.message}
    outcome = classify(cleaned, catalog, roles=operator_roles(system.role))
    return {
        "result": outcome.result,
        "result_label": RiskClass(outcome.result).label,
        "reasoning": [r for r in outcome.reasoning if r["step"] not in ("Role", "Result")],
        "summary": outcome.reasoning[-1]["finding"],
    }


@tenant_view(Perm.WRITE)
def wizard_view(request, pk: int):
    """Ask the classification questions; on POST record the run and go back to the system.

    An HTMX change on the form asks for a preview of the outcome (nothing is written).
    """
    tenant = request.tenant
    system = get_system_for_tenant(tenant, pk)
    catalog = eu_catalog()
    system_url = reverse("inventory:system", args=[tenant.organization.slug, system.pk])
    previous = system.classification.answers if system.classification_id else {}
    answers = {**Answers().model_dump(), **previous}
    error, status = (NOT_LOADED if catalog is None else ""), 200
    if request.method == "POST":
        answers = _answers_from_post(request.POST)
        if catalog is None:
            error, status = NOT_LOADED, 400
        elif request.headers.get("HX-Request") and request.POST.get("preview"):
            return render(
                request,
                "inventory/_classification_preview.html",
                {"preview": _preview(answers, catalog, system)},
            )
        else:
            try:
                row = classification_record(actor=request.user, system=system, answers=answers)
            except ServiceError as exc:
                error, status = exc.message, 400
            else:
                messages.success(request, f"{system.ref} was classified as {row.get_result_display()}.")
                return redirect(system_url)
    context = {
        "system": system,
        "system_url": system_url,
        "catalog": catalog,
        "steps": _steps(catalog, answers) if catalog else [],
        "error": error,
        "stale": system.classification_stale,
        "changes": input_changes(system, system.classification) if system.classification_stale else [],
        "preview": _preview(answers, catalog, system) if catalog and previous and not error else None,
        "role_label": vocabulary().label("roles", system.role),
        "operator_roles": sorted(operator_roles(system.role)),
    }
    return render(request, "inventory/classification_wizard.html", context, status=status)


@tenant_view(Perm.READ)
def history_view(request, pk: int):
    """Every classification run of the system, newest first, with its result and reasoning."""
    tenant = request.tenant
    system = get_system_for_tenant(tenant, pk)
    runs = Classification.objects.filter(system=system).select_related("created_by")
    page = paginate(request, runs, per_page=HISTORY_PER_PAGE)
    context = {
        "system": system,
        "system_url": reverse("inventory:system", args=[tenant.organization.slug, system.pk]),
        "page": page,
        "can_write": tenant.can(Perm.WRITE),
    }
    return render(request, "inventory/classification_history.html", context)


@tenant_view(Perm.READ)
def detail_view(request, pk: int, cid: int):
    """One run: its answers, reasoning and the obligations for the organization's role, grouped by article."""
    tenant = request.tenant
    system = get_system_for_tenant(tenant, pk)
    run = Classification.objects.select_related("created_by").filter(system=system, pk=cid).first()
    if run is None:
        raise Http404("No such classification")
    catalog = eu_catalog()
    context = {
        "system": system,
        "system_url": reverse("inventory:system", args=[tenant.organization.slug, system.pk]),
        "run": run,
        "current": run.pk == system.classification_id,
        "stale": run.pk == system.classification_id and system.classification_stale,
        "changes": input_changes(system, run) if run.pk == system.classification_id else [],
        "answers": answer_summary(catalog, run.answers),
        "groups": obligation_groups(catalog, run.obligations),
        "transparency": obligation_groups(catalog, run.transparency),
        "role_label": vocabulary().label("roles", (run.inputs or {}).get("role", "")),
        "outdated_catalog": bool(catalog and run.catalog_version and run.catalog_version != catalog.content_hash),
        "can_write": tenant.can(Perm.WRITE),
    }
    return render(request, "inventory/classification_detail.html", context)


urlpatterns = [
    path("o/<slug:org>/systems/<int:pk>/classify/", wizard_view, name="classification_wizard"),
    path("o/<slug:org>/systems/<int:pk>/classifications/", history_view, name="classification_history"),
    path("o/<slug:org>/systems/<int:pk>/classifications/<int:cid>/", detail_view, name="classification_detail"),
]


def classification_panel(tenant, system) -> dict:
    """What the system page shows about the classification (template `inventory/_classification_panel.html`)."""
    current: Classification | None = system.classification if system.classification_id else None
    args = [tenant.organization.slug, system.pk]
    panel = {
        "system": system,
        "classification": current,
        "classified": current is not None,
        "result": system.risk_class,
        "result_label": RiskClass(system.risk_class).label,
        "summary": "",
        "reasoning": [],
        "obligation_count": 0,
        "transparency_count": 0,
        "gpai": False,
        "stale": bool(current and system.classification_stale),
        "changes": [],
        "catalog_loaded": True,
        "can_write": tenant.can(Perm.WRITE),
        "wizard_url": reverse("inventory:classification_wizard", args=args),
        "history_url": reverse("inventory:classification_history", args=args),
        "detail_url": "",
    }
    if current is None:
        panel["catalog_loaded"] = catalog_loaded()
        return panel
    reasoning = current.reasoning or []
    panel.update(
        summary=reasoning[-1]["finding"] if reasoning else "",
        reasoning=[r for r in reasoning if r.get("step") not in ("Role", "Result")],
        obligation_count=len(current.obligations or []),
        transparency_count=len(current.transparency or []),
        gpai=current.gpai,
        changes=input_changes(system, current) if panel["stale"] else [],
        detail_url=reverse("inventory:classification_detail", args=[*args, current.pk]),
    )
    return panel
