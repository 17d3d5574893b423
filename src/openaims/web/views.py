from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from openaims.audittrail.selectors import recent_events
from openaims.tenancy.access import tenant_view
from openaims.tenancy.roles import Perm
from openaims.tenancy.selectors import memberships_of
from openaims.web import tiles


@login_required
def home_view(request):
    """Send the user to the organization they used last, or let them pick or create one."""
    memberships = memberships_of(request.user)
    last = request.session.get("aims_org")
    for membership in memberships:
        if membership.organization.slug == last:
            return redirect("web:dashboard", last)
    if len(memberships) == 1:
        return redirect("web:dashboard", memberships[0].organization.slug)
    return render(request, "web/choose_organization.html", {"memberships": memberships})


@tenant_view(Perm.READ)
def dashboard_view(request):
    """Where the AIMS stands: the tiles apps register (web.tiles), then recent activity for those who may see it."""
    tenant = request.tenant
    recent = []
    if tenant.can(Perm.AUDIT_LOG):
        recent = recent_events(tenant.organization)
    return render(request, "web/dashboard.html", {"tiles": tiles.build_all(tenant), "recent": recent})


def csrf_failure(request, reason: str = ""):
    return render(
        request,
        "400.html",
        {
            "title": "The form expired",
            "reason": "This form was not accepted because its security token is missing or out of date "
            "(for example after logging in again in another tab). Go back, reload the page and try again.",
        },
        status=403,
    )


def bad_request(request, exception=None):
    return render(
        request,
        "400.html",
        {"title": "Bad request", "reason": "The request could not be understood (it may be too large)."},
        status=400,
    )
