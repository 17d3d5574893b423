"""Reads of the impact app: the list with filters, and whether an approved assessment needs review.

Review needed (significant change, ISO/IEC 42005 5.4): an approved assessment keeps the hash of the
system's significant fields at approval (`fingerprint`). It needs review when it is the system's
latest version and that hash differs from the one computed from the system now. For a page of
assessments the current hashes cost one query (models and datasets of all the page's systems, as one
UNION of values_list), the systems coming with the assessments (select_related).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef

from openaims.impact.models import ImpactAssessment, Status
from openaims.inventory.models import AISystem

# The significant-change signal lives with the inventory: risks read the same one.
from openaims.inventory.significance import (
    SIGNIFICANT_FIELDS,
    current_fingerprint,
    fingerprint,
    fingerprint_hash,
    parts_of,
)


def changed_fields(before: dict, after: dict) -> list[str]:
    return [key for key in after if before.get(key) != after.get(key)]


def with_latest(queryset):
    newer = ImpactAssessment.objects.filter(system=OuterRef("system"), version__gt=OuterRef("version"))
    return queryset.annotate(is_latest=~Exists(newer))


def decorate(assessments) -> None:
    """Set `review_needed` on each assessment (annotated with `is_latest`, systems loaded): one query."""
    approved = [a for a in assessments if a.status == Status.APPROVED and getattr(a, "is_latest", True)]
    parts = parts_of({a.system_id for a in approved})
    for assessment in assessments:
        assessment.review_needed = False
    for assessment in approved:
        now = fingerprint_hash(fingerprint(assessment.system, parts[assessment.system_id]))
        assessment.review_needed = now != assessment.system_fingerprint_hash


def review_needed(assessment) -> tuple[bool, list[str]]:
    """For one assessment: whether it needs review, and which significant fields changed."""
    if assessment.status != Status.APPROVED:
        return False, []
    if ImpactAssessment.objects.filter(system_id=assessment.system_id, version__gt=assessment.version).exists():
        return False, []
    now = current_fingerprint(assessment.system)
    if fingerprint_hash(now) == assessment.system_fingerprint_hash:
        return False, []
    return True, changed_fields(assessment.system_fingerprint or {}, now)


@dataclass
class ListFilter:
    status: str = ""
    system: int | None = None
    review_needed: bool = False
    latest: bool = False

    @classmethod
    def from_query(cls, query) -> ListFilter:
        status = query.get("status", "")
        system = (query.get("system") or "").strip().upper().removeprefix("AIS-")
        return cls(
            status=status if status in Status.values else "",
            system=int(system) if system.isdigit() else None,
            review_needed=query.get("review_needed") in ("1", "true", "on"),
            latest=query.get("latest") in ("1", "true", "on"),
        )


def assessments(organization, flt: ListFilter | None = None):
    flt = flt or ListFilter()
    queryset = with_latest(
        ImpactAssessment.objects.filter(organization=organization).select_related("system", "assessor", "approver")
    ).order_by("system__number", "-version")
    if flt.status:
        queryset = queryset.filter(status=flt.status)
    if flt.system is not None:
        queryset = queryset.filter(system__number=flt.system)
    if flt.latest:
        queryset = queryset.filter(is_latest=True)
    if flt.review_needed:
        candidates = list(queryset.filter(status=Status.APPROVED, is_latest=True))
        decorate(candidates)
        queryset = queryset.filter(pk__in=[a.pk for a in candidates if a.review_needed])
    return queryset


# ------------------------------------------------------------------------------------------- gate item


def gate_facts(system_pks) -> dict[int, tuple[bool, str]]:
    """{system pk: (ok, detail)} for the gate item 'impact assessment approved', in three queries."""
    pks = list(system_pks)
    latest: dict[int, ImpactAssessment] = {}
    for assessment in ImpactAssessment.objects.filter(system_id__in=pks).only(
        "system_id", "version", "status", "system_fingerprint_hash"
    ):
        if assessment.system_id not in latest or assessment.version > latest[assessment.system_id].version:
            latest[assessment.system_id] = assessment
    systems = {s.pk: s for s in AISystem.objects.filter(pk__in=list(latest)).only("pk", *SIGNIFICANT_FIELDS)}
    parts = parts_of(list(systems))
    facts: dict[int, tuple[bool, str]] = {}
    for pk in pks:
        assessment = latest.get(pk)
        if assessment is None:
            facts[pk] = (False, "No impact assessment yet.")
        elif assessment.status != Status.APPROVED:
            facts[pk] = (
                False,
                f"Impact assessment v{assessment.version} is {assessment.get_status_display().lower()}.",
            )
        elif fingerprint_hash(fingerprint(systems[pk], parts[pk])) != assessment.system_fingerprint_hash:
            facts[pk] = (False, f"The system changed since impact assessment v{assessment.version}: review needed.")
        else:
            facts[pk] = (True, f"Impact assessment v{assessment.version} approved.")
    return facts
