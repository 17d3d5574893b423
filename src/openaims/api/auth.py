from __future__ import annotations

from django.http import Http404, HttpRequest
from ninja.security import HttpBearer

from openaims.tenancy.access import ApiRequest, require
from openaims.tenancy.models import Tenant
from openaims.tenancy.services import api_token_authenticate

# The request attribute naming the permission of the operation being run (set by api.main for each operation).
PERMISSION_ATTR = "aims_permission"


class TokenAuth(HttpBearer):
    """`Authorization: Bearer aims_<id>_<secret>`: a personal token scoped to one organization."""

    openapi_description = "A personal API token created under Settings → API tokens (shown once)."

    def authenticate(self, request: HttpRequest, token: str) -> Tenant | None:
        tenant = api_token_authenticate(token)
        if tenant is not None:
            _check_permission_early(request, tenant)
        return tenant


def _check_permission_early(request: HttpRequest, tenant: Tenant) -> None:
    """Before the body is parsed: another organization's path is 404 (as in `tenant_for`), and the operation's
    permission is checked, so a role that may not act learns that (403) rather than what is wrong with its body."""
    match = request.resolver_match
    org = match.kwargs.get("org") if match else None
    if org is None:
        return
    if org != tenant.organization.slug:
        raise Http404("No such organization for this token")
    permission = getattr(request, PERMISSION_ATTR, None)
    if permission:
        require(tenant, permission)


def tenant_for(request: ApiRequest, org: str, perm: str) -> Tenant:
    """The token's tenant when `org` is its organization (else 404, like the web), with `perm` checked."""
    tenant = request.auth
    if tenant.organization.slug != org:
        raise Http404("No such organization for this token")
    require(tenant, perm)
    return tenant
