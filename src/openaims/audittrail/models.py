"""Hash-chained, append-only audit trail (clause 7.5.3 control of documented information; A.6.2.8 event logs)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models

if TYPE_CHECKING:
    from openaims.accounts.models import User
    from openaims.tenancy.models import Organization

GENESIS_HASH = "0" * 64


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def for_organization(self, organization: Organization | None) -> AuditEventQuerySet:
        return self.filter(organization=organization)

    def for_user(self, user: User) -> AuditEventQuerySet:
        return self.filter(organization__memberships__user=user)

    def for_object(self, organization: Organization, object_type: str, object_id: object) -> AuditEventQuerySet:
        return self.filter(organization=organization, object_type=object_type, object_id=str(object_id))


class AuditEvent(models.Model):
    """One change made through a service. Rows are never updated or deleted by the application.

    `hash` is SHA-256 over the event's canonical content (see audittrail.chain) including
    `prev_hash`, so each organization's events form a chain that `aims audit verify` walks.
    `organization` is null for account events that belong to no organization (the global chain).
    """

    organization = models.ForeignKey(
        "tenancy.Organization", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    seq = models.PositiveBigIntegerField(help_text="Position in the organization's chain, from 1.")
    occurred_at_us = models.BigIntegerField(help_text="Microseconds since the Unix epoch, UTC.")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=150, blank=True)
    object_type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=40)
    # Canonical JSON text, hashed as stored: a JSONField would be re-encoded by PostgreSQL's jsonb.
    changes = models.TextField(default="{}")
    context = models.TextField(default="{}")
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "seq"],
                condition=models.Q(organization__isnull=False),
                name="audit_event_org_seq_unique",
            ),
            models.UniqueConstraint(
                fields=["seq"], condition=models.Q(organization__isnull=True), name="audit_event_global_seq_unique"
            ),
        ]
        indexes = [models.Index(fields=["organization", "object_type", "object_id"], name="audit_event_object")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"

    @property
    def actor_kind(self) -> str:
        """ "user", "system" (the organization's system actor, see services.actor_columns) or "" for nobody."""
        if self.actor_id is not None:
            return "user"
        return "system" if self.actor_label == "system" else ""

    @property
    def occurred_at(self) -> datetime:
        return datetime.fromtimestamp(self.occurred_at_us / 1_000_000, tz=UTC)

    @property
    def changes_dict(self) -> dict[str, Any]:
        changes: dict[str, Any] = json.loads(self.changes)
        return changes

    @property
    def context_dict(self) -> dict[str, Any]:
        context: dict[str, Any] = json.loads(self.context)
        return context


class AuditChainHead(models.Model):
    """The last sequence number and hash of a chain.

    Appends lock this row, which serializes writers of one organization; verification compares the
    chain's end with it, so events cut from the tail are detected too.
    """

    chain = models.CharField(max_length=32, unique=True, help_text="Organization id, or 'global'.")
    last_seq = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default=GENESIS_HASH)

    def __str__(self) -> str:
        return f"head of {self.chain} at #{self.last_seq}"
