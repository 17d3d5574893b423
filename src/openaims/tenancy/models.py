"""Organizations (tenants), memberships with roles, invitations and personal API tokens."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import models
from django.utils import timezone

from openaims.lib.concurrency import Revisioned
from openaims.tenancy.roles import ROLE_PERMISSIONS, SYSTEM_PERMISSIONS, Role, acceptance_authority, effective_role

if TYPE_CHECKING:
    from openaims.accounts.models import User


class Organization(Revisioned):
    """A tenant: the organization whose AI management system (clause 4.3 scope) is run here."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=50, unique=True)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    AUDITED_FIELDS = ("name", "slug", "description")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class MembershipQuerySet(models.QuerySet["Membership"]):
    def for_user(self, user: User | AnonymousUser) -> MembershipQuerySet:
        if not user.is_authenticated:
            return self.none()
        return self.filter(user=user, user__is_active=True)


class Membership(Revisioned):
    """A person's role in one organization (clause 5.3)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(default=timezone.now)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "user"], name="membership_unique")]
        ordering = ["organization__name"]

    def __str__(self) -> str:
        return f"{self.user} as {self.role}"

    def permissions(self) -> frozenset[str]:
        return ROLE_PERMISSIONS[self.role]


class Invitation(models.Model):
    """An owner's invitation for someone without an account (or not yet a member) to join."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=20, choices=Role.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"invitation of {self.email} as {self.role}"

    @property
    def status(self) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "open"


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def for_user(self, user: User) -> ApiTokenQuerySet:
        return self.filter(user=user)


class ApiToken(models.Model):
    """A personal API token: shown once, stored as a SHA-256 hash, scoped to one organization and role."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="api_tokens")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=80)
    role = models.CharField(max_length=20, choices=Role.choices)
    prefix = models.CharField(max_length=16, unique=True)
    token_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"token {self.name} ({self.prefix}…)"

    @property
    def status(self) -> str:
        if self.revoked_at:
            return "revoked"
        if self.expires_at and self.expires_at <= timezone.now():
            return "expired"
        return "active"


class Tenant:
    """Who acts in which organization with which permissions: the `actor` every organization service takes.

    A person acts through their membership (narrowed by an API token when they use one). Work no person
    starts acts as the organization's system actor (`Tenant.system`): no user, SYSTEM_PERMISSIONS, and
    recorded in the audit trail as actor kind "system".
    """

    __slots__ = ("kind", "membership", "organization", "permissions", "role", "token", "user")

    def __init__(self, membership: Membership, token: ApiToken | None = None) -> None:
        self.kind = "user"
        self.membership: Membership | None = membership
        self.organization: Organization = membership.organization
        self.user: User | None = membership.user
        self.token = token
        self.role: str | None = effective_role(membership.role, token.role if token else None)
        self.permissions: frozenset[str] = ROLE_PERMISSIONS[self.role]

    @classmethod
    def system(cls, organization: Organization) -> Tenant:
        """The organization's system actor, for scheduled runs, background jobs and the CLI's system tasks."""
        tenant = cls.__new__(cls)
        tenant.kind = "system"
        tenant.membership = None
        tenant.organization = organization
        tenant.user = None
        tenant.token = None
        tenant.role = None
        tenant.permissions = SYSTEM_PERMISSIONS
        return tenant

    @property
    def is_system(self) -> bool:
        return self.kind == "system"

    @property
    def user_id(self) -> int | None:
        return self.user.pk if self.user is not None else None

    @property
    def label(self) -> str:
        return self.user.get_username() if self.user is not None else "system"

    def can(self, perm: str) -> bool:
        return perm in self.permissions

    def person(self, doing: str = "this") -> User:
        """The acting user; Forbidden for the system actor, for acts only a named person may do."""
        if self.user is None:
            from openaims.lib.errors import Forbidden  # lib.errors is plain; imported here to keep models light

            raise Forbidden(f"{doing} is a person's act, not the system's")
        return self.user

    def acceptance_authority(self) -> int:
        """How much residual risk this actor may accept (tenancy.roles.acceptance_authority of its role)."""
        return acceptance_authority(self.role)

    def __repr__(self) -> str:
        return f"<Tenant {self.label} in {self.organization.slug} ({self.role or self.kind})>"


class NumberCounter(models.Model):
    """The last number handed out for one kind of record (AIS, R, IA, SoA version…) in one organization.

    Written only by `tenancy.numbering.next_number`, under a row lock."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=40)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "kind"], name="number_counter_unique")]

    def __str__(self) -> str:
        return f"{self.kind} #{self.last}"
