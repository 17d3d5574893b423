"""Reads of the risk register for pages, the API, exports and the inventory's gates.

Every function costs a fixed number of queries whatever the number of risks: the register filters,
sorts and pages in SQL; the heat map is one aggregate query per grid.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date
from urllib.parse import urlencode

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from openaims.catalog.models import CatalogNode
from openaims.inventory.significance import keyed_hashes
from openaims.risk.criteria import CriteriaData, RiskLevel, default_criteria
from openaims.risk.models import (
    OPEN_ACTION_STATUSES,
    ActionStatus,
    Risk,
    RiskAcceptance,
    RiskControl,
    RiskCriteria,
    RiskObjective,
    RiskSource,
    RiskStatus,
    RiskSystem,
    TreatmentAction,
    TreatmentOption,
)
from openaims.risk.services import current_criteria

UNKNOWN_COLOR = "#777777"
LEVEL_KEY = re.compile(r"[a-z][a-z0-9_]{0,19}")


def criteria_in_force(organization) -> tuple[RiskCriteria | None, CriteriaData]:
    """The published version in force (None before first use) and its data (else the shipped default)."""
    version = current_criteria(organization)
    return version, (version.data if version else default_criteria())


def draft_criteria(organization) -> RiskCriteria | None:
    return RiskCriteria.objects.filter(organization=organization, published_at__isnull=True).first()


def criteria_versions(organization) -> list[RiskCriteria]:
    return list(
        RiskCriteria.objects.filter(organization=organization)
        .select_related("created_by", "published_by")
        .defer("content")
        .order_by("-number")
    )


class Levels:
    """Level keys → name and colour under the criteria in force; keys it does not know show as themselves."""

    def __init__(self, data: CriteriaData):
        self.data = data
        self._by_key = {level.key: level for level in data.levels}

    def get(self, key: str) -> RiskLevel | None:
        if not key:
            return None
        level = self._by_key.get(key)
        if level is None:
            level = RiskLevel(key=key, name=key.replace("_", " ").capitalize(), color=UNKNOWN_COLOR)
            self._by_key[key] = level
        return level

    def choices(self) -> list[tuple[str, str]]:
        return [(level.key, level.name) for level in self.data.levels]


# --- Register filters ---------------------------------------------------------------------------------

SORTS = {
    "residual": (
        F("residual_rank").desc(nulls_last=True),
        F("inherent_rank").desc(nulls_last=True),
        "number",
    ),
    "inherent": (
        F("inherent_rank").desc(nulls_last=True),
        F("residual_rank").desc(nulls_last=True),
        "number",
    ),
    "ref": ("number",),
    "-ref": ("-number",),
    "title": ("title", "number"),
    "review": (F("review_date").asc(nulls_last=True), "number"),
    "updated": ("-updated_at", "-number"),
}
SORT_LABELS = {
    "residual": "Residual level (highest first)",
    "inherent": "Inherent level (highest first)",
    "ref": "Number",
    "-ref": "Newest first",
    "title": "Title",
    "review": "Review date (soonest first)",
    "updated": "Recently changed",
}
DEFAULT_SORT = "residual"
STATUS_OPEN = ""  # every status but closed
STATUS_ALL = "all"


def _int(value, low=1, high=99) -> int | None:
    try:
        number = int(str(value).strip().upper().removeprefix("AIS-"))
    except (TypeError, ValueError):
        return None
    return number if low <= number <= high else None


@dataclass(frozen=True)
class RegisterFilter:
    """The register's filters, from the query string (web, API and exports read the same names).

    Unknown or malformed values are ignored rather than refused, like the other registers.
    `system` is an AI system's number (AIS-<n>); `il`/`ic` and `rl`/`rc` pick one heat-map cell.
    """

    q: str = ""
    status: str = STATUS_OPEN
    inherent: str = ""
    residual: str = ""
    treatment: str = ""
    owner: str = ""  # username, or "none"
    system: int | None = None
    overdue: bool = False
    stale: bool = False  # assessed under an older criteria version
    reassess: bool = False  # a linked AI system changed significantly since the assessment
    il: int | None = None
    ic: int | None = None
    rl: int | None = None
    rc: int | None = None
    sort: str = DEFAULT_SORT

    @classmethod
    def from_query(cls, params) -> RegisterFilter:
        def flag(name):
            return str(params.get(name, "")).lower() in ("1", "on", "true", "yes")

        status = str(params.get("status", "")).strip()
        treatment = str(params.get("treatment", "")).strip()
        sort = str(params.get("sort", "")).strip()

        def level_key(name):
            value = str(params.get(name, "")).strip()
            return value if LEVEL_KEY.fullmatch(value) else ""

        il, ic = _int(params.get("il"), high=10), _int(params.get("ic"), high=10)
        rl, rc = _int(params.get("rl"), high=10), _int(params.get("rc"), high=10)
        return cls(
            q=str(params.get("q", "")).strip()[:200],
            status=status if status in (STATUS_ALL, *RiskStatus.values) else STATUS_OPEN,
            inherent=level_key("inherent"),
            residual=level_key("residual"),
            treatment=treatment if treatment in (*TreatmentOption.values, "none") else "",
            owner=str(params.get("owner", "")).strip()[:150],
            system=_int(params.get("system"), high=10**9),
            overdue=flag("overdue"),
            stale=flag("stale"),
            reassess=flag("reassess"),
            il=il if ic else None,
            ic=ic if il else None,
            rl=rl if rc else None,
            rc=rc if rl else None,
            sort=sort if sort in SORTS else DEFAULT_SORT,
        )

    @property
    def active(self) -> bool:
        return self != RegisterFilter(sort=self.sort)

    def without_cells(self) -> RegisterFilter:
        return replace(self, il=None, ic=None, rl=None, rc=None)

    def query(self, **overrides) -> str:
        """This filter as a query string (defaults left out), with `overrides` applied."""
        values = {
            "q": self.q,
            "status": self.status,
            "inherent": self.inherent,
            "residual": self.residual,
            "treatment": self.treatment,
            "owner": self.owner,
            "system": self.system,
            "overdue": "1" if self.overdue else "",
            "stale": "1" if self.stale else "",
            "reassess": "1" if self.reassess else "",
            "il": self.il,
            "ic": self.ic,
            "rl": self.rl,
            "rc": self.rc,
            "sort": "" if self.sort == DEFAULT_SORT else self.sort,
        }
        values.update(overrides)
        return urlencode({k: v for k, v in values.items() if v not in (None, "")})

    def apply(self, risks: QuerySet, *, organization, today: date | None = None, current_id: int | None = None):
        today = today or timezone.localdate()
        if self.q:
            term = self.q.upper().removeprefix("R-")
            match = Q(title__icontains=self.q) | Q(description__icontains=self.q)
            if term.isdigit():
                match |= Q(number=int(term))
            risks = risks.filter(match)
        if self.status == STATUS_OPEN:
            risks = risks.exclude(status=RiskStatus.CLOSED)
        elif self.status != STATUS_ALL:
            risks = risks.filter(status=self.status)
        if self.inherent:
            risks = risks.filter(inherent_level=self.inherent)
        if self.residual:
            risks = risks.filter(residual_level=self.residual)
        if self.treatment == "none":
            risks = risks.filter(treatment_option="")
        elif self.treatment:
            risks = risks.filter(treatment_option=self.treatment)
        if self.owner == "none":
            risks = risks.filter(owner__isnull=True)
        elif self.owner:
            risks = risks.filter(owner__username=self.owner)
        if self.system is not None:
            risks = risks.filter(
                pk__in=RiskSystem.objects.filter(organization=organization, system__number=self.system).values(
                    "risk_id"
                )
            )
        if self.overdue:
            risks = risks.filter(review_date__lt=today).exclude(status=RiskStatus.CLOSED)
        if self.stale:
            risks = risks.filter(criteria__isnull=False)
            if current_id is not None:
                risks = risks.exclude(criteria_id=current_id)
        if self.reassess:
            # The register annotates it already: filtering on the annotation saves computing the hashes twice.
            annotated = "reassessment_suggested" in risks.query.annotations
            risks = (
                risks.filter(reassessment_suggested=True)
                if annotated
                else risks.filter(reassessment_suggested(organization))
            )
        if self.il is not None:
            risks = risks.filter(inherent_likelihood=self.il, inherent_consequence=self.ic)
        if self.rl is not None:
            risks = risks.filter(residual_likelihood=self.rl, residual_consequence=self.rc)
        return risks


def reassessment_suggested(organization, hashes: dict[int, str] | None = None) -> Exists:
    """Whether an open risk's linked AI system changed significantly since the risk was assessed (8.2).

    Computed, not stored, like impact's "review needed", from the same signal (`inventory.significance`):
    each link keeps a hash of its system's pk and significant fields at the assessment; the hashes of the
    systems as they are now (two queries) form a set, and a link whose hash is not in it has changed — so
    the register filters and pages on it in SQL, and no inventory write has to remember to set a flag.
    Links never fingerprinted (risks assessed before this existed, or not at all) suggest nothing.
    """
    if hashes is None:
        # Only systems some assessment fingerprinted can have changed since: the others are never hashed.
        fingerprinted = (
            RiskSystem.objects.filter(organization=organization).exclude(assessed_fingerprint="").values("system_id")
        )
        hashes = keyed_hashes(organization, fingerprinted)
    changed = (
        RiskSystem.objects.filter(risk=OuterRef("pk"))
        .exclude(assessed_fingerprint="")
        .exclude(assessed_fingerprint__in=sorted(set(hashes.values())))
        .exclude(risk__status=RiskStatus.CLOSED)
    )
    return Exists(changed)


def changed_systems(risk: Risk, systems: list) -> list:
    """The linked systems (of `systems`) that changed significantly since the risk's assessment (two queries)."""
    if risk.status == RiskStatus.CLOSED:
        return []
    links = {
        link.system_id: link.assessed_fingerprint
        for link in RiskSystem.objects.filter(risk=risk).exclude(assessed_fingerprint="")
    }
    if not links:
        return []
    now = keyed_hashes(risk.organization, list(links))
    return [s for s in systems if s.pk in links and links[s.pk] != now.get(s.pk)]


