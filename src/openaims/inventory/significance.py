"""A significant change of an AI system (ISO/IEC 42005 5.4; 42001 8.2 and 8.4 "when significant changes are
proposed or occur"): its stage, purpose, intended use, models with their versions, or datasets.

One definition, read by every app that must notice such a change without a hook into the inventory:
impact assessments keep the fingerprint at approval ("review needed"), risks keep a keyed hash per
linked system at assessment ("reassessment suggested"). Both compare with the system as it is now.
"""

from __future__ import annotations

import hashlib
import json

from django.db.models import QuerySet, Value

from openaims.inventory.models import AIModel, AISystem, Dataset

SIGNIFICANT_FIELDS = ("stage", "purpose", "intended_use")


def _hash(data) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def parts_of(system_pks) -> dict[int, dict[str, list]]:
    """{system pk: {"models": [[name, version], ...], "datasets": [name, ...]}} in one query."""
    pks = list(system_pks)
    found: dict[int, dict[str, list]] = {pk: {"models": [], "datasets": []} for pk in pks}
    if not pks:
        return found
    models = (
        AIModel.objects.filter(system_id__in=pks).values_list("system_id", Value("m"), "name", "version").order_by()
    )
    datasets = (
        Dataset.objects.filter(system_id__in=pks).values_list("system_id", Value("d"), "name", Value("")).order_by()
    )
    for system_id, kind, name, version in models.union(datasets, all=True):
        if kind == "m":
            found[system_id]["models"].append([name, version])
        else:
            found[system_id]["datasets"].append(name)
    for parts in found.values():
        parts["models"].sort()
        parts["datasets"].sort()
    return found


def fingerprint(system, parts: dict[str, list]) -> dict:
    """The system's significant fields: what, when it changes, calls earlier assessments into question."""
    return {
        **{name: getattr(system, name) for name in SIGNIFICANT_FIELDS},
        "models": parts["models"],
        "datasets": parts["datasets"],
    }


def fingerprint_hash(data: dict) -> str:
    return _hash(data)


def current_fingerprint(system) -> dict:
    return fingerprint(system, parts_of([system.pk])[system.pk])


def keyed_hashes(organization, system_pks=None) -> dict[int, str]:
    """{system pk: hash of the system's pk and fingerprint} in two queries (all the organization's systems when
    `system_pks` is None). Keyed by pk, a set of these hashes says, for any system, whether it is unchanged."""
    queryset = AISystem.objects.filter(organization=organization).only("pk", *SIGNIFICANT_FIELDS).order_by()
    if system_pks is not None:
        # A queryset stays a subquery: no extra round trip.
        queryset = queryset.filter(pk__in=system_pks if isinstance(system_pks, QuerySet) else list(system_pks))
    systems = list(queryset)
    parts = parts_of([s.pk for s in systems])
    return {s.pk: _hash([s.pk, fingerprint(s, parts[s.pk])]) for s in systems}
