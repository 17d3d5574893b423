"""Reads for the AI system register (A.4.2, A.6.2): the filtered list, its summary and the export rows.

The register page, its export and the API list read through `SystemFilter` and `register_rows`, so a
filter means the same thing everywhere. Counts of parts come from correlated subqueries: one row per
system whatever the number of models or datasets, and a fixed number of queries per page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db.models import Case, Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce, Lower

from openaims.inventory.models import AIModel, AISystem, Component, Dataset, RiskClass
from openaims.inventory.vocabulary import lifecycle, vocabulary

# Most severe first: that is what a reader of the register sorts by risk class for.
RISK_ORDER = (
    RiskClass.PROHIBITED,
    RiskClass.HIGH_RISK,
    RiskClass.LIMITED_RISK,
    RiskClass.MINIMAL,
    RiskClass.UNCLASSIFIED,
)
RISK_LABELS = dict(RiskClass.choices)

SORTS: dict[str, str] = {
    "ref": "Reference",
    "name": "Name",
    "stage": "Life-cycle stage",
    "risk_class": "Risk class (most severe first)",
    "criticality": "Criticality (most critical first)",
    "-updated": "Recently changed",
}
_REF = re.compile(r"^\s*(?:ais[\s-]*)?(\d{1,9})\s*$", re.IGNORECASE)
NO_OWNER = "none"  # owner filter value: a business or technical owner is missing


def _rank(field: str, keys) -> Case:
    """Position of the field's value in `keys` (unknown values last), for sorting in SQL."""
    whens = [When(**{field: key}, then=Value(i)) for i, key in enumerate(keys)]
    return Case(*whens, default=Value(len(keys)), output_field=IntegerField())


def _criticality_keys() -> list[str]:
    # The vocabulary lists criticality from low to critical; sort the most critical first.
    return [key for key, _label in reversed(vocabulary().choices("criticality"))]


def _sort_expressions(key: str) -> list:
    descending = key.startswith("-")
    base = key.lstrip("-")
    if base == "ref":
        expressions = ["number"]
    elif base == "name":
        expressions = [Lower("name"), "number"]
    elif base == "stage":
        expressions = [_rank("stage", lifecycle().keys), "number"]
    elif base == "risk_class":
        expressions = [_rank("risk_class", [str(r) for r in RISK_ORDER]), "number"]
    elif base == "criticality":
        expressions = [_rank("criticality", _criticality_keys()), "number"]
    else:  # updated
        expressions = ["updated_at", "number"]
    if not descending:
        return expressions
    return [e.desc() if hasattr(e, "desc") else f"-{e}" for e in expressions]


@dataclass(frozen=True)
class SystemFilter:
    """The register's filters, read from a query string; unknown values are ignored rather than refused."""

    q: str = ""
    stage: str = ""
    risk_class: str = ""
    owner: str = ""  # a member's username, or "none" for systems missing a business or technical owner
    role: str = ""
    technique: str = ""
    criticality: str = ""
    stale: bool = False  # the classification must be asked again
    sort: str = "ref"

    @classmethod
    def from_query(cls, params) -> SystemFilter:
        def pick(name, allowed):
            value = (params.get(name) or "").strip()
            return value if value in allowed else ""

        sort = (params.get("sort") or "").strip()
        if sort.lstrip("-") not in {s.lstrip("-") for s in SORTS}:
            sort = "ref"
        return cls(
            q=(params.get("q") or "").strip()[:200],
            stage=pick("stage", set(lifecycle().keys)),
            risk_class=pick("risk_class", set(RiskClass.values)),
            owner=(params.get("owner") or "").strip()[:150],
            role=pick("role", vocabulary().keys("roles")),
            technique=pick("technique", vocabulary().keys("techniques")),
            criticality=pick("criticality", vocabulary().keys("criticality")),
            stale=(params.get("stale") or "") in ("1", "on", "true"),
            sort=sort,
        )

    @property
    def active(self) -> bool:
        return any(
            (self.q, self.stage, self.risk_class, self.owner, self.role, self.technique, self.criticality, self.stale)
        )

    def apply(self, systems: QuerySet) -> QuerySet:
        if self.q:
            match = Q(name__icontains=self.q) | Q(purpose__icontains=self.q)
            ref = _REF.match(self.q)
            if ref:
                match |= Q(number=int(ref.group(1)))
            systems = systems.filter(match)
        exact = {
            "stage": self.stage,
            "risk_class": self.risk_class,
            "role": self.role,
            "technique": self.technique,
            "criticality": self.criticality,
        }
        systems = systems.filter(**{field: value for field, value in exact.items() if value})
        if self.owner == NO_OWNER:
            systems = systems.filter(Q(business_owner__isnull=True) | Q(technical_owner__isnull=True))
        elif self.owner:
            systems = systems.filter(Q(business_owner__username=self.owner) | Q(technical_owner__username=self.owner))
        if self.stale:
            systems = systems.filter(classification_stale=True)
        return systems.order_by(*_sort_expressions(self.sort))