def register(organization, flt: RegisterFilter, *, current_id: int | None = None, today=None) -> QuerySet:
    """The filtered, sorted register: each risk with its owner and its AI systems (one query per page for those),
    and whether a re-assessment is suggested (two queries for the systems' current state)."""
    risks = (
        Risk.objects.filter(organization=organization)
        .select_related("owner")
        .annotate(reassessment_suggested=reassessment_suggested(organization))
    )
    risks = flt.apply(risks, organization=organization, today=today, current_id=current_id)
    return risks.order_by(*SORTS[flt.sort]).prefetch_related(
        Prefetch(
            "system_links",
            queryset=RiskSystem.objects.select_related("system")
            .only("risk_id", "system__number", "system__name", "system__organization_id")
            .order_by("system__number"),
        )
    )


def decorate(risks, levels: Levels, *, today: date | None = None):
    """Attributes the templates need (they cannot look a level up by key)."""
    today = today or timezone.localdate()
    for risk in risks:
        risk.inherent_badge = levels.get(risk.inherent_level)
        risk.residual_badge = levels.get(risk.residual_level)
        risk.is_overdue = risk.review_overdue(today)
        cached = getattr(risk, "_prefetched_objects_cache", {})
        if "system_links" in cached:
            risk.system_list = [link.system for link in risk.system_links.all()]
    return risks


