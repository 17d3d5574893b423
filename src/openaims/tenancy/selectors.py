"""Reads about who belongs to an organization: the one member lookup every app uses."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from openaims.accounts.models import User
from openaims.lib.errors import Forbidden, ServiceError
from openaims.tenancy.models import Membership, Organization, Tenant


def memberships(organization: Organization) -> QuerySet[Membership]:
    """The organization's memberships with their users, by username, in one query."""
    return Membership.objects.filter(organization=organization).select_related("user").order_by("user__username")


def memberships_of(user: User) -> list[Membership]:
    """The organizations a person belongs to, as memberships with their organization (one query)."""
    return list(Membership.objects.for_user(user).select_related("organization"))


def members(organization: Organization) -> list[User]:
    """The organization's members (users), by username, in one query: owner choices, filters, display names."""
    return [m.user for m in memberships(organization)]


def member_role(organization: Organization, user: User | None) -> str | None:
    """The user's role in the organization, None for a non-member (or no user)."""
    if user is None:
        return None
    return Membership.objects.filter(organization=organization, user=user).values_list("role", flat=True).first()


def member_by_username(organization: Organization, username: str | None, *, field: str) -> User | None:
    """The member with this username, None for an empty value; anyone else is a ServiceError on `field`."""
    if not username:
        return None
    membership = memberships(organization).filter(user__username=username).first()
    if membership is None:
        raise ServiceError(f"{username!r} is not a member of this organization", field=field)
    return membership.user


def check_member(organization: Organization, user: Any, *, field: str, members: set[int] | None = None) -> User | None:
    """`user` when they belong to the organization (None passes); else a ServiceError on `field`.

    `members` (user ids) saves the query when many rows are checked at once (imports).
    """
    if user is None:
        return None
    found = user.pk in members if members is not None else member_role(organization, user) is not None
    if not found:
        raise ServiceError(f"the {field.replace('_', ' ')} must be a member of this organization", field=field)
    member: User = user
    return member


def tenant_of(user: User, organization: Organization | None = None) -> Tenant:
    """The Tenant a user acts as in `organization` (their only organization when omitted).

    For callers outside a request: the CLI acting `--as` a member, demo data, tests. Refused for a
    non-member, like a request would be.
    """
    found = Membership.objects.for_user(user).select_related("organization", "user")
    if organization is not None:
        found = found.filter(organization=organization)
    membership = found.order_by("created_at", "pk").first()
    if membership is None:
        where = organization.slug if organization is not None else "any organization"
        raise Forbidden(f"{user.get_username()} is not a member of {where}")
    return Tenant(membership)


def first_member_with(organization: Organization, perm: str) -> Tenant | None:
    """The longest-standing member whose role holds `perm`, as a Tenant (demo data picks who acts this way)."""
    for membership in (
        Membership.objects.filter(organization=organization)
        .select_related("organization", "user")
        .order_by("created_at", "pk")
    ):
        if perm in membership.permissions():
            return Tenant(membership)
    return None
