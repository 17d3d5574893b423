"""AI risk management (clauses 6.1.1 to 6.1.3, 8.2, 8.3): the organization's risk criteria, the risk register,
assessments over time, treatment plans and the risk owner's acceptance of residual risk.

Levels are computed from a criteria version by `risk.services` and stored next to the scores they come
from (so the register and the heat map filter and count in SQL); the version is stored with them.
"""

from __future__ import annotations

from functools import cached_property

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from openaims.lib.concurrency import Revisioned
from openaims.risk.criteria import CriteriaData


class RiskCriteria(Revisioned):
    """One numbered version of the organization's risk criteria (6.1.1): scales, matrix and appetite.

    A draft (not yet published) may change; a published version never does — a change is a new version,
    and assessments and acceptances name the version they used.
    """

    organization = models.ForeignKey("tenancy.Organization", on_delete=models.CASCADE, related_name="+")
    number = models.PositiveIntegerField()
    content = models.JSONField(help_text="The criteria, in the shape of risk.criteria.CriteriaData.")
    content_hash = models.CharField(max_length=64)
    note = models.TextField(blank=True, help_text="What changed and why.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-number"]
        verbose_name_plural = "risk criteria"
        constraints = [
            models.UniqueConstraint(fields=["organization", "number"], name="risk_criteria_number_unique"),
            models.UniqueConstraint(
                fields=["organization"], condition=Q(published_at__isnull=True), name="risk_criteria_one_draft"
            ),
        ]

    def __str__(self) -> str:
        return f"Risk criteria v{self.number}" + (" (draft)" if self.is_draft else "")

    @property
    def is_draft(self) -> bool:
        return self.published_at is None

    @cached_property
    def data(self) -> CriteriaData:
        return CriteriaData.model_validate(self.content)


class RiskStatus(models.TextChoices):
    IDENTIFIED = "identified", "Identified"
    ASSESSED = "assessed", "Assessed"
    ACCEPTED = "accepted", "Residual risk accepted"
    CLOSED = "closed", "Closed"


class TreatmentOption(models.TextChoices):
    """The four ways of treating a risk (6.1.3)."""

    MODIFY = "modify", "Modify (reduce)"
    AVOID = "avoid", "Avoid"
    SHARE = "share", "Share"
    RETAIN = "retain", "Retain"


class RiskQuerySet(models.QuerySet):
    def for_organization(self, organization) -> RiskQuerySet:
        return self.filter(organization=organization)