# --- Heat map ------------------------------------------------------------------------------------------


@dataclass
class Cell:
    likelihood: int
    consequence: int
    level: RiskLevel
    count: int = 0
    query: str = ""


@dataclass
class Grid:
    kind: str  # inherent | residual
    rows: list[dict] = field(default_factory=list)  # likelihood high → low: {"value", "name", "cells"}
    columns: list = field(default_factory=list)  # consequence scale levels
    total: int = 0
    outside: int = 0  # scored on a scale the criteria in force no longer have


def heatmap(organization, data: CriteriaData, flt: RegisterFilter | None = None, *, current_id=None) -> dict:
    """Inherent and residual grids under the criteria in force: risks per cell, one aggregate query per grid.

    The other filters (system, owner, status…) apply, so a heat map can be drawn for one AI system.
    """
    flt = (flt or RegisterFilter()).without_cells()
    base = flt.apply(Risk.objects.filter(organization=organization), organization=organization, current_id=current_id)
    grids = {}
    n, m = data.size
    for kind in ("inherent", "residual"):
        lf, cf = f"{kind}_likelihood", f"{kind}_consequence"
        counts = {
            (row[lf], row[cf]): row["n"]
            for row in base.filter(**{f"{lf}__isnull": False}).order_by().values(lf, cf).annotate(n=Count("pk"))
        }
        grid = Grid(kind=kind, columns=data.consequence)
        prefix = "i" if kind == "inherent" else "r"
        for li in range(n, 0, -1):
            cells = []
            for ci in range(1, m + 1):
                count = counts.pop((li, ci), 0)
                cells.append(
                    Cell(
                        likelihood=li,
                        consequence=ci,
                        level=data.level(data.matrix[li - 1][ci - 1]),
                        count=count,
                        query=flt.query(**{f"{prefix}l": li, f"{prefix}c": ci}),
                    )
                )
                grid.total += count
            grid.rows.append({"value": li, "name": data.likelihood[li - 1].name, "cells": cells})
        grid.outside = sum(counts.values())
        grid.total += grid.outside
        grids[kind] = grid
    return grids


