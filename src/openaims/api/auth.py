from __future__ import annotations

from django.http import Http404, HttpRequest
from ninja.security import HttpBearer

from openaims.tenancy.access import ApiRequest, require
from openaims.tenancy.models import Tenant
from openaims.tenancy.services import api_token_authenticate


class TokenAuth(HttpBearer):
    """`Authorization: Bearer aims_<id>_<secret>`: a personal token scoped to one organization."""

    openapi_description = "A personal API token created under Settings → API tokens (shown once)."

    def authenticate(self, request: HttpRequest, token: str) -> Tenant | None:
        return api_token_authenticate(token)


def tenant_for(request: ApiRequest, org: str, perm: str) -> Tenant:
    """The token's tenant when `org` is its organization (else 404, like the web), with `perm` checked."""
    tenant = request.auth
    if tenant.organization.slug != org:
        raise Http404("No such organization for this token")
    require(tenant, perm)
    return tenant
