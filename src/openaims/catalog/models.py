"""Framework catalog: frameworks, their nodes (clauses, requirements, controls…) and crosswalks.

Catalog content is shared reference data (not tenant-owned), loaded from versioned YAML files in
`catalog/data/` by `catalog.loader`; nothing here is edited through the UI.
"""

from __future__ import annotations

from django.db import models


class Framework(models.Model):
    """A standard, regulation or guideline (ISO/IEC 42001, NIST AI RMF, EU AI Act, …)."""

    urn = models.CharField(max_length=200, unique=True)
    ref_id = models.CharField(max_length=80)
    name = models.CharField(max_length=200)
    version = models.PositiveIntegerField(help_text="Version of our content file, not of the standard.")
    publisher = models.CharField(max_length=120, blank=True)
    description = models.TextField(blank=True)
    copyright = models.TextField()
    source = models.TextField(blank=True)
    content_hash = models.CharField(max_length=64)
    loaded_at = models.DateTimeField()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.ref_id


class CatalogNode(models.Model):
    """One node of a framework tree: a clause, requirement, control, article, category…

    `assessable` nodes are what an auditor checks and what coverage counts; headings are not.
    `retired` marks nodes that a newer content version dropped (kept so links never dangle).
    """

    framework = models.ForeignKey(Framework, on_delete=models.CASCADE, related_name="nodes")
    urn = models.CharField(max_length=200, unique=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="children")
    ref_id = models.CharField(max_length=60, blank=True)
    kind = models.CharField(max_length=40)
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    guidance = models.TextField(blank=True)
    typical_evidence = models.JSONField(default=list, blank=True)
    annotations = models.JSONField(default=dict, blank=True)
    assessable = models.BooleanField(default=False)
    order = models.PositiveIntegerField(default=0)
    depth = models.PositiveSmallIntegerField(default=0)
    retired = models.BooleanField(default=False)

    class Meta:
        ordering = ["framework", "order"]
        indexes = [models.Index(fields=["framework", "order"], name="catalog_node_order")]

    def __str__(self) -> str:
        return f"{self.ref_id} {self.title}".strip()


class FrameworkDate(models.Model):
    """A date that matters for a framework (e.g. when an EU AI Act chapter applies): data, not code."""

    framework = models.ForeignKey(Framework, on_delete=models.CASCADE, related_name="dates")
    key = models.SlugField(max_length=80)
    date = models.DateField()
    label = models.CharField(max_length=300)
    applies_to = models.JSONField(default=list, blank=True, help_text="URNs of the nodes this date governs.")

    class Meta:
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["framework", "key"], name="framework_date_unique")]

    def __str__(self) -> str:
        return f"{self.date}: {self.label}"


class Crosswalk(models.Model):
    """A mapping between two frameworks. Ours unless `official` (then `source` names the publisher)."""

    urn = models.CharField(max_length=200, unique=True)
    name = models.CharField(max_length=200)
    version = models.PositiveIntegerField()
    source_framework = models.ForeignKey(Framework, on_delete=models.CASCADE, related_name="+")
    target_framework = models.ForeignKey(Framework, on_delete=models.CASCADE, related_name="+")
    official = models.BooleanField(default=False)
    note = models.TextField(blank=True)
    content_hash = models.CharField(max_length=64)
    loaded_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.name


class Relation(models.TextChoices):
    EQUAL = "equal", "equal"
    SUBSET = "subset", "subset (source is narrower)"
    SUPERSET = "superset", "superset (source is broader)"
    INTERSECT = "intersect", "intersect (overlap)"


class CrosswalkRelation(models.Model):
    crosswalk = models.ForeignKey(Crosswalk, on_delete=models.CASCADE, related_name="relations")
    source = models.ForeignKey(CatalogNode, on_delete=models.CASCADE, related_name="mapped_to")
    target = models.ForeignKey(CatalogNode, on_delete=models.CASCADE, related_name="mapped_from")
    relation = models.CharField(max_length=12, choices=Relation.choices)
    rationale = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["crosswalk", "source", "target"], name="crosswalk_relation_unique")
        ]

    def __str__(self) -> str:
        return f"{self.source.ref_id} {self.relation} {self.target.ref_id}"