def heatmap_counts(grids: dict) -> dict:
    """The grids as plain data (API): per kind, a list of {likelihood, consequence, level, count}."""
    return {
        kind: {
            "cells": [
                {"likelihood": c.likelihood, "consequence": c.consequence, "level": c.level.key, "count": c.count}
                for row in grid.rows
                for c in row["cells"]
            ],
            "total": grid.total,
            "outside_scale": grid.outside,
        }
        for kind, grid in grids.items()
    }


# --- One risk ------------------------------------------------------------------------------------------


def risk_detail(risk: Risk) -> dict:
    """Everything the risk page shows besides the risk row: links, history of scores, actions, acceptance."""
    systems = [link.system for link in RiskSystem.objects.filter(risk=risk).select_related("system")]
    systems.sort(key=lambda s: s.number)
    sources = [
        link.node for link in RiskSource.objects.filter(risk=risk).select_related("node").order_by("node__order")
    ]
    objectives = [
        link.node for link in RiskObjective.objects.filter(risk=risk).select_related("node").order_by("node__order")
    ]
    controls = [
        link.control
        for link in RiskControl.objects.filter(risk=risk)
        .select_related("control")
        .order_by("control__order", "control__ref_id")
    ]
    assessments = list(risk.assessments.select_related("assessed_by", "criteria").order_by("-assessed_at", "-pk"))
    actions = list(TreatmentAction.objects.filter(risk=risk).select_related("owner"))
    acceptances = list(RiskAcceptance.objects.filter(risk=risk).select_related("accepted_by", "criteria"))
    return {
        "systems": systems,
        "changed_systems": changed_systems(risk, systems),
        "sources": sources,
        "objectives": objectives,
        "controls": controls,
        "assessments": assessments,
        "actions": actions,
        "acceptances": acceptances,
        "acceptance": next((a for a in acceptances if a.is_current), None),
    }


def trend(assessments: list) -> list[dict]:
    """Oldest first, each assessment's levels under its own criteria version, and whether it went up or down."""
    rows = []
    previous = None
    for item in sorted(assessments, key=lambda a: (a.assessed_at, a.pk)):
        data = item.criteria.data
        level_key = item.residual_level or item.inherent_level
        rank = data.rank(level_key)
        direction = "" if previous is None else ("up" if rank > previous else "down" if rank < previous else "same")
        rows.append(
            {
                "assessment": item,
                "inherent": Levels(data).get(item.inherent_level),
                "residual": Levels(data).get(item.residual_level),
                "version": item.criteria.number,
                "direction": direction,
            }
        )
        previous = rank
    return rows


