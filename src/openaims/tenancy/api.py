from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import Http404
from ninja import Router, Schema, Status
from pydantic import Field

from openaims.api.auth import tenant_for
from openaims.api.schemas import ERRORS, AwareDateTime, Page, paginate_queryset
from openaims.lib.errors import Forbidden
from openaims.tenancy import services
from openaims.tenancy.access import ApiRequest, get_membership_for_tenant, get_token_for_tenant
from openaims.tenancy.models import ApiToken, Membership, Organization
from openaims.tenancy.roles import Perm, Role, role_within

router = Router(tags=["organizations"])


class OrganizationOut(Schema):
    id: int
    slug: str
    name: str
    description: str
    created_at: datetime


class OrganizationPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=120)
    description: str | None = Field(None, max_length=10_000)


class MeOut(Schema):
    username: str
    full_name: str
    organization: OrganizationOut
    role: str
    token_name: str


class MemberOut(Schema):
    id: int
    username: str
    full_name: str
    email: str
    role: Role
    created_at: datetime


class MemberIn(Schema):
    user: str = Field(..., description="Username or email of an existing account", min_length=1, max_length=254)
    role: Role


class RoleIn(Schema):
    role: Role


class InvitationIn(Schema):
    email: str = Field(..., min_length=3, max_length=254)
    role: Role


class InvitationOut(Schema):
    id: int
    email: str
    role: str
    expires_at: datetime
    secret: str = Field(..., description="Goes into the link /invitations/<secret>/; shown only now.")


class TokenOut(Schema):
    id: int
    name: str
    role: str
    username: str
    prefix: str
    status: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None


class TokenIn(Schema):
    name: str = Field(..., min_length=1, max_length=80)
    role: Role
    expires_at: AwareDateTime | None = Field(None, description="With its time zone, e.g. 2026-12-31T00:00:00Z")


class TokenCreatedOut(TokenOut):
    secret: str = Field(..., description="The token itself. It is shown once and stored only as a hash.")


def _org(org: Organization) -> dict[str, Any]:
    return {
        "id": org.pk,
        "slug": org.slug,
        "name": org.name,
        "description": org.description,
        "created_at": org.created_at,
    }


def _member(m: Membership) -> dict[str, Any]:
    return {
        "id": m.pk,
        "username": m.user.username,
        "full_name": m.user.full_name,
        "email": m.user.email,
        "role": m.role,
        "created_at": m.created_at,
    }


def _token(t: ApiToken) -> dict[str, Any]:
    return {
        "id": t.pk,
        "name": t.name,
        "role": t.role,
        "username": t.user.username,
        "prefix": t.prefix,
        "status": t.status,
        "created_at": t.created_at,
        "expires_at": t.expires_at,
        "last_used_at": t.last_used_at,
    }


@router.get("/me", response={200: MeOut, **ERRORS}, summary="Who this token acts as")
def me(request: ApiRequest) -> dict[str, Any]:
    tenant = request.auth
    return {
        "username": tenant.person().username,
        "full_name": tenant.person().full_name,
        "organization": _org(tenant.organization),
        "role": tenant.role,
        "token_name": tenant.token.name if tenant.token else "",  # always a token here: TokenAuth
    }


@router.get("/orgs/{org}", response={200: OrganizationOut, **ERRORS})
def organization_get(request: ApiRequest, org: str) -> dict[str, Any]:
    return _org(tenant_for(request, org, Perm.READ).organization)


@router.patch("/orgs/{org}", response={200: OrganizationOut, **ERRORS})
def organization_patch(request: ApiRequest, org: str, payload: OrganizationPatch) -> dict[str, Any]:
    tenant = tenant_for(request, org, Perm.MANAGE_ORGANIZATION)
    current = tenant.organization
    updated = services.organization_update(
        actor=tenant,
        name=payload.name if payload.name is not None else current.name,
        description=payload.description if payload.description is not None else current.description,
    )
    return _org(updated)


