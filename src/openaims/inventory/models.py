"""The AI system register (A.4.2, A.6, NIST GOVERN 1.6) and the parts each system is made of.

Vocabulary-backed fields (role, technique, stage, ...) hold keys from `data/*.yaml`; services
validate them against `inventory.vocabulary`, so the allowed values are data, not migrations.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from openaims.lib.concurrency import Revisioned


class RiskClass(models.TextChoices):
    """Outcome of the EU AI Act classification (Art. 5, 6, 50; Chapter V for GPAI models)."""

    UNCLASSIFIED = "unclassified", "Not classified"
    PROHIBITED = "prohibited", "Prohibited"
    HIGH_RISK = "high_risk", "High-risk"
    LIMITED_RISK = "limited_risk", "Limited risk (transparency)"
    MINIMAL = "minimal", "Minimal risk"


class AISystemQuerySet(models.QuerySet):
    def for_organization(self, organization) -> AISystemQuerySet:
        return self.filter(organization=organization)


class AISystem(Revisioned):
    """One AI system the organization provides, develops, deploys or uses (A.4.2, A.6.2, A.9.4)."""

    organization = models.ForeignKey("tenancy.Organization", on_delete=models.CASCADE, related_name="+")
    number = models.PositiveIntegerField(help_text="Per-organization sequence, shown as AIS-<number>.")
    name = models.CharField(max_length=200)
    purpose = models.TextField(help_text="What the system is for, in a sentence or two.")
    intended_use = models.TextField(blank=True)
    foreseeable_misuse = models.TextField(blank=True)
    intended_users = models.TextField(blank=True)
    affected_persons = models.TextField(blank=True)
    role = models.CharField(max_length=40, help_text="The organization's role for this system (vocabulary key).")
    business_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    technical_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    technique = models.CharField(max_length=40)
    automation_level = models.CharField(max_length=40, blank=True)
    oversight_mode = models.CharField(max_length=40, blank=True)
    oversight_description = models.TextField(blank=True)
    deployment_environment = models.TextField(blank=True)
    geography = models.CharField(max_length=300, blank=True, help_text="Where it is used, e.g. 'EU, UK'.")
    personal_data = models.BooleanField(default=False)
    personal_data_notes = models.TextField(blank=True)
    stage = models.CharField(max_length=40, default="inception")
    criticality = models.CharField(max_length=20, default="medium")
    # Denormalized from the current classification so the register filters on it in SQL.
    risk_class = models.CharField(max_length=20, choices=RiskClass.choices, default=RiskClass.UNCLASSIFIED)
    classification = models.ForeignKey(
        "inventory.Classification", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    classification_stale = models.BooleanField(
        default=False, help_text="An input of the classification changed since it was made: ask again."
    )
    version = models.PositiveIntegerField(default=1, help_text="Bumped by every change to the register entry.")
    # Empty when the organization's system actor registered it (a CLI import run without --as).
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    AUDITED_FIELDS = (
        "name",
        "purpose",
        "intended_use",
        "foreseeable_misuse",
        "intended_users",
        "affected_persons",
        "role",
        "business_owner",
        "technical_owner",
        "technique",
        "automation_level",
        "oversight_mode",
        "oversight_description",
        "deployment_environment",
        "geography",
        "personal_data",
        "personal_data_notes",
        "criticality",
    )
    # Fields whose change may change the EU AI Act answer: the classification is asked again.
    CLASSIFICATION_INPUTS = (
        "purpose",
        "intended_use",
        "affected_persons",
        "role",
        "technique",
        "automation_level",
        "geography",
        "deployment_environment",
    )

    objects = AISystemQuerySet.as_manager()

    class Meta:
        ordering = ["number"]
        constraints = [models.UniqueConstraint(fields=["organization", "number"], name="aisystem_number_unique")]
        indexes = [
            models.Index(fields=["organization", "stage"], name="aisystem_stage_idx"),
            models.Index(fields=["organization", "risk_class"], name="aisystem_risk_class_idx"),
            models.Index(fields=["organization", "name"], name="aisystem_name_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.ref} {self.name}"

    @property
    def ref(self) -> str:
        return f"AIS-{self.number}"


class _Part(Revisioned):
    organization = models.ForeignKey("tenancy.Organization", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True


class AIModel(_Part):
    """A model and version inside a system; MLflow-synced ones carry their registry identity."""

    system = models.ForeignKey(AISystem, on_delete=models.CASCADE, related_name="models")
    version = models.CharField(max_length=60, blank=True)
    model_type = models.CharField(max_length=120, blank=True, help_text="e.g. gradient-boosted trees, GPT-4o")
    uri = models.CharField(max_length=500, blank=True, help_text="Where the artefact lives (registry, bucket).")
    registry_stage = models.CharField(max_length=60, blank=True, help_text="Stage or aliases in the model registry.")
    source = models.CharField(max_length=20, default="manual")  # manual | import | mlflow
    external_id = models.CharField(max_length=300, blank=True, help_text="e.g. mlflow:<tracking>#<name>/<version>")

    AUDITED_FIELDS = ("name", "version", "description", "model_type", "uri", "registry_stage")

    class Meta:
        ordering = ["name", "version"]
        constraints = [
            models.UniqueConstraint(fields=["system", "name", "version"], name="aimodel_version_unique"),
        ]
        indexes = [models.Index(fields=["organization", "external_id"], name="aimodel_external_idx")]

    def __str__(self) -> str:
        return f"{self.name} {self.version}".strip()


class Dataset(_Part):
    """Data for development and operation of a system (A.7.2 to A.7.6)."""

    system = models.ForeignKey(AISystem, on_delete=models.CASCADE, related_name="datasets")
    purpose = models.CharField(max_length=40, default="training")
    source = models.TextField(blank=True, help_text="Where the data comes from (A.7.3).")
    acquisition = models.TextField(blank=True, help_text="How it was obtained and on what basis (A.7.3).")
    provenance = models.TextField(blank=True, help_text="Its history and custody (A.7.5).")
    quality_checks = models.TextField(blank=True, help_text="Quality requirements and checks done (A.7.4).")
    preparation = models.TextField(blank=True, help_text="Cleaning, labelling, transformation (A.7.6).")
    personal_data = models.BooleanField(default=False)
    special_categories = models.BooleanField(default=False)
    licence = models.CharField(max_length=200, blank=True)

    AUDITED_FIELDS = (
        "name",
        "description",
        "purpose",
        "source",
        "acquisition",
        "provenance",
        "quality_checks",
        "preparation",
        "personal_data",
        "special_categories",
        "licence",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Supplier(_Part):
    """A third party that supplies AI components or services (A.10.3)."""

    contact = models.CharField(max_length=200, blank=True)
    contract_ref = models.CharField(max_length=200, blank=True)
    contract_ends = models.DateField(null=True, blank=True)

    AUDITED_FIELDS = ("name", "description", "contact", "contract_ref", "contract_ends")

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="supplier_name_unique")]

    def __str__(self) -> str:
        return self.name


class Component(_Part):
    """A third-party part of a system and who is responsible for what (A.10.2, A.10.3)."""

    system = models.ForeignKey(AISystem, on_delete=models.CASCADE, related_name="components")
    category = models.CharField(max_length=40, default="api", help_text="Vocabulary: component_kinds.")
    supplier = models.ForeignKey(Supplier, null=True, blank=True, on_delete=models.PROTECT, related_name="components")
    version = models.CharField(max_length=60, blank=True)
    responsibilities = models.TextField(blank=True, help_text="What the supplier does and what we do (A.10.2).")

    AUDITED_FIELDS = ("name", "description", "category", "supplier", "version", "responsibilities")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Resource(_Part):
    """A computing, tooling, data or human resource the system needs (A.4.2 to A.4.6)."""

    system = models.ForeignKey(AISystem, on_delete=models.CASCADE, related_name="resources")
    category = models.CharField(max_length=40, default="compute", help_text="Vocabulary: resource_kinds.")

    AUDITED_FIELDS = ("name", "description", "category")

    class Meta:
        ordering = ["category", "name"]

    def __str__(self) -> str:
        return self.name


class Classification(models.Model):
    """One run of the EU AI Act classification wizard: the answers, the result and the reasoning.

    Rows are never changed; the system points at its current one. `inputs` is the snapshot of the
    system fields the answers were given for, so the page can show what changed since.
    """

    organization = models.ForeignKey("tenancy.Organization", on_delete=models.CASCADE, related_name="+")
    system = models.ForeignKey(AISystem, on_delete=models.CASCADE, related_name="classifications")
    answers = models.JSONField()
    result = models.CharField(max_length=20, choices=RiskClass.choices)
    reasoning = models.JSONField(help_text="List of {step, finding, urn} in the order the wizard decided.")
    obligations = models.JSONField(help_text="URNs of the catalog obligations that apply for the system's role.")
    transparency = models.JSONField(default=list, help_text="URNs of the Art. 50 cases that apply.")
    gpai = models.BooleanField(default=False)
    inputs = models.JSONField(help_text="The system's classification inputs when the answers were given.")
    catalog_version = models.CharField(max_length=64, blank=True, help_text="EU AI Act catalog hash used.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.system.ref}: {self.get_result_display()}"


class GatePolicy(Revisioned):
    """The organization's gate items per life-cycle stage (A.6.2); absent means the data defaults."""

    organization = models.OneToOneField("tenancy.Organization", on_delete=models.CASCADE, related_name="+")
    items = models.JSONField(help_text="{stage: [item key, ...]} — what a system needs to enter each stage.")
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return "Gate policy"