def risks_for_system(system) -> QuerySet:
    """The risks that name this AI system (for the system's page)."""
    return (
        Risk.objects.filter(organization_id=system.organization_id, system_links__system=system)
        .select_related("owner")
        .order_by(*SORTS[DEFAULT_SORT])
    )


# --- Export rows ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SystemRef:
    number: int
    name: str

    @property
    def ref(self) -> str:
        return f"AIS-{self.number}"


@dataclass(frozen=True)
class NodeRef:
    ref_id: str
    title: str


@dataclass(frozen=True)
class ActionRow:
    title: str
    owner: str | None
    due_date: date | None
    status: str
    overdue: bool

    @property
    def status_label(self) -> str:
        return ActionStatus(self.status).label if self.status in ActionStatus.values else self.status

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_ACTION_STATUSES


@dataclass(frozen=True)
class AcceptanceRow:
    accepted_by: str
    role: str
    accepted_at: object
    criteria_number: int | None
    within_appetite: bool


def export_risks(organization, flt: RegisterFilter, *, current_id=None, limit: int | None = None) -> list[Risk]:
    """The filtered register with every link the exports and the treatment plan show.

    Links are read as plain tuples, one query per kind, for all the risks at once (a prefetch would
    build a queryset per risk and per kind: seconds for a few thousand risks).
    """
    today = timezone.localdate()
    base = flt.apply(
        Risk.objects.filter(organization=organization), organization=organization, current_id=current_id
    ).order_by(*SORTS[flt.sort])
    if limit is not None:
        base = base[:limit]
    risks = list(base.select_related("owner"))
    ids = base.values("pk")
    systems, sources, objectives, controls, actions, acceptances = (defaultdict(list) for _ in range(6))
    for risk_id, number, name in (
        RiskSystem.objects.filter(risk_id__in=ids)
        .order_by("system__number")
        .values_list("risk_id", "system__number", "system__name")
    ):
        systems[risk_id].append(SystemRef(number, name))
    for model, target in ((RiskSource, sources), (RiskObjective, objectives)):
        for risk_id, ref_id, title in (
            model.objects.filter(risk_id__in=ids)
            .order_by("node__order")
            .values_list("risk_id", "node__ref_id", "node__title")
        ):
            target[risk_id].append(NodeRef(ref_id, title))
    for risk_id, ref_id in (
        RiskControl.objects.filter(risk_id__in=ids)
        .order_by("control__order", "control__ref_id")
        .values_list("risk_id", "control__ref_id")
    ):
        controls[risk_id].append(ref_id)
    for risk_id, title, owner, due, status in (
        TreatmentAction.objects.filter(risk_id__in=ids)
        .order_by(F("due_date").asc(nulls_last=True), "pk")
        .values_list("risk_id", "title", "owner__username", "due_date", "status")
    ):
        overdue = bool(status in OPEN_ACTION_STATUSES and due and due < today)
        actions[risk_id].append(ActionRow(title, owner, due, status, overdue))
    numbers = dict(RiskCriteria.objects.filter(organization=organization).values_list("pk", "number"))
    for risk_id, user, role, at, criteria_id, within in RiskAcceptance.objects.filter(
        risk_id__in=ids, revoked_at__isnull=True
    ).values_list("risk_id", "accepted_by__username", "accepted_role", "accepted_at", "criteria_id", "within_appetite"):
        acceptances[risk_id].append(AcceptanceRow(user, role, at, numbers.get(criteria_id), within))
    for risk in risks:
        risk.system_list = systems.get(risk.pk, [])
        risk.source_refs = sources.get(risk.pk, [])
        risk.objective_refs = objectives.get(risk.pk, [])
        risk.control_refs = controls.get(risk.pk, [])
        risk.action_rows = actions.get(risk.pk, [])
        risk.acceptance = acceptances[risk.pk][0] if risk.pk in acceptances else None
        risk.criteria_number = numbers.get(risk.criteria_id)
        risk.open_actions = sum(1 for a in risk.action_rows if a.is_open)
    return risks


