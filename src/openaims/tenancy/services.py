"""Writes for organizations, memberships, invitations and API tokens. Each records its audit event."""

from __future__ import annotations

import hmac
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from openaims.accounts.models import User
from openaims.audittrail.revisions import claim_revision
from openaims.audittrail.services import Action, diff, fk_label, record_event, snapshot
from openaims.lib.errors import Conflict, Forbidden, ServiceError, full_clean_or_raise
from openaims.lib.tokens import new_secret, sha256_hex, split_lookup
from openaims.tenancy.models import ApiToken, Invitation, Membership, Organization, Tenant
from openaims.tenancy.roles import Role, role_within, roles_within

TOKEN_PREFIX = "aims"
INVITATION_PREFIX = "inv"


def _unique_slug(name: str) -> str:
    base = slugify(name)[:40] or "org"
    slug, n = base, 1
    while Organization.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def organization_create(
    *, actor: User | None, name: str, owner: User, slug: str | None = None, description: str = ""
) -> Organization:
    """Create an organization with `owner` as its first owner.

    Account-level: there is no organization to act in yet, so `actor` is a user (or None when seeding).
    """
    with transaction.atomic():
        if slug and Organization.objects.filter(slug=slug).exists():
            raise Conflict(f"an organization with the slug {slug!r} exists already", field="slug")
        org = Organization(name=name.strip(), slug=slug or _unique_slug(name), description=description)
        full_clean_or_raise(org)
        org.save()
        record_event(
            actor=actor,
            organization=org,
            obj=org,
            action=Action.CREATE,
            changes=diff({}, snapshot(org, Organization.AUDITED_FIELDS)),
        )
        membership = Membership(organization=org, user=owner, role=Role.OWNER)
        membership.save()
        record_event(
            actor=actor,
            organization=org,
            obj=membership,
            action=Action.CREATE,
            changes=diff({}, membership_state(membership)),
        )
    return org


def organization_update(
    *, actor: Tenant, name: str, description: str, expected_revision: int | None = None
) -> Organization:
    """Rename or describe the actor's organization (`expected_revision`: see lib/concurrency)."""
    with transaction.atomic():
        org = Organization.objects.select_for_update().get(pk=actor.organization.pk)
        before = snapshot(org, Organization.AUDITED_FIELDS)
        org.name, org.description = name.strip(), description
        full_clean_or_raise(org)
        changes = diff(before, snapshot(org, Organization.AUDITED_FIELDS))
        if changes:
            claim_revision(org, expected_revision)
            org.save(update_fields=["name", "description"])
            record_event(actor=actor, organization=org, obj=org, action=Action.UPDATE, changes=changes)
    return org


def membership_state(membership: Membership) -> dict[str, Any]:
    return {"user": fk_label(membership.user), "role": membership.role}


def _owner_count(organization: Organization) -> int:
    return Membership.objects.filter(organization=organization, role=Role.OWNER, user__is_active=True).count()


def membership_add(*, actor: Tenant, user: User, role: str) -> Membership:
    """Make `user` a member of the actor's organization with `role`."""
    return _membership_add(actor=actor, organization=actor.organization, user=user, role=role)


def _membership_add(*, actor: Tenant | User, organization: Organization, user: User, role: str) -> Membership:
    # `actor` is a Tenant, or the joining user when an invitation is accepted (they are no member yet).
    if role not in Role.values:
        raise ServiceError(f"unknown role {role!r}; choose one of {', '.join(Role.values)}", field="role")
    with transaction.atomic():
        if Membership.objects.filter(organization=organization, user=user).exists():
            raise Conflict(f"{user.get_username()} is already a member", field="user")
        membership = Membership.objects.create(organization=organization, user=user, role=role)
        record_event(
            actor=actor,
            organization=organization,
            obj=membership,
            action=Action.CREATE,
            changes=diff({}, membership_state(membership)),
        )
        _close_stale_invitations(actor=actor, organization=organization, user=user)
    return membership


def _close_stale_invitations(*, actor: Tenant | User, organization: Organization, user: User) -> None:
    """The person joined (added directly, or through another invitation): their other open links close."""
    if not user.email:
        return
    stale = Invitation.objects.select_for_update().filter(
        organization=organization,
        email__iexact=user.email.strip(),
        accepted_at=None,
        revoked_at=None,
        expires_at__gt=timezone.now(),
    )
    for invitation in stale:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        record_event(
            actor=actor,
            organization=organization,
            obj=invitation,
            action="close",
            changes={"reason": [None, f"{user.get_username()} joined the organization"]},
        )


def membership_change_role(
    *, actor: Tenant, membership: Membership, role: str, expected_revision: int | None = None
) -> Membership:
    if role not in Role.values:
        raise ServiceError(f"unknown role {role!r}; choose one of {', '.join(Role.values)}", field="role")
    with transaction.atomic():
        locked = Membership.objects.select_for_update().select_related("organization", "user").get(pk=membership.pk)
        if locked.role == role:
            return locked
        if locked.role == Role.OWNER and _owner_count(locked.organization) <= 1:
            raise Conflict("an organization needs at least one owner; make someone else owner first", field="role")
        before = membership_state(locked)
        claim_revision(locked, expected_revision)
        locked.role = role
        locked.save(update_fields=["role"])
        record_event(
            actor=actor,
            organization=locked.organization,
            obj=locked,
            action=Action.UPDATE,
            changes=diff(before, membership_state(locked)),
        )
    return locked