@router.get("/orgs/{org}/members", response={200: Page[MemberOut], **ERRORS})
def members_list(
    request: ApiRequest, org: str, q: str = "", role: Role | None = None, page: int = 1, page_size: int = 50
) -> dict[str, Any]:
    tenant = tenant_for(request, org, Perm.READ)
    members = Membership.objects.filter(organization=tenant.organization).select_related("user")
    if q:
        members = members.filter(user__username__icontains=q) | members.filter(user__full_name__icontains=q)
    if role:
        members = members.filter(role=role)
    return paginate_queryset(members.order_by("user__username"), page, page_size, _member)


@router.post("/orgs/{org}/members", response={201: MemberOut, **ERRORS})
def members_add(request: ApiRequest, org: str, payload: MemberIn) -> Status[dict[str, Any]]:
    tenant = tenant_for(request, org, Perm.MANAGE_MEMBERS)
    user = services.user_for_login(payload.user)
    if user is None:
        raise Http404("no account has this username or email; send an invitation instead")
    membership = services.membership_add(actor=tenant, user=user, role=payload.role)
    return Status(201, _member(membership))


@router.get("/orgs/{org}/members/{member_id}", response={200: MemberOut, **ERRORS})
def members_get(request: ApiRequest, org: str, member_id: int) -> dict[str, Any]:
    tenant = tenant_for(request, org, Perm.READ)
    return _member(get_membership_for_tenant(tenant, member_id))


@router.patch("/orgs/{org}/members/{member_id}", response={200: MemberOut, **ERRORS})
def members_change_role(request: ApiRequest, org: str, member_id: int, payload: RoleIn) -> dict[str, Any]:
    tenant = tenant_for(request, org, Perm.MANAGE_MEMBERS)
    membership = get_membership_for_tenant(tenant, member_id)
    return _member(services.membership_change_role(actor=tenant, membership=membership, role=payload.role))


@router.delete("/orgs/{org}/members/{member_id}", response={204: None, **ERRORS})
def members_remove(request: ApiRequest, org: str, member_id: int) -> Status[None]:
    tenant = tenant_for(request, org, Perm.MANAGE_MEMBERS)
    services.membership_remove(actor=tenant, membership=get_membership_for_tenant(tenant, member_id))
    return Status(204, None)


@router.post("/orgs/{org}/invitations", response={201: InvitationOut, **ERRORS})
def invitations_create(request: ApiRequest, org: str, payload: InvitationIn) -> Status[dict[str, Any]]:
    tenant = tenant_for(request, org, Perm.MANAGE_MEMBERS)
    invitation, raw = services.invitation_create(actor=tenant, email=payload.email, role=payload.role)
    return Status(
        201,
        {
            "id": invitation.pk,
            "email": invitation.email,
            "role": invitation.role,
            "expires_at": invitation.expires_at,
            "secret": raw,
        },
    )


@router.get("/orgs/{org}/tokens", response={200: Page[TokenOut], **ERRORS})
def tokens_list(request: ApiRequest, org: str, page: int = 1, page_size: int = 50) -> dict[str, Any]:
    tenant = tenant_for(request, org, Perm.READ)
    tokens = ApiToken.objects.filter(organization=tenant.organization).select_related("user")
    if not tenant.can(Perm.MANAGE_MEMBERS):
        tokens = tokens.filter(user=tenant.user)
    return paginate_queryset(tokens, page, page_size, _token)


@router.post("/orgs/{org}/tokens", response={201: TokenCreatedOut, **ERRORS})
def tokens_create(request: ApiRequest, org: str, payload: TokenIn) -> Status[dict[str, Any]]:
    tenant = tenant_for(request, org, Perm.READ)

    # A token may mint tokens, but never one with more rights than itself.
    if not role_within(payload.role, tenant.role or Role.VIEWER):
        raise Forbidden(f"this token ({tenant.role}) cannot create a {payload.role} token", field="role")
    token, raw = services.api_token_create(
        actor=tenant,
        name=payload.name,
        role=payload.role,
        expires_at=payload.expires_at,
    )
    return Status(201, {**_token(token), "secret": raw})


@router.delete("/orgs/{org}/tokens/{token_id}", response={204: None, **ERRORS})
def tokens_revoke(request: ApiRequest, org: str, token_id: int) -> Status[None]:
    tenant = tenant_for(request, org, Perm.READ)
    services.api_token_revoke(actor=tenant, token=get_token_for_tenant(tenant, token_id))
    return Status(204, None)
