from __future__ import annotations

from datetime import datetime, time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from openaims.accounts.forms import SignupForm
from openaims.accounts.http import AuthenticatedRequest
from openaims.accounts.services import user_create
from openaims.lib.concurrency import add_revision, form_status, take_revision
from openaims.lib.errors import ServiceError
from openaims.lib.forms import add_service_error
from openaims.lib.htmx import is_htmx
from openaims.lib.pagination import paginate, query_without_page
from openaims.tenancy import services
from openaims.tenancy.access import (
    TenantRequest,
    get_invitation_for_tenant,
    get_membership_for_tenant,
    get_token_for_tenant,
    tenant_view,
)
from openaims.tenancy.forms import (
    InviteForm,
    MemberAddForm,
    OrganizationCreateForm,
    OrganizationForm,
    RoleForm,
    TokenForm,
)
from openaims.tenancy.models import ApiToken, Invitation, Membership
from openaims.tenancy.roles import ROLE_DESCRIPTIONS, Perm, Role


def _status(request: HttpRequest) -> int:
    return 400 if request.method == "POST" else 200


@login_required
def organization_create_view(request: AuthenticatedRequest) -> HttpResponse:
    if not settings.AIMS_ALLOW_SIGNUP_ORGS:
        messages.error(request, "Creating organizations is switched off on this server.")
        return redirect("web:home")
    form = OrganizationCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            org = services.organization_create(
                actor=request.user,
                owner=request.user,
                name=form.cleaned_data["name"],
                slug=form.cleaned_data["slug"] or None,
                description=form.cleaned_data["description"],
            )
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, f"{org.name} was created; you are its owner.")
            return redirect("web:dashboard", org.slug)
    return render(request, "tenancy/organization_new.html", {"form": form}, status=_status(request))


@tenant_view(Perm.READ)
def settings_view(request: TenantRequest) -> HttpResponse:
    tenant = request.tenant
    org = tenant.organization
    form = OrganizationForm(request.POST or None, initial={"name": org.name, "description": org.description})
    add_revision(form, org)
    if request.method == "POST":
        if not tenant.can(Perm.MANAGE_ORGANIZATION):
            return render(request, "403.html", {"reason": "Only owners change organization settings."}, status=403)
        if form.is_valid():
            try:
                services.organization_update(
                    actor=request.tenant,
                    name=form.cleaned_data["name"],
                    description=form.cleaned_data["description"],
                    expected_revision=take_revision(form),
                )
            except ServiceError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, "Saved.")
                return redirect("tenancy:settings", org.slug)
    return render(
        request,
        "tenancy/settings.html",
        {
            "form": form,
            "object_type": "tenancy.organization",
            "object_id": org.pk,
            "can_edit": tenant.can(Perm.MANAGE_ORGANIZATION),
        },
        status=form_status(form) if request.method == "POST" else 200,
    )


@tenant_view(Perm.READ)
def members_view(request: TenantRequest) -> HttpResponse:
    tenant = request.tenant
    members = Membership.objects.filter(organization=tenant.organization).select_related("user")
    q = request.GET.get("q", "").strip()
    role = request.GET.get("role", "")
    if q:
        members = members.filter(
            Q(user__username__icontains=q) | Q(user__full_name__icontains=q) | Q(user__email__icontains=q)
        )
    if role in Role.values:
        members = members.filter(role=role)
    page = paginate(request, members.order_by("user__username"))
    context = {
        "page": page,
        "q": q,
        "role": role,
        "roles": Role.choices,
        "role_descriptions": ROLE_DESCRIPTIONS,
        "query": query_without_page(request),
        "can_manage": tenant.can(Perm.MANAGE_MEMBERS),
    }
    if context["can_manage"]:
        context["add_form"] = MemberAddForm()
        context["invite_form"] = InviteForm()
        context["invitations"] = Invitation.objects.filter(
            organization=tenant.organization, accepted_at=None, revoked_at=None, expires_at__gt=timezone.now()
        ).select_related("invited_by")
    template = "tenancy/_member_rows.html" if is_htmx(request) else "tenancy/members.html"
    return render(request, template, context)


@tenant_view(Perm.MANAGE_MEMBERS)
@require_POST
def member_add_view(request: TenantRequest) -> HttpResponse:
    tenant = request.tenant
    form = MemberAddForm(request.POST)
    if form.is_valid():
        user = services.user_for_login(form.cleaned_data["user"])
        if user is None:
            form.add_error("user", "no account has this username or email; send an invitation instead")
        else:
            try:
                services.membership_add(actor=request.tenant, user=user, role=form.cleaned_data["role"])
            except ServiceError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, f"{user.get_username()} was added as {form.cleaned_data['role']}.")
                return redirect("tenancy:members", tenant.organization.slug)
    return render(
        request,
        "tenancy/member_form.html",
        {
            "form": form,
            "title": "Add a member",
            "action": reverse("tenancy:member_add", args=[tenant.organization.slug]),
        },
        status=400,
    )


@tenant_view(Perm.MANAGE_MEMBERS)
@require_POST
def invite_view(request: TenantRequest) -> HttpResponse:
    tenant = request.tenant
    form = InviteForm(request.POST)
    if form.is_valid():
        try:
            invitation, raw = services.invitation_create(
                actor=request.tenant, email=form.cleaned_data["email"], role=form.cleaned_data["role"]
            )
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            link = request.build_absolute_uri(reverse("tenancy:accept", args=[raw]))
            return render(request, "tenancy/invitation_created.html", {"invitation": invitation, "link": link})
    return render(
        request,
        "tenancy/member_form.html",
        {"form": form, "title": "Invite someone", "action": reverse("tenancy:invite", args=[tenant.organization.slug])},
        status=400,
    )


