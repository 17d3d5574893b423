"""System card pages: the live draft with its gaps, downloads, publishing and published versions (A.6.2.7, A.8.2)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_POST

from openaims.inventory import card as cards
from openaims.inventory.access import get_system_for_tenant
from openaims.lib.errors import ServiceError
from openaims.lib.forms import add_service_error
from openaims.tenancy.access import tenant_view
from openaims.tenancy.roles import Perm

CONTENT_TYPES = {"md": "text/markdown; charset=utf-8", "pdf": "application/pdf"}


class CardPublishForm(forms.Form):
    note = forms.CharField(
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Why this version, e.g. 'for the deployment gate'.",
    )


@tenant_view(Perm.READ)
def card_view(request, pk: int):
    """The system card as it would be published now, its gaps, and the published versions."""
    return _card_page(request, get_system_for_tenant(request.tenant, pk))


def _card_page(request, system, *, form=None, status=200):
    tenant = request.tenant
    content = cards.card_content(system)
    versions = list(cards.card_versions(system))
    latest = versions[0] if versions else None
    context = {
        "system": system,
        "card": content,
        "meta": cards.card_meta(),
        "versions": versions,
        "latest": latest,
        "unchanged": latest is not None and latest.content_hash == cards.content_hash(content),
        "can_publish": tenant.can(Perm.APPROVE),
    }
    if context["can_publish"]:
        context["form"] = form or CardPublishForm()
    return render(request, "inventory/card_draft.html", context, status=status)


def _download(request, content: dict, fmt: str, *, meta: dict, number: int | None = None, markdown: str | None = None):
    if fmt not in CONTENT_TYPES:
        raise Http404("Unknown card format")
    try:  # the whole file is made before anything is sent
        body = (markdown or cards.card_markdown(content, meta)) if fmt == "md" else cards.card_pdf(content, meta)
    except ServiceError as exc:
        reason = {"title": "This download is not available", "reason": exc.message}
        return render(request, "400.html", reason, status=400)
    response = HttpResponse(body, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{cards.card_filename(content, fmt, number)}"'
    return response


@tenant_view(Perm.READ)
def card_download_view(request, pk: int, fmt: str):
    system = get_system_for_tenant(request.tenant, pk)
    if fmt not in CONTENT_TYPES:
        raise Http404("Unknown card format")
    return _download(request, cards.card_content(system), fmt, meta=cards.card_meta())


@tenant_view(Perm.APPROVE)
@require_POST
def card_publish_view(request, pk: int):
    system = get_system_for_tenant(request.tenant, pk)
    form = CardPublishForm(request.POST)
    if form.is_valid():
        try:
            version = cards.card_publish(actor=request.tenant, system=system, note=form.cleaned_data["note"])
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, f"Version {version.number} of the {system.ref} system card was published.")
            return redirect("inventory:card_version", request.tenant.organization.slug, system.pk, version.number)
    return _card_page(request, system, form=form, status=400)


@tenant_view(Perm.READ)
def card_version_view(request, pk: int, number: int):
    """A published card version exactly as it was frozen, whatever changed in the register since."""
    system = get_system_for_tenant(request.tenant, pk)
    version = cards.get_card_version_for_system(system, number)
    context = {
        "system": system,
        "version": version,
        "card": version.content,
        "current": version.system_version == system.version,
    }
    return render(request, "inventory/card_version.html", context)


@tenant_view(Perm.READ)
def card_version_download_view(request, pk: int, number: int, fmt: str):
    system = get_system_for_tenant(request.tenant, pk)
    version = cards.get_card_version_for_system(system, number)
    if fmt not in CONTENT_TYPES:
        raise Http404("Unknown card format")
    meta = cards.version_meta(version)
    return _download(request, version.content, fmt, meta=meta, number=version.number, markdown=version.markdown)


urlpatterns = [
    path("o/<slug:org>/systems/<int:pk>/card/", card_view, name="card"),
    path("o/<slug:org>/systems/<int:pk>/card.<slug:fmt>", card_download_view, name="card_download"),
    path("o/<slug:org>/systems/<int:pk>/card/publish/", card_publish_view, name="card_publish"),
    path("o/<slug:org>/systems/<int:pk>/card/v<int:number>/", card_version_view, name="card_version"),
    path(
        "o/<slug:org>/systems/<int:pk>/card/v<int:number>.<slug:fmt>",
        card_version_download_view,
        name="card_version_download",
    ),
]