class StageTransition(models.Model):
    """A system moved from one life-cycle stage to another; an override keeps what was missing and why."""

    organization = models.ForeignKey("tenancy.Organization", on_delete=models.CASCADE, related_name="+")
    system = models.ForeignKey(AISystem, on_delete=models.CASCADE, related_name="transitions")
    from_stage = models.CharField(max_length=40)
    to_stage = models.CharField(max_length=40)
    missing = models.JSONField(default=list, help_text="Gate items that were not met (overrides only).")
    override_reason = models.TextField(blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.from_stage} → {self.to_stage}"

    @property
    def overridden(self) -> bool:
        return bool(self.missing)


class SystemCardVersion(models.Model):
    """A published system card / technical documentation version (A.6.2.7, A.8.2): immutable."""

    organization = models.ForeignKey("tenancy.Organization", on_delete=models.CASCADE, related_name="+")
    system = models.ForeignKey(AISystem, on_delete=models.CASCADE, related_name="card_versions")
    number = models.PositiveIntegerField()
    system_version = models.PositiveIntegerField(help_text="The register entry's version the card was made from.")
    content = models.JSONField(help_text="The card's sections as published.")
    markdown = models.TextField()
    content_hash = models.CharField(max_length=64)
    note = models.TextField(blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    published_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["system", "number"], name="card_version_unique")]

    def __str__(self) -> str:
        return f"{self.system.ref} card v{self.number}"