def membership_remove(*, actor: Tenant, membership: Membership) -> None:
    with transaction.atomic():
        locked = Membership.objects.select_for_update().select_related("organization", "user").get(pk=membership.pk)
        if locked.role == Role.OWNER and _owner_count(locked.organization) <= 1:
            raise Conflict("the last owner cannot be removed; make someone else owner first")
        record_event(
            actor=actor,
            organization=locked.organization,
            obj=locked,
            action=Action.DELETE,
            changes=diff(membership_state(locked), {}),
        )
        # Their tokens for this organization stop working with the membership.
        ApiToken.objects.filter(organization=locked.organization, user=locked.user, revoked_at=None).update(
            revoked_at=timezone.now()
        )
        locked.delete()


def invitation_create(*, actor: Tenant, email: str, role: str) -> tuple[Invitation, str]:
    """Create an invitation; returns it with the one-time secret for the link (not stored)."""
    organization = actor.organization
    if role not in Role.values:
        raise ServiceError(f"unknown role {role!r}", field="role")
    raw, _lookup, digest = new_secret(INVITATION_PREFIX)
    with transaction.atomic():
        invitation = Invitation(
            organization=organization,
            email=email.strip().lower(),
            role=role,
            token_hash=digest,
            invited_by=actor.user,
            expires_at=timezone.now() + timedelta(days=settings.AIMS_INVITATION_DAYS),
        )
        full_clean_or_raise(invitation, exclude=["invited_by"])
        invitation.save()
        record_event(
            actor=actor,
            organization=organization,
            obj=invitation,
            action=Action.CREATE,
            changes={"email": [None, invitation.email], "role": [None, role]},
        )
    return invitation, raw


def invitation_for_secret(raw: str) -> Invitation | None:
    if split_lookup(raw, INVITATION_PREFIX) is None:
        return None
    return Invitation.objects.select_related("organization").filter(token_hash=sha256_hex(raw)).first()


def invitation_accept(*, user: User, raw: str) -> Membership:
    """`user` joins through an invitation link. Account-level: they are no member yet, so the actor is the user."""
    with transaction.atomic():
        invitation = invitation_for_secret(raw)
        if invitation is None:
            raise ServiceError("this invitation link is not valid", code="not_found")
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if invitation.status != "open":
            raise Conflict(f"this invitation is {invitation.status}")
        existing = Membership.objects.filter(organization=invitation.organization, user=user).first()
        if existing:
            raise Conflict(f"you are already a member of {invitation.organization.name}")
        invitation.accepted_at, invitation.accepted_by = timezone.now(), user
        invitation.save(update_fields=["accepted_at", "accepted_by"])
        record_event(
            actor=user,
            organization=invitation.organization,
            obj=invitation,
            action="accept",
            changes={"accepted_by": [None, user.pk]},
        )
        return _membership_add(actor=user, organization=invitation.organization, user=user, role=invitation.role)


def invitation_revoke(*, actor: Tenant, invitation: Invitation) -> Invitation:
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if invitation.status != "open":
            raise Conflict(f"this invitation is {invitation.status} and cannot be revoked")
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        record_event(actor=actor, organization=invitation.organization, obj=invitation, action="revoke")
    return invitation


def api_token_create(
    *, actor: Tenant, name: str, role: str, expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """Create a personal token for the acting person in their organization; returns it with the secret, shown once.

    The token's role must fit inside what the actor may do now (a token creating a token is capped by it).
    """
    if actor.user is None or actor.role is None:
        raise Forbidden("only a person holds API tokens")
    organization = actor.organization
    if role not in Role.values:
        raise ServiceError(f"unknown role {role!r}", field="role")
    if not role_within(role, actor.role):
        allowed = ", ".join(roles_within(actor.role))
        raise Forbidden(f"a token cannot have more rights than you; as {actor.role} choose {allowed}", field="role")
    if expires_at is not None and expires_at <= timezone.now():
        raise ServiceError("the expiry date must be in the future", field="expires_at")
    raw, lookup, digest = new_secret(TOKEN_PREFIX)
    with transaction.atomic():
        token = ApiToken(
            organization=organization,
            user=actor.user,
            name=name.strip(),
            role=role,
            prefix=lookup,
            token_hash=digest,
            expires_at=expires_at,
        )
        full_clean_or_raise(token, exclude=["user", "organization"])
        token.save()
        record_event(
            actor=actor,
            organization=organization,
            obj=token,
            action=Action.CREATE,
            changes={"name": [None, token.name], "role": [None, role], "user": [None, actor.user.pk]},
        )
    return token, raw


def api_token_revoke(*, actor: Tenant, token: ApiToken) -> ApiToken:
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().select_related("organization").get(pk=token.pk)
        if token.revoked_at:
            return token
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        record_event(actor=actor, organization=token.organization, obj=token, action="revoke")
    return token


def api_token_authenticate(raw: str) -> Tenant | None:
    """The tenant a bearer token acts as, or None for an unknown, revoked or expired token."""
    lookup = split_lookup(raw, TOKEN_PREFIX)
    if lookup is None:
        return None
    token = ApiToken.objects.select_related("organization", "user").filter(prefix=lookup).first()
    if token is None or token.status != "active" or not hmac.compare_digest(token.token_hash, sha256_hex(raw)):
        return None
    membership = (
        Membership.objects.for_user(token.user)
        .select_related("organization", "user")
        .filter(organization_id=token.organization_id)
        .first()
    )
    if membership is None:
        return None
    now = timezone.now()
    # Record use at most once a minute: a busy pipeline should not write on every request.
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return Tenant(membership, token)


def user_for_login(identifier: str) -> User | None:
    """The account a login form or an API call names, by username or by email."""
    users = get_user_model()
    identifier = identifier.strip()
    return users.objects.filter(username__iexact=identifier).first() or (
        users.objects.filter(email__iexact=identifier).first() if "@" in identifier else None
    )
