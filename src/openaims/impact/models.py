"""AI system impact assessments (ISO/IEC 42001 6.1.4, 8.4, A.5.2-A.5.5; structure of ISO/IEC 42005).

One assessment is one numbered version for one AI system. Draft and returned versions change; an
approved version never does — a change starts version N+1 (`services.impact_assessment_new_version`).

"Review needed" is not stored: at approval the assessment keeps a fingerprint (hash) of the system's
significant fields (stage, purpose, intended use, models with versions, dataset names); the
selectors compare it with the system as it is now. The inventory needs no hook into this app, and
nothing can forget to set a flag.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from openaims.lib.concurrency import Revisioned


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    APPROVED = "approved", "Approved"
    RETURNED = "returned", "Returned"


EDITABLE = (Status.DRAFT, Status.RETURNED)


class Trigger(models.TextChoices):
    NEW_SYSTEM = "new_system", "New AI system"
    SIGNIFICANT_CHANGE = "significant_change", "Significant change"
    PERIODIC = "periodic", "Periodic review"


class ImpactKind(models.TextChoices):
    BENEFIT = "benefit", "Benefit"
    HARM = "harm", "Harm"


class ImpactAssessment(Revisioned):
    organization = models.ForeignKey("tenancy.Organization", on_delete=models.CASCADE, related_name="+")
    system = models.ForeignKey("inventory.AISystem", on_delete=models.CASCADE, related_name="+")
    # IA-<number>, per organization (tenancy.numbering); every version of one system's assessment shares it.
    number = models.PositiveIntegerField(default=0)
    version = models.PositiveIntegerField(default=1)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    trigger = models.CharField(max_length=20, choices=Trigger.choices, default=Trigger.NEW_SYSTEM)
    template = models.CharField(max_length=40, help_text="Template key in impact/data/templates.yaml.")
    sector = models.CharField(max_length=40, blank=True)
    sections = models.JSONField(default=dict, help_text="{element id: text}")
    fria_required = models.BooleanField(default=False, help_text="EU AI Act Art. 27: deployer of a high-risk system.")
    fria = models.JSONField(default=dict, help_text="{FRIA element id: text}")
    assessor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(null=True, blank=True)
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    decision = models.TextField(blank=True)
    return_reason = models.TextField(blank=True)
    review_date = models.DateField(null=True, blank=True)
    content_hash = models.CharField(max_length=64, blank=True)
    system_fingerprint = models.JSONField(default=dict, blank=True, help_text="Significant system fields at approval.")
    system_fingerprint_hash = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["system_id", "-version"]
        constraints = [models.UniqueConstraint(fields=["system", "version"], name="impact_version_unique")]
        indexes = [models.Index(fields=["organization", "status"], name="impact_status_idx")]

    def __str__(self) -> str:
        return f"Impact assessment v{self.version} of AIS-{self.system.number}" if self.system_id else "Impact"

    @property
    def ref(self) -> str:
        return f"IA-{self.number}"

    @property
    def editable(self) -> bool:
        return self.status in EDITABLE


class Impact(Revisioned):
    """One actual or foreseeable impact (A.5.4 individuals and groups, A.5.5 society), benefit or harm."""

    organization = models.ForeignKey("tenancy.Organization", on_delete=models.CASCADE, related_name="+")
    assessment = models.ForeignKey(ImpactAssessment, on_delete=models.CASCADE, related_name="impacts")
    kind = models.CharField(max_length=10, choices=ImpactKind.choices, default=ImpactKind.HARM)
    description = models.TextField()
    affected_party = models.CharField(max_length=200, blank=True)
    vulnerable_group = models.BooleanField(default=False)
    severity = models.PositiveSmallIntegerField()
    likelihood = models.PositiveSmallIntegerField()
    reversibility = models.PositiveSmallIntegerField(default=1)
    scale = models.PositiveSmallIntegerField(default=1)
    level = models.CharField(max_length=20, blank=True, help_text="Computed from the impact scale.")
    measures = models.TextField(blank=True)
    residual_severity = models.PositiveSmallIntegerField(null=True, blank=True)
    residual_likelihood = models.PositiveSmallIntegerField(null=True, blank=True)
    residual_level = models.CharField(max_length=20, blank=True)
    risk = models.ForeignKey("risk.Risk", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    AUDITED = (
        "kind",
        "description",
        "affected_party",
        "vulnerable_group",
        "severity",
        "likelihood",
        "reversibility",
        "scale",
        "level",
        "measures",
        "residual_severity",
        "residual_likelihood",
        "residual_level",
        "risk",
    )

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.description[:60]}"
