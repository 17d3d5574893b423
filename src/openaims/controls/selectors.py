"""Reads for the control register, the derived SoA, version diffs and framework coverage.

Every function here runs a fixed number of queries whatever the number of controls, risks or
evidence links (pinned in tests).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field

from django.db.models import Count, Q
from django.utils import timezone

from openaims.catalog.models import CatalogNode, CrosswalkRelation, Framework
from openaims.controls.models import (
    Applicability,
    Control,
    ControlEvidence,
    ControlRequirement,
    ControlSystem,
    ImplementationStatus,
)
from openaims.controls.reasons import treatments_by_control
from openaims.inventory.models import AISystem

LEGAL_FRAMEWORKS = {"urn:openaims:framework:eu-ai-act"}

FLAG_TEXT = {
    "undecided": "Applicability not decided yet",
    "excluded_but_selected": "Excluded, but a risk treatment selects it",
    "excluded_without_justification": "Excluded without a justification",
    "included_without_justification": "Included without a risk, requirement or written reason",
    "implemented_without_evidence": "Implemented, but no current evidence",
}


DERIVED_LABEL = "Included (derived)"


@dataclass
class SoARow:
    ref_id: str
    title: str
    group: str
    custom: bool
    urn: str | None
    owner: str | None
    status: str
    applicability: str
    justification: str
    risks: list[str] = field(default_factory=list)
    requirements: list[str] = field(default_factory=list)  # "EU AI Act Art. 9 — title"
    legal: list[str] = field(default_factory=list)
    systems: list[str] = field(default_factory=list)  # "AIS-3 Credit scoring": the AI systems it applies to
    evidence_current: int = 0
    evidence_total: int = 0
    flags: list[str] = field(default_factory=list)
    control_id: int | None = None
    # Undecided in the register, but a risk treatment selects it: selection is a reason for inclusion (6.1.3 f)).
    derived: bool = False

    @property
    def reasons(self) -> list[str]:
        out = [f"Risk treatment: {r}" for r in self.risks]
        out += [f"Legal requirement: {r}" for r in self.legal]
        out += [f"Requirement: {r}" for r in self.requirements if r not in self.legal]
        if self.justification:
            out.append(f"Reason: {self.justification}")
        return out

    def as_dict(self) -> dict:
        data = asdict(self)
        data.pop("control_id")
        return data


def controls_for_register(organization):
    return Control.objects.filter(organization=organization).select_related("owner", "catalog_node")


def soa_rows(organization, today=None, *, control=None) -> list[SoARow]:
    """One row per control. Five queries whatever the size; links are read as plain tuples and evidence is
    counted in SQL, because building thousands of model instances per page view is what costs time.
    With `control`, every query reads that control's rows only (see soa_row)."""
    today = today or timezone.localdate()
    only = {"control": control} if control is not None else {}
    controls = controls_for_register(organization).order_by("order", "ref_id")
    if control is not None:
        controls = controls.filter(pk=control.pk)
    risks = treatments_by_control(organization, control)
    requirements: dict[int, list[str]] = defaultdict(list)
    legal: dict[int, list[str]] = defaultdict(list)
    for control_id, framework_ref, framework_urn, ref_id, title in (
        ControlRequirement.objects.filter(organization=organization, **only)
        .order_by("requirement__framework__name", "requirement__order")
        .values_list(
            "control_id",
            "requirement__framework__ref_id",
            "requirement__framework__urn",
            "requirement__ref_id",
            "requirement__title",
        )
    ):
        label = f"{framework_ref} {ref_id} — {title}"
        requirements[control_id].append(label)
        if framework_urn in LEGAL_FRAMEWORKS:
            legal[control_id].append(label)
    systems: dict[int, list[str]] = defaultdict(list)
    for control_id, number, name in (
        ControlSystem.objects.filter(organization=organization, **only)
        .order_by("system__number")
        .values_list("control_id", "system__number", "system__name")
    ):
        systems[control_id].append(f"AIS-{number} {name}")
    current = Q(evidence__valid_until__isnull=True) | Q(evidence__valid_until__gte=today)
    evidence = {
        row["control_id"]: (row["current"], row["total"])
        for row in ControlEvidence.objects.filter(organization=organization, **only)
        .values("control_id")
        .annotate(total=Count("id"), current=Count("id", filter=current))
        .order_by()
    }
    rows = []
    for control in controls:
        evidence_current, evidence_total = evidence.get(control.pk, (0, 0))
        row = SoARow(
            ref_id=control.ref_id,
            title=control.title,
            group=control.group,
            custom=control.is_custom,
            urn=control.catalog_node.urn if control.catalog_node_id else None,
            owner=control.owner.get_username() if control.owner_id else None,
            status=control.status,
            applicability=control.applicability,
            justification=control.justification,
            risks=sorted(risks.get(control.pk, [])),
            requirements=requirements.get(control.pk, []),
            legal=legal.get(control.pk, []),
            systems=systems.get(control.pk, []),
            evidence_current=evidence_current,
            evidence_total=evidence_total,
            control_id=control.pk,
        )
        if row.applicability == Applicability.UNDECIDED and row.risks:
            row.applicability, row.derived = Applicability.INCLUDED, True
        row.flags = soa_flags(row)
        rows.append(row)
    return rows


def soa_row(control, today=None) -> SoARow:
    """The SoA row of one control, reading that control's links only (a control page needs no other row)."""
    return soa_rows(control.organization, today, control=control)[0]


def control_systems(control) -> list:
    """The AI systems a control applies to, by register number (one query)."""
    links = ControlSystem.objects.filter(control=control).select_related("system").order_by("system__number")
    return [link.system for link in links]


