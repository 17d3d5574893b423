from __future__ import annotations

from openaims import __version__
from openaims.tenancy.models import Membership
from openaims.web import nav


def shell(request) -> dict:
    """The layout's navigation and organization switcher, for pages inside an organization."""
    tenant = getattr(request, "tenant", None)
    context = {"aims_version": __version__, "tenant": tenant}
    if tenant is not None:
        context["nav_sections"] = nav.build(tenant, request.path)
        context["my_memberships"] = list(
            Membership.objects.for_user(request.user).select_related("organization").order_by("organization__name")
        )
    return context