class Risk(Revisioned):
    """An AI risk in the register (6.1.2): what could go wrong, for which AI systems, how likely and how bad,
    how it is treated (6.1.3) and what remains."""

    organization = models.ForeignKey("tenancy.Organization", on_delete=models.CASCADE, related_name="+")
    number = models.PositiveIntegerField(null=True, blank=True, help_text="Per-organization sequence, shown as R-n.")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    systems = models.ManyToManyField(
        "inventory.AISystem", through="RiskSystem", related_name="+", help_text="None: organization-wide."
    )
    sources = models.ManyToManyField("catalog.CatalogNode", through="RiskSource", related_name="+")
    objectives = models.ManyToManyField("catalog.CatalogNode", through="RiskObjective", related_name="+")
    other_sources = models.TextField(blank=True, help_text="Risk sources of the organization's own, one a line.")
    other_objectives = models.TextField(blank=True, help_text="Objectives of the organization's own, one a line.")
    existing_controls = models.TextField(blank=True)
    inherent_likelihood = models.PositiveSmallIntegerField(null=True, blank=True)
    inherent_consequence = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="The highest of inherent_consequences: the one the level comes from."
    )
    inherent_consequences = models.JSONField(default=dict, blank=True, help_text="{dimension key: consequence}")
    inherent_level = models.CharField(max_length=20, blank=True)
    inherent_rank = models.PositiveSmallIntegerField(null=True, blank=True, help_text="1 = lowest level.")
    treatment_option = models.CharField(max_length=10, choices=TreatmentOption.choices, blank=True)
    treatment_plan = models.TextField(blank=True)
    residual_likelihood = models.PositiveSmallIntegerField(null=True, blank=True)
    residual_consequence = models.PositiveSmallIntegerField(null=True, blank=True)
    residual_consequences = models.JSONField(default=dict, blank=True, help_text="{dimension key: consequence}")
    residual_level = models.CharField(max_length=20, blank=True)
    residual_rank = models.PositiveSmallIntegerField(null=True, blank=True)
    derived_from = models.CharField(
        max_length=200, blank=True, help_text="Set when the latest assessment was carried over from an impact."
    )
    criteria = models.ForeignKey(
        RiskCriteria,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The criteria version of the latest assessment.",
    )
    assessed_at = models.DateTimeField(null=True, blank=True)
    review_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=RiskStatus.choices, default=RiskStatus.IDENTIFIED)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    AUDITED_FIELDS = (
        "title",
        "description",
        "owner",
        "other_sources",
        "other_objectives",
        "existing_controls",
        "treatment_plan",
        "review_date",
    )
    SCORE_FIELDS = (
        "inherent_likelihood",
        "inherent_consequence",
        "inherent_consequences",
        "inherent_level",
        "treatment_option",
        "residual_likelihood",
        "residual_consequence",
        "residual_consequences",
        "residual_level",
        "derived_from",
    )

    objects = RiskQuerySet.as_manager()

    class Meta:
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "number"], condition=Q(number__isnull=False), name="risk_number_unique"
            )
        ]
        indexes = [
            models.Index(fields=["organization", "status"], name="risk_status_idx"),
            # Heat-map counts read only these indexes (status included: closed risks are left out).
            models.Index(
                fields=["organization", "inherent_likelihood", "inherent_consequence", "status"],
                name="risk_inherent_cell_idx",
            ),
            models.Index(
                fields=["organization", "residual_likelihood", "residual_consequence", "status"],
                name="risk_residual_cell_idx",
            ),
            models.Index(fields=["organization", "residual_rank"], name="risk_residual_rank_idx"),
            models.Index(fields=["organization", "review_date"], name="risk_review_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.ref} {self.title}" if self.number else self.title

    @property
    def ref(self) -> str:
        return f"R-{self.number}" if self.number else f"R-#{self.pk}"

    @property
    def has_inherent(self) -> bool:
        return self.inherent_likelihood is not None

    @property
    def has_residual(self) -> bool:
        return self.residual_likelihood is not None

    def review_overdue(self, today=None) -> bool:
        today = today or timezone.localdate()
        return bool(self.review_date and self.review_date < today and self.status != RiskStatus.CLOSED)


class RiskSystem(models.Model):
    """An AI system the risk concerns; a risk with none is organization-wide."""

    organization = models.ForeignKey("tenancy.Organization", on_delete=models.CASCADE, related_name="+")
    risk = models.ForeignKey(Risk, on_delete=models.CASCADE, related_name="system_links")
    system = models.ForeignKey("inventory.AISystem", on_delete=models.CASCADE, related_name="+")
    assessed_fingerprint = models.CharField(
        max_length=64,
        blank=True,
        help_text="The system's significant fields (hashed) when the risk was last assessed; "
        "'' before any assessment, 'added' when linked after it.",
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["risk", "system"], name="risk_system_unique")]

    def __str__(self) -> str:
        return f"{self.risk_id} → {self.system_id}"


class RiskSource(models.Model):
    """A catalog risk source (e.g. ISO/IEC 42001 Annex C.3.x) the risk arises from."""

    organization = models.ForeignKey("tenancy.Organization", on_delete=models.CASCADE, related_name="+")
    risk = models.ForeignKey(Risk, on_delete=models.CASCADE, related_name="source_links")
    node = models.ForeignKey("catalog.CatalogNode", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["risk", "node"], name="risk_source_unique")]

    def __str__(self) -> str:
        return f"{self.risk_id} → {self.node_id}"


class RiskObjective(models.Model):
    """A catalog objective (e.g. ISO/IEC 42001 Annex C.2.x) the risk could keep the organization from."""

    organization = models.ForeignKey("tenancy.Organization", on_delete=models.CASCADE, related_name="+")
    risk = models.ForeignKey(Risk, on_delete=models.CASCADE, related_name="objective_links")
    node = models.ForeignKey("catalog.CatalogNode", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["risk", "node"], name="risk_objective_unique")]

    def __str__(self) -> str:
        return f"{self.risk_id} → {self.node_id}"