# --- Gate (inventory life cycle) -----------------------------------------------------------------------

GATE_NO_RISK = "no risk assessed for this system"


def system_risk_gates(system_ids: list[int]) -> dict[int, tuple[bool, str]]:
    """Per AI system: every open risk naming it is assessed, and its residual risk accepted or within appetite.

    Two queries for any number of systems. A system no open risk names does not pass: a system
    nobody has assessed for risk is not known to be safe.
    """
    rows = list(
        RiskSystem.objects.filter(system_id__in=system_ids)
        .exclude(risk__status=RiskStatus.CLOSED)
        .values_list("system_id", "organization_id", "risk__number", "risk__status", "risk__residual_level")
    )
    appetite: dict[int, CriteriaData] = {}
    for version in RiskCriteria.objects.filter(
        organization_id__in={org for _s, org, *_ in rows}, published_at__isnull=False
    ).order_by("organization_id", "-number"):
        appetite.setdefault(version.organization_id, version.data)
    per_system: dict[int, list] = {pk: [] for pk in system_ids}
    for system_id, org, number, status, residual in rows:
        per_system.setdefault(system_id, []).append((org, number, status, residual))
    answers = {}
    for system_id, risks in per_system.items():
        if not risks:
            answers[system_id] = (False, GATE_NO_RISK)
            continue
        unassessed = sorted(number for _org, number, _status, residual in risks if not residual)
        pending = sorted(
            number
            for org, number, status, residual in risks
            if residual
            and status != RiskStatus.ACCEPTED
            and not appetite.get(org, default_criteria()).within_appetite(residual)
        )
        problems = []
        if unassessed:
            problems.append(f"residual risk not assessed: {_refs(unassessed)}")
        if pending:
            problems.append(f"above appetite and not accepted: {_refs(pending)}")
        if problems:
            answers[system_id] = (False, "; ".join(problems))
        else:
            n = len(risks)
            answers[system_id] = (True, f"{n} risk{'s' if n != 1 else ''} assessed, each accepted or within appetite")
    return answers


def system_risk_gate(system) -> tuple[bool, str]:
    return system_risk_gates([system.pk])[system.pk]


def _refs(numbers: list[int], limit: int = 5) -> str:
    shown = ", ".join(f"R-{n}" for n in numbers[:limit])
    return shown + (f" and {len(numbers) - limit} more" if len(numbers) > limit else "")


# --- Choices for forms ---------------------------------------------------------------------------------


def catalog_nodes(kind: str) -> list:
    """Catalog risk sources or objectives (ISO/IEC 42001 Annex C.3.x / C.2.x, and any other loaded catalog's)."""
    return list(
        CatalogNode.objects.filter(kind=kind, retired=False)
        .select_related("framework")
        .order_by("framework__name", "order")
    )


def open_risks_system_first(organization_id: int, system_id: int, limit: int = 500) -> list[Risk]:
    """The organization's open risks, those naming the system first (one query): the choices for linking a harm."""
    names_system = RiskSystem.objects.filter(risk=OuterRef("pk"), system_id=system_id)
    return list(
        Risk.objects.filter(organization_id=organization_id)
        .exclude(status=RiskStatus.CLOSED)
        .annotate(own=Exists(names_system))
        .only("pk", "number", "title")
        .order_by("-own", "number")[:limit]
    )


def control_treatments(organization, control=None) -> list[tuple[int, str]]:
    """(control id, risk title) for every control a risk treatment selects: the SoA's "Risk treatment" reasons.
    With `control`, that control's only (one control's page reads one SoA row)."""
    only = {"control": control} if control is not None else {}
    rows = RiskControl.objects.filter(organization=organization, **only).values_list("control_id", "risk__title")
    return list(rows)