@tenant_view(Perm.MANAGE_MEMBERS)
@require_POST
def invitation_revoke_view(request: TenantRequest, pk: int) -> HttpResponse:
    invitation = get_invitation_for_tenant(request.tenant, pk)
    try:
        services.invitation_revoke(actor=request.tenant, invitation=invitation)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"The invitation for {invitation.email} was revoked.")
    return redirect("tenancy:members", request.tenant.organization.slug)


@tenant_view(Perm.READ)
def member_view(request: TenantRequest, pk: int) -> HttpResponse:
    tenant = request.tenant
    membership = get_membership_for_tenant(tenant, pk)
    form = RoleForm(request.POST or None, initial={"role": membership.role})
    add_revision(form, membership)
    status = 200
    if request.method == "POST":
        if not tenant.can(Perm.MANAGE_MEMBERS):
            return render(request, "403.html", {"reason": "Only owners change roles."}, status=403)
        if form.is_valid():
            try:
                services.membership_change_role(
                    actor=request.tenant,
                    membership=membership,
                    role=form.cleaned_data["role"],
                    expected_revision=take_revision(form),
                )
            except ServiceError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, f"{membership.user.get_username()} is now {form.cleaned_data['role']}.")
                return redirect("tenancy:member", tenant.organization.slug, membership.pk)
        status = form_status(form)
    return render(
        request,
        "tenancy/member.html",
        {
            "membership": membership,
            "form": form,
            "can_manage": tenant.can(Perm.MANAGE_MEMBERS),
            "object_type": "tenancy.membership",
            "object_id": membership.pk,
        },
        status=status,
    )


@tenant_view(Perm.MANAGE_MEMBERS)
@require_POST
def member_remove_view(request: TenantRequest, pk: int) -> HttpResponse:
    tenant = request.tenant
    membership = get_membership_for_tenant(tenant, pk)
    try:
        services.membership_remove(actor=request.tenant, membership=membership)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("tenancy:member", tenant.organization.slug, membership.pk)
    messages.success(request, f"{membership.user.get_username()} was removed.")
    if membership.user_id == request.user.pk:
        return redirect("web:home")
    return redirect("tenancy:members", tenant.organization.slug)


@tenant_view(Perm.READ)
def tokens_view(request: TenantRequest) -> HttpResponse:
    tenant = request.tenant
    tokens = ApiToken.objects.filter(organization=tenant.organization).select_related("user")
    if not tenant.can(Perm.MANAGE_MEMBERS):
        tokens = tokens.filter(user=request.user)
    form = TokenForm(request.POST or None, ceiling=tenant.role or Role.VIEWER)
    created = None
    if request.method == "POST" and form.is_valid():
        expires = form.cleaned_data["expires_at"]
        try:
            token, raw = services.api_token_create(
                actor=request.tenant,
                name=form.cleaned_data["name"],
                role=form.cleaned_data["role"],
                expires_at=timezone.make_aware(datetime.combine(expires, time.max)) if expires else None,
            )
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            created = {"token": token, "secret": raw}
            form = TokenForm(ceiling=tenant.role or Role.VIEWER)
    status = 400 if request.method == "POST" and created is None else 200
    return render(
        request,
        "tenancy/tokens.html",
        {
            "page": paginate(request, tokens),
            "form": form,
            "created": created,
        },
        status=status,
    )


@tenant_view(Perm.READ)
@require_POST
def token_revoke_view(request: TenantRequest, pk: int) -> HttpResponse:
    token = get_token_for_tenant(request.tenant, pk)
    services.api_token_revoke(actor=request.tenant, token=token)
    messages.success(request, f"The token {token.name!r} was revoked.")
    return redirect("tenancy:tokens", request.tenant.organization.slug)


def accept_view(request: HttpRequest, secret: str) -> HttpResponse:
    """The invitation link: log in (or create an account) and join."""
    invitation = services.invitation_for_secret(secret)
    if invitation is None:
        return render(request, "tenancy/accept.html", {"error": "This invitation link is not valid."}, status=404)
    if invitation.status != "open":
        return render(
            request,
            "tenancy/accept.html",
            {"error": f"This invitation is {invitation.status}.", "invitation": invitation},
            status=410,
        )
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    signup = None
    if not request.user.is_authenticated:
        signup = SignupForm(request.POST or None)
        if request.method == "POST" and signup.is_valid():
            try:
                with transaction.atomic():  # no account without its membership
                    user = user_create(
                        actor=None,
                        username=signup.cleaned_data["username"],
                        password=signup.cleaned_data["password"],
                        email=invitation.email,
                        full_name=signup.cleaned_data["full_name"],
                    )
                    services.invitation_accept(user=user, raw=secret)
            except ServiceError as exc:
                add_service_error(signup, exc)
            else:
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                return redirect("web:dashboard", invitation.organization.slug)
    elif request.method == "POST":
        try:
            services.invitation_accept(user=request.user, raw=secret)
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            return redirect("web:dashboard", invitation.organization.slug)
    return render(request, "tenancy/accept.html", {"invitation": invitation, "form": signup}, status=_status(request))
