"""Risk criteria (6.1.1): the version in force, its history, and managers' drafts of the next version."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_POST

from openaims.lib.concurrency import RevisionField, form_status, take_revision
from openaims.lib.errors import ServiceError
from openaims.lib.forms import add_service_error
from openaims.risk import selectors, services
from openaims.risk.access import get_criteria_for_tenant
from openaims.risk.forms import ROLE_CHOICES, CriteriaForm
from openaims.risk.models import Risk
from openaims.tenancy.access import tenant_view
from openaims.tenancy.roles import Perm


def _matrix_rows(data) -> list[dict]:
    """Likelihood high → low, each cell with its level, for the criteria tables."""
    n, m = data.size
    return [
        {
            "value": li,
            "name": data.likelihood[li - 1].name,
            "cells": [data.level(data.matrix[li - 1][ci - 1]) for ci in range(1, m + 1)],
        }
        for li in range(n, 0, -1)
    ]


def _appetite_rows(data) -> list[dict]:
    roles = dict(ROLE_CHOICES)
    return [
        {"level": level, "rule": data.rule(level.key), "who": roles[data.rule(level.key).accept_role or ""]}
        for level in data.levels
    ]


def _criteria_context(data) -> dict:
    return {"criteria": data, "matrix": _matrix_rows(data), "appetite": _appetite_rows(data)}


@tenant_view(Perm.READ)
def criteria_view(request):
    """The criteria in force (or the shipped default before the first assessment), the draft and every version."""
    tenant = request.tenant
    org = tenant.organization
    version, data = selectors.criteria_in_force(org)
    versions = selectors.criteria_versions(org)
    context = {
        "version": version,
        "draft": next((v for v in versions if v.is_draft), None),
        "versions": versions,
        "stale_count": Risk.objects.filter(organization=org, criteria__isnull=False).exclude(criteria=version).count()
        if version
        else 0,
        "can_approve": tenant.can(Perm.APPROVE),
        **_criteria_context(data),
    }
    if version is not None:
        context.update(object_type="risk.riskcriteria", object_id=version.pk)
    return render(request, "risk/criteria.html", context)


@tenant_view(Perm.READ)
def criteria_version_view(request, number: int):
    tenant = request.tenant
    version = get_criteria_for_tenant(tenant, number)
    current = services.current_criteria(tenant.organization)
    context = {
        "shown": version,
        "in_force": current is not None and current.pk == version.pk,
        "object_type": "risk.riskcriteria",
        "object_id": version.pk,
        **_criteria_context(version.data),
    }
    return render(request, "risk/criteria_version.html", context)


@tenant_view(Perm.APPROVE)
def criteria_edit_view(request):
    """Edit the draft of the next version (started from the version in force); publishing is a separate step."""
    tenant = request.tenant
    org = tenant.organization
    draft = selectors.draft_criteria(org)
    _version, data = selectors.criteria_in_force(org)
    base = draft.data if draft else data
    if request.method == "POST":
        form = CriteriaForm(request.POST, base=base)
        form.fields["revision"] = RevisionField(min_value=0)
        if form.is_valid():
            try:
                revision = take_revision(form)
                saved = services.criteria_draft_save(
                    actor=request.tenant,
                    content=form.content(),
                    note=form.cleaned_data["note"],
                    expected_revision=revision,
                )
            except ServiceError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, f"Draft version {saved.number} was saved. Publish it to put it in force.")
                return redirect("risk:criteria", org.slug)
        return render(request, "risk/criteria_edit.html", {"form": form, "draft": draft}, status=form_status(form))
    initial_note = {"note": draft.note} if draft else {}
    form = CriteriaForm(base=base)
    form.fields["revision"] = RevisionField(min_value=0, initial=draft.revision if draft else 0)  # 0: no draft yet
    if initial_note:
        form.initial.update(initial_note)
    return render(request, "risk/criteria_edit.html", {"form": form, "draft": draft})


@tenant_view(Perm.APPROVE)
@require_POST
def criteria_publish_view(request):
    org = request.tenant.organization
    try:
        version = services.criteria_publish(actor=request.tenant)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Version {version.number} of the risk criteria is in force. New assessments use it.")
    return redirect("risk:criteria", org.slug)


@tenant_view(Perm.APPROVE)
@require_POST
def criteria_discard_view(request):
    org = request.tenant.organization
    try:
        services.criteria_draft_discard(actor=request.tenant)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "The draft was discarded.")
    return redirect("risk:criteria", org.slug)


urlpatterns = [
    path("o/<slug:org>/risk-criteria/", criteria_view, name="criteria"),
    path("o/<slug:org>/risk-criteria/versions/<int:number>/", criteria_version_view, name="criteria_version"),
    path("o/<slug:org>/risk-criteria/draft/", criteria_edit_view, name="criteria_edit"),
    path("o/<slug:org>/risk-criteria/draft/publish/", criteria_publish_view, name="criteria_publish"),
    path("o/<slug:org>/risk-criteria/draft/discard/", criteria_discard_view, name="criteria_discard"),
]
