"""Reads that reach a user go through here: resolve the organization, check membership and permission.

Someone who is not a member of an organization gets 404 for everything in it, so its existence is
not revealed; a member whose role lacks the permission gets 403.
"""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.urls import reverse

from openaims.lib.htmx import is_htmx
from openaims.tenancy.models import ApiToken, Invitation, Membership, Tenant


def object_pk(value) -> int:
    """A primary key from a URL or a history row; anything that is not one is 404 like a missing object."""
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Http404("No such object") from None


def get_for_tenant(queryset, tenant: Tenant, pk, *, what: str, key: str = "pk", **filters):
    """The one object of `queryset` in the tenant's organization whose `key` is `pk`, or 404 "No such <what>".

    Every get_<entity>_for_tenant helper is this with its queryset (select_related for its page) and
    its name: another organization's object and a missing one answer alike, so neither is revealed.
    """
    found = queryset.filter(organization=tenant.organization, **{key: object_pk(pk)}, **filters).first()
    if found is None:
        raise Http404(f"No such {what}")
    return found


def get_tenant_for_user(user, slug: str) -> Tenant:
    membership = (
        Membership.objects.for_user(user).select_related("organization", "user").filter(organization__slug=slug).first()
    )
    if membership is None:
        raise Http404("No such organization")
    return Tenant(membership)


def require(tenant: Tenant, perm: str) -> None:
    if not tenant.can(perm):
        raise PermissionDenied(f"your role ({tenant.role}) may not do this")


def tenant_view(perm: str):
    """Decorate a view taking `org` (slug) from the URL: sets request.tenant, checks `perm`."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, org: str, *args, **kwargs):
            if not request.user.is_authenticated:
                if is_htmx(request):
                    # An expired session during an HTMX swap: send the whole page to the login form
                    # instead of pasting the login form into a table cell.
                    response = HttpResponse(status=401)
                    response["HX-Redirect"] = f"{reverse(settings.LOGIN_URL)}?next={request.get_full_path()}"
                    return response
                return redirect_to_login(request.get_full_path())
            request.tenant = get_tenant_for_user(request.user, org)
            require(request.tenant, perm)
            if request.session.get("aims_org") != org:  # write the session only when the organization changes
                request.session["aims_org"] = org
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def get_membership_for_tenant(tenant: Tenant, pk: int) -> Membership:
    return get_for_tenant(Membership.objects.select_related("user", "organization"), tenant, pk, what="member")


def get_invitation_for_tenant(tenant: Tenant, pk: int) -> Invitation:
    return get_for_tenant(Invitation.objects.all(), tenant, pk, what="invitation")


def get_token_for_tenant(tenant: Tenant, pk: int) -> ApiToken:
    """A user sees and revokes their own tokens; owners may revoke anyone's in their organization."""
    tokens = ApiToken.objects.select_related("user", "organization")
    if not tenant.can("manage_members"):
        tokens = tokens.filter(user=tenant.user)
    return get_for_tenant(tokens, tenant, pk, what="token")
