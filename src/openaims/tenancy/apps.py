from __future__ import annotations

from typing import TYPE_CHECKING

from django.apps import AppConfig
from django.http import Http404
from django.urls import reverse

from openaims.audittrail import registry
from openaims.web import nav

if TYPE_CHECKING:
    from openaims.tenancy.models import Organization, Tenant


class TenancyConfig(AppConfig):
    name = "openaims.tenancy"
    label = "tenancy"
    verbose_name = "Organizations and roles"

    def ready(self) -> None:
        # Imported here, not at the top: these import models, which exist only once the app registry is ready.
        from openaims.tenancy.access import get_membership_for_tenant, get_token_for_tenant

        def organization_lookup(tenant: Tenant, object_id: str) -> Organization:
            if str(tenant.organization.pk) != str(object_id):
                raise Http404("No such organization")
            return tenant.organization

        registry.register(
            "tenancy.organization",
            "Organization",
            organization_lookup,
            lambda t, obj: reverse("tenancy:settings", args=[t.organization.slug]),
        )
        registry.register(
            "tenancy.membership",
            "Membership",
            lambda t, pk: get_membership_for_tenant(t, int(pk)),
            lambda t, obj: reverse("tenancy:member", args=[t.organization.slug, obj.pk]),
        )
        registry.register("tenancy.apitoken", "API token", lambda t, pk: get_token_for_tenant(t, int(pk)))

        nav.register(
            "5",
            "Roles & members",
            lambda t: reverse("tenancy:members", args=[t.organization.slug]),
            clause="5.3",
            order=30,
        )
        nav.register(
            "settings", "Organization", lambda t: reverse("tenancy:settings", args=[t.organization.slug]), order=10
        )
        nav.register(
            "settings", "API tokens", lambda t: reverse("tenancy:tokens", args=[t.organization.slug]), order=20
        )
