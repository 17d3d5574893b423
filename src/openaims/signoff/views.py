"""Pages of the sign-off component: the approver's inbox, one request, and the sign/return/withdraw forms."""

from __future__ import annotations

from typing import Protocol

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_POST

from openaims.lib.errors import ServiceError
from openaims.lib.forms import add_service_error
from openaims.signoff import selectors, services
from openaims.signoff.access import get_signoff_for_tenant
from openaims.signoff.forms import DecisionForm
from openaims.signoff.models import SignOffRequest, SignOffStatus
from openaims.tenancy.access import TenantRequest, tenant_view
from openaims.tenancy.models import Tenant
from openaims.tenancy.roles import Perm

app_name = "signoff"


class Decision(Protocol):
    """signoff_sign, signoff_return or signoff_withdraw."""

    def __call__(self, *, actor: Tenant, request: SignOffRequest, comment: str) -> SignOffRequest: ...


@tenant_view(Perm.READ)
def inbox_view(request: TenantRequest) -> HttpResponse:
    """What waits on me in this organization, what I asked others for, and the organization's recent decisions."""
    tenant = request.tenant
    org = tenant.organization
    context = {
        "waiting": list(selectors.pending_for(tenant.person(), org)),
        "asked": list(selectors.for_organization(org, status=SignOffStatus.PENDING).filter(requester=tenant.user)),
        "recent": list(selectors.for_organization(org).exclude(status=SignOffStatus.PENDING)[:20]),
    }
    return render(request, "signoff/inbox.html", context)


@tenant_view(Perm.READ)
def detail_view(request: TenantRequest, pk: int) -> HttpResponse:
    return _page(request, get_signoff_for_tenant(request.tenant, pk))


def _page(
    request: TenantRequest, signoff: SignOffRequest, *, form: DecisionForm | None = None, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "signoff/detail.html",
        {"signoff": signoff, "signoff_form": form or DecisionForm()},
        status=status,
    )


def _decide(request: TenantRequest, pk: int, service: Decision, done: str) -> HttpResponse:
    signoff = get_signoff_for_tenant(request.tenant, pk)
    form = DecisionForm(request.POST)
    if form.is_valid():
        try:
            decided = service(actor=request.tenant, request=signoff, comment=form.cleaned_data["comment"])
        except ServiceError as exc:
            if exc.status == 403:
                raise PermissionDenied(exc.message) from None
            add_service_error(form, exc)
        else:
            messages.success(request, f"{decided.subject_label}: {done}.")
            if decided.subject_url:
                return redirect(decided.subject_url)
            return redirect("signoff:detail", request.tenant.organization.slug, decided.pk)
    return _page(request, signoff, form=form, status=400)


@tenant_view(Perm.APPROVE)
@require_POST
def sign_view(request: TenantRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, services.signoff_sign, "signed")


@tenant_view(Perm.APPROVE)
@require_POST
def return_view(request: TenantRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, services.signoff_return, "returned")


@tenant_view(Perm.READ)
@require_POST
def withdraw_view(request: TenantRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, services.signoff_withdraw, "withdrawn")


urlpatterns = [
    path("o/<slug:org>/signoffs/", inbox_view, name="inbox"),
    path("o/<slug:org>/signoffs/<int:pk>/", detail_view, name="detail"),
    path("o/<slug:org>/signoffs/<int:pk>/sign/", sign_view, name="sign"),
    path("o/<slug:org>/signoffs/<int:pk>/return/", return_view, name="return"),
    path("o/<slug:org>/signoffs/<int:pk>/withdraw/", withdraw_view, name="withdraw"),
]