def linkable_systems(control) -> list:
    """The organization's AI systems the control does not apply to yet, for a picker (one query)."""
    return list(
        AISystem.objects.filter(organization_id=control.organization_id)
        .exclude(control_links__control=control)
        .only("pk", "number", "name")
        .order_by("number")
    )


def system_controls(system) -> list[Control]:
    """The controls that apply to an AI system, in register order (one query)."""
    return list(Control.objects.filter(system_links__system=system).order_by("order", "ref_id"))


def linkable_controls(system) -> list[Control]:
    """The organization's controls not yet linked to the system, for a picker (one query)."""
    return list(
        Control.objects.filter(organization_id=system.organization_id)
        .exclude(system_links__system=system)
        .only("pk", "ref_id", "title", "order")
        .order_by("order", "ref_id")
    )


def soa_flags(row: SoARow) -> list[str]:
    flags = []
    if row.applicability == Applicability.UNDECIDED:
        flags.append("undecided")
    if row.applicability == Applicability.EXCLUDED:
        if row.risks:
            flags.append("excluded_but_selected")
        if not row.justification:
            flags.append("excluded_without_justification")
    if row.applicability == Applicability.INCLUDED and not (row.risks or row.requirements or row.justification):
        flags.append("included_without_justification")
    if row.status == ImplementationStatus.IMPLEMENTED and row.evidence_current == 0:
        flags.append("implemented_without_evidence")
    return flags


def soa_summary(rows: list[SoARow]) -> dict:
    summary = {"total": len(rows), "flagged": sum(1 for r in rows if r.flags)}
    for value in Applicability.values:
        summary[value] = sum(1 for r in rows if r.applicability == value)
    summary["implemented"] = sum(1 for r in rows if r.status == ImplementationStatus.IMPLEMENTED)
    return summary


COMPARED = ("title", "status", "applicability", "justification", "owner")


def soa_diff(old_rows: list[dict], new_rows: list[dict]) -> dict:
    """What changed between two SoA versions: controls added and removed, and field changes per control."""
    old = {row["ref_id"]: row for row in old_rows}
    new = {row["ref_id"]: row for row in new_rows}
    changed = []
    for ref_id in [r for r in new if r in old]:
        fields = {
            name: [old[ref_id].get(name), new[ref_id].get(name)]
            for name in COMPARED
            if old[ref_id].get(name) != new[ref_id].get(name)
        }
        if fields:
            changed.append({"ref_id": ref_id, "title": new[ref_id]["title"], "changes": fields})
    return {
        "added": [new[r] for r in new if r not in old],
        "removed": [old[r] for r in old if r not in new],
        "changed": changed,
    }


@dataclass
class Coverage:
    framework: Framework
    total: int
    covered: int
    uncovered: list[CatalogNode]
    partial: list[CatalogNode] = field(default_factory=list)  # reached only through an overlap, not in full

    @property
    def share(self) -> float:
        return self.covered / self.total if self.total else 0.0

    @property
    def partial_share(self) -> float:
        return len(self.partial) / self.total if self.total else 0.0


# Seen from the effective control's side of a crosswalk relation: does it cover the other item in full?
# The relation reads "source <relation> target": a broader or equal source covers its target, a narrower or
# equal target covers its source; anything else (intersect, the narrower side) is only partial coverage.
FULL_FROM_SOURCE = {"equal", "superset"}
FULL_FROM_TARGET = {"equal", "subset"}


def coverage(organization, frameworks=None, today=None) -> list[Coverage]:
    """Per framework: the share of its assessable items covered by implemented controls with current evidence.

    An item is covered when an effective control *is* it (its catalog node), is linked to it as a
    requirement, or maps to it by a crosswalk relation in which the control's side is equal or broader;
    an `intersect` relation, or one where the control's side is narrower, makes it partially covered —
    shown apart and not counted in the share. One control and its evidence count for every framework it maps to.
    """
    today = today or timezone.localdate()
    effective = (
        Control.objects.filter(
            organization=organization,
            status=ImplementationStatus.IMPLEMENTED,
        )
        .exclude(applicability=Applicability.EXCLUDED)
        .filter(
            # One filter() call, so both conditions apply to the same evidence row.
            Q(evidence_links__evidence__isnull=False)
            & (
                Q(evidence_links__evidence__valid_until__isnull=True)
                | Q(evidence_links__evidence__valid_until__gte=today)
            )
        )
        .distinct()
    )
    anchors = set(effective.exclude(catalog_node=None).values_list("catalog_node_id", flat=True))
    anchors |= set(ControlRequirement.objects.filter(control__in=effective).values_list("requirement_id", flat=True))
    full, partial = set(anchors), set()
    for source, target, relation in CrosswalkRelation.objects.filter(
        Q(source_id__in=anchors) | Q(target_id__in=anchors)
    ).values_list("source_id", "target_id", "relation"):
        if source in anchors:
            (full if relation in FULL_FROM_SOURCE else partial).add(target)
        if target in anchors:
            (full if relation in FULL_FROM_TARGET else partial).add(source)
    partial -= full
    frameworks = list(frameworks) if frameworks is not None else list(Framework.objects.order_by("name"))
    nodes = CatalogNode.objects.filter(framework__in=frameworks, assessable=True, retired=False).order_by("order")
    by_framework: dict[int, list[CatalogNode]] = {f.pk: [] for f in frameworks}
    for node in nodes:
        by_framework[node.framework_id].append(node)
    result = []
    for framework in frameworks:
        items = by_framework[framework.pk]
        uncovered = [n for n in items if n.pk not in full and n.pk not in partial]
        partly = [n for n in items if n.pk in partial]
        result.append(Coverage(framework, len(items), len(items) - len(uncovered) - len(partly), uncovered, partly))
    return result