class RiskAssessment(models.Model):
    """One (re-)assessment of a risk (8.2): the scores and levels under a criteria version, kept for the trend."""

    organization = models.ForeignKey("tenancy.Organization", on_delete=models.CASCADE, related_name="+")
    risk = models.ForeignKey(Risk, on_delete=models.CASCADE, related_name="assessments")
    criteria = models.ForeignKey(RiskCriteria, on_delete=models.PROTECT, related_name="+")
    inherent_likelihood = models.PositiveSmallIntegerField()
    inherent_consequence = models.PositiveSmallIntegerField()
    inherent_consequences = models.JSONField(default=dict, blank=True)
    inherent_level = models.CharField(max_length=20)
    treatment_option = models.CharField(max_length=10, choices=TreatmentOption.choices, blank=True)
    residual_likelihood = models.PositiveSmallIntegerField(null=True, blank=True)
    residual_consequence = models.PositiveSmallIntegerField(null=True, blank=True)
    residual_consequences = models.JSONField(default=dict, blank=True)
    residual_level = models.CharField(max_length=20, blank=True)
    derived_from = models.CharField(max_length=200, blank=True, help_text="The impact it was carried over from.")
    note = models.TextField(blank=True)
    assessed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assessed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-assessed_at", "-pk"]

    def __str__(self) -> str:
        return f"Assessment of {self.risk} on {self.assessed_at:%Y-%m-%d}"


class ActionStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


OPEN_ACTION_STATUSES = (ActionStatus.PLANNED, ActionStatus.IN_PROGRESS)


class TreatmentAction(Revisioned):
    """One action of a risk treatment plan (6.1.3 g), 8.3): who does what by when."""

    organization = models.ForeignKey("tenancy.Organization", on_delete=models.CASCADE, related_name="+")
    risk = models.ForeignKey(Risk, on_delete=models.CASCADE, related_name="actions")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    due_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=ActionStatus.choices, default=ActionStatus.PLANNED)
    completed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    AUDITED_FIELDS = ("title", "description", "owner", "due_date", "status")

    class Meta:
        ordering = [F("due_date").asc(nulls_last=True), "pk"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_ACTION_STATUSES

    def overdue(self, today=None) -> bool:
        today = today or timezone.localdate()
        return bool(self.is_open and self.due_date and self.due_date < today)


class RiskAcceptance(models.Model):
    """The risk owner's sign-off of a residual risk (6.1.3, approval after g)): who, when, at which level, under
    which criteria.

    A later re-assessment revokes it (`revoked_at`): acceptance covers the assessment it was given for.
    """

    organization = models.ForeignKey("tenancy.Organization", on_delete=models.CASCADE, related_name="+")
    risk = models.ForeignKey(Risk, on_delete=models.CASCADE, related_name="acceptances")
    criteria = models.ForeignKey(RiskCriteria, on_delete=models.PROTECT, related_name="+")
    accepted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    accepted_role = models.CharField(max_length=20, help_text="The acceptor's role when accepting.")
    accepted_at = models.DateTimeField(default=timezone.now)
    residual_likelihood = models.PositiveSmallIntegerField()
    residual_consequence = models.PositiveSmallIntegerField()
    residual_consequences = models.JSONField(default=dict, blank=True)
    residual_level = models.CharField(max_length=20)
    within_appetite = models.BooleanField()
    note = models.TextField(blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-accepted_at", "-pk"]

    def __str__(self) -> str:
        return f"Acceptance of {self.risk} by {self.accepted_by}"

    @property
    def is_current(self) -> bool:
        return self.revoked_at is None


class RiskControl(models.Model):
    """A control that the risk's treatment selects (6.1.3): the link the SoA derives inclusion from."""

    organization = models.ForeignKey("tenancy.Organization", on_delete=models.CASCADE, related_name="+")
    risk = models.ForeignKey(Risk, on_delete=models.CASCADE, related_name="control_links")
    control = models.ForeignKey("controls.Control", on_delete=models.CASCADE, related_name="risk_links")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["risk", "control"], name="risk_control_unique")]

    def __str__(self) -> str:
        return f"{self.risk} → {self.control}"