def _count(model) -> Coalesce:
    rows = model.objects.filter(system=OuterRef("pk")).order_by().values("system").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))


def register_rows(organization, flt: SystemFilter | None = None) -> QuerySet:
    """The organization's systems, filtered and sorted, with owners joined and their parts counted."""
    systems = (
        AISystem.objects.for_organization(organization)
        .select_related("business_owner", "technical_owner")
        .annotate(
            model_count=_count(AIModel),
            dataset_count=_count(Dataset),
            component_count=_count(Component),
        )
    )
    return (flt or SystemFilter()).apply(systems)


@dataclass(frozen=True)
class RegisterSummary:
    total: int
    by_risk_class: list[tuple[str, str, int]]  # (key, label, count), most severe first, empty classes left out
    by_stage: list[tuple[str, str, int]]  # (key, label, count), in life-cycle order, empty stages left out
    stale: int


def register_summary(organization) -> RegisterSummary:
    """How many systems per risk class and per stage, in one query."""
    risk: dict[str, int] = {}
    stage: dict[str, int] = {}
    stale = 0
    rows = (
        AISystem.objects.for_organization(organization)
        .order_by()
        .values_list("risk_class", "stage", "classification_stale")
        .annotate(n=Count("pk"))
    )
    for risk_class, stage_key, is_stale, n in rows:
        risk[risk_class] = risk.get(risk_class, 0) + n
        stage[stage_key] = stage.get(stage_key, 0) + n
        stale += n if is_stale else 0
    stages = lifecycle()
    return RegisterSummary(
        total=sum(risk.values()),
        by_risk_class=[(str(r), RISK_LABELS[r], risk[r]) for r in RISK_ORDER if risk.get(r)],
        by_stage=[(key, stages.label(key), stage[key]) for key in stages.keys if stage.get(key)],
        stale=stale,
    )


def term_labels(system: AISystem) -> dict[str, str]:
    """The vocabulary labels of a system's key-valued fields, for pages and exports."""
    words = vocabulary()
    return {
        "role": words.label("roles", system.role),
        "technique": words.label("techniques", system.technique),
        "automation_level": words.label("automation_levels", system.automation_level)
        if system.automation_level
        else "",
        "oversight_mode": words.label("oversight_modes", system.oversight_mode) if system.oversight_mode else "",
        "criticality": words.label("criticality", system.criticality),
        "stage": lifecycle().label(system.stage),
        "risk_class": RISK_LABELS.get(system.risk_class, system.risk_class),
    }


def systems_by_number(organization, numbers: list[int]) -> dict[int, AISystem]:
    """The organization's AI systems among `numbers` (AIS-n), by number; numbers that name none are left out."""
    return {s.number: s for s in AISystem.objects.filter(organization=organization, number__in=numbers)}


def systems_without(organization, excluded: QuerySet) -> list[AISystem]:
    """The organization's AI systems whose primary key is not in `excluded` (a values("system_id") subquery)."""
    return list(AISystem.objects.filter(organization=organization).exclude(pk__in=excluded).order_by("number"))


def systems_for_picker(organization) -> QuerySet:
    """The organization's AI systems, number and name only, for a choice list."""
    return AISystem.objects.filter(organization=organization).only("pk", "number", "name").order_by("number")
