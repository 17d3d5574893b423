"""The organization's controls and its Statement of Applicability (6.1.3).

One `Control` per adopted Annex A control plus the organization's own; each says whether it is
included, why, how far it is implemented, and links to what it satisfies and the evidence for it.
Published SoA versions are immutable snapshots.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from openaims.lib.concurrency import Revisioned


class ImplementationStatus(models.TextChoices):
    NOT_STARTED = "not_started", "Not started"
    PLANNED = "planned", "Planned"
    PARTIAL = "partial", "Partially implemented"
    IMPLEMENTED = "implemented", "Implemented"
    NOT_APPLICABLE = "not_applicable", "Not applicable"


class Applicability(models.TextChoices):
    UNDECIDED = "undecided", "Undecided"
    INCLUDED = "included", "Included"
    EXCLUDED = "excluded", "Excluded"


class Control(Revisioned):
    organization = models.ForeignKey("tenancy.Organization", on_delete=models.CASCADE, related_name="+")
    catalog_node = models.ForeignKey(
        "catalog.CatalogNode",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The Annex A (or other catalog) control this adopts; empty for the organization's own.",
    )
    ref_id = models.CharField(max_length=40)
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    group = models.CharField(max_length=120, blank=True, help_text="e.g. 'A.6 AI system life cycle' or 'Custom'")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        max_length=20, choices=ImplementationStatus.choices, default=ImplementationStatus.NOT_STARTED
    )
    applicability = models.CharField(max_length=12, choices=Applicability.choices, default=Applicability.UNDECIDED)
    justification = models.TextField(blank=True, help_text="Why it is included or excluded, in your words.")
    order = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    AUDITED_FIELDS = ("ref_id", "title", "description", "owner", "status", "applicability", "justification")

    class Meta:
        ordering = ["order", "ref_id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "ref_id"], name="control_ref_unique"),
            models.UniqueConstraint(
                fields=["organization", "catalog_node"],
                condition=models.Q(catalog_node__isnull=False),
                name="control_node_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ref_id} {self.title}"

    @property
    def is_custom(self) -> bool:
        return self.catalog_node_id is None


class ControlRequirement(models.Model):
    """A requirement (any catalog node: a 42001 clause requirement, an EU AI Act obligation…) the control satisfies."""

    organization = models.ForeignKey("tenancy.Organization", on_delete=models.CASCADE, related_name="+")
    control = models.ForeignKey(Control, on_delete=models.CASCADE, related_name="requirement_links")
    requirement = models.ForeignKey("catalog.CatalogNode", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["control", "requirement"], name="control_requirement_unique")]

    def __str__(self) -> str:
        return f"{self.control.ref_id} satisfies {self.requirement.ref_id}"


class Evidence(models.Model):
    """Evidence that a control works. A first slice (title, link, dates) that the evidence issue extends
    with content-addressed files; `valid_until` decides whether it still counts."""

    organization = models.ForeignKey("tenancy.Organization", on_delete=models.CASCADE, related_name="+")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    url = models.URLField(blank=True, max_length=500)
    collected_at = models.DateField(default=timezone.localdate)
    valid_until = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-collected_at", "title"]

    def __str__(self) -> str:
        return self.title

    def is_current(self, today=None) -> bool:
        today = today or timezone.localdate()
        return self.valid_until is None or self.valid_until >= today


class ControlEvidence(models.Model):
    organization = models.ForeignKey("tenancy.Organization", on_delete=models.CASCADE, related_name="+")
    control = models.ForeignKey(Control, on_delete=models.CASCADE, related_name="evidence_links")
    evidence = models.ForeignKey(Evidence, on_delete=models.CASCADE, related_name="control_links")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["control", "evidence"], name="control_evidence_unique")]

    def __str__(self) -> str:
        return f"{self.evidence} for {self.control.ref_id}"


class SoAStatus(models.TextChoices):
    AWAITING = "awaiting_signoff", "Awaiting sign-off"
    SIGNED = "signed", "Approved (signed off)"
    RETURNED = "returned", "Returned"
    WITHDRAWN = "withdrawn", "Withdrawn"


class SoAVersion(models.Model):
    """A published, numbered, immutable Statement of Applicability (6.1.3 f)).

    Publishing asks the named approver for a sign-off (`signoff` app); the version is the approved one
    only once that person signs it: `approved_by`/`approved_on` are set from the act, never typed in.
    """

    organization = models.ForeignKey("tenancy.Organization", on_delete=models.CASCADE, related_name="+")
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=20, choices=SoAStatus.choices, default=SoAStatus.AWAITING)
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The person asked to sign this version off.",
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_on = models.DateField(null=True, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    published_at = models.DateTimeField(default=timezone.now)
    note = models.TextField(blank=True)
    rows = models.JSONField(help_text="The SoA rows as published: the version is what it was, whatever changes later.")
    content_hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["organization", "number"], name="soa_version_unique")]

    def __str__(self) -> str:
        return f"SoA v{self.number}"

    @property
    def is_approved(self) -> bool:
        return self.status == SoAStatus.SIGNED


class ControlSystem(models.Model):
    """An AI system the control applies to (scope of the control; shown on the control, the system and the SoA)."""

    organization = models.ForeignKey("tenancy.Organization", on_delete=models.CASCADE, related_name="+")
    control = models.ForeignKey(Control, on_delete=models.CASCADE, related_name="system_links")
    system = models.ForeignKey("inventory.AISystem", on_delete=models.CASCADE, related_name="control_links")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["control", "system"], name="control_system_unique")]

    def __str__(self) -> str:
        return f"{self.control.ref_id} applies to {self.system.ref}"
