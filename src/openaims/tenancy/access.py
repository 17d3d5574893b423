"""Reads that reach a user go through here: resolve the organization, check membership and permission.

Someone who is not a member of an organization gets 404 for everything in it, so its existence is
not revealed; a member whose role lacks the permission gets 403.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.urls import reverse

from openaims.accounts.http import AuthenticatedRequest
from openaims.accounts.models import User
from openaims.tenancy.models import ApiToken, Invitation, Membership, Tenant

# A Django view: takes the request (and URL arguments), answers with a response.
View = Callable[..., HttpResponseBase]


class TenantRequest(AuthenticatedRequest):
    """A request inside `tenant_view`: `tenant` says who acts, in which organization, with which role.

    For annotations only, like AuthenticatedRequest: the decorator sets `tenant` on Django's request.
    """

    tenant: Tenant


class ApiRequest(HttpRequest):
    """A request past the API's TokenAuth: `auth` is the tenant the bearer token acts as (annotations only)."""

    auth: Tenant


def object_pk(value: str | int | None) -> int:
    """A primary key from a URL or a history row; anything that is not one is 404 like a missing object."""
    try:
        return int(value)  # type: ignore[arg-type]  # None or junk from outside: what int() refuses is a 404
    except (TypeError, ValueError):
        raise Http404("No such object") from None


def get_tenant_for_user(user: User | AnonymousUser, slug: str) -> Tenant:
    membership = (
        Membership.objects.for_user(user).select_related("organization", "user").filter(organization__slug=slug).first()
    )
    if membership is None:
        raise Http404("No such organization")
    return Tenant(membership)


def require(tenant: Tenant, perm: str) -> None:
    if not tenant.can(perm):
        raise PermissionDenied(f"your role ({tenant.role}) may not do this")


def tenant_view(perm: str) -> Callable[[View], View]:
    """Decorate a view taking `org` (slug) from the URL: sets request.tenant, checks `perm`."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, org: str, *args: object, **kwargs: object) -> HttpResponseBase:
            if not request.user.is_authenticated:
                if request.headers.get("HX-Request"):
                    # An expired session during an HTMX swap: send the whole page to the login form
                    # instead of pasting the login form into a table cell.
                    response = HttpResponse(status=401)
                    response["HX-Redirect"] = f"{reverse(settings.LOGIN_URL)}?next={request.get_full_path()}"
                    return response
                return redirect_to_login(request.get_full_path())
            tenant = get_tenant_for_user(request.user, org)
            require(tenant, perm)
            request.tenant = tenant  # type: ignore[attr-defined]  # what makes the request a TenantRequest
            if request.session.get("aims_org") != org:  # write the session only when the organization changes
                request.session["aims_org"] = org
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def get_membership_for_tenant(tenant: Tenant, pk: int) -> Membership:
    membership = (
        Membership.objects.select_related("user", "organization")
        .filter(organization=tenant.organization, pk=pk)
        .first()
    )
    if membership is None:
        raise Http404("No such member")
    return membership


def get_invitation_for_tenant(tenant: Tenant, pk: int) -> Invitation:
    invitation = Invitation.objects.filter(organization=tenant.organization, pk=pk).first()
    if invitation is None:
        raise Http404("No such invitation")
    return invitation


def get_token_for_tenant(tenant: Tenant, pk: int) -> ApiToken:
    """A user sees and revokes their own tokens; owners may revoke anyone's in their organization."""
    tokens = ApiToken.objects.filter(organization=tenant.organization, pk=pk)
    if not tenant.can("manage_members"):
        tokens = tokens.filter(user=tenant.user)
    token = tokens.select_related("user", "organization").first()
    if token is None:
        raise Http404("No such token")
    return token
