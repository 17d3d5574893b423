"""The inventory's own gate items: owners, intended use, classification, parts, oversight, documentation."""

from __future__ import annotations

from django.db.models import BooleanField, Count, ExpressionWrapper, Max, Q

from openaims.inventory.lifecycle.items import GateResult, SystemFact, register_item
from openaims.inventory.models import (
    AIModel,
    Component,
    Dataset,
    RiskClass,
    SystemCardVersion,
)


def _filled(expr: str):
    return ExpressionWrapper(~Q(**{expr: ""}), output_field=BooleanField())


def _names(names: list[str], limit: int = 5) -> str:
    shown = ", ".join(names[:limit])
    return f"{shown} and {len(names) - limit} more" if len(names) > limit else shown


def _count_models(pks):
    rows = AIModel.objects.filter(system_id__in=pks).values("system_id").annotate(n=Count("id"))
    return {row["system_id"]: row["n"] for row in rows}


def _dataset_rows(pks):
    found: dict[int, list] = {}
    rows = (
        Dataset.objects.filter(system_id__in=pks)
        .annotate(
            has_source=_filled("source"), has_provenance=_filled("provenance"), has_quality=_filled("quality_checks")
        )
        .values_list("system_id", "name", "has_source", "has_provenance", "has_quality")
        .order_by("name", "pk")
    )
    for system_id, name, *filled in rows:
        found.setdefault(system_id, []).append((name, filled))
    return found


def _component_rows(pks):
    found: dict[int, list] = {}
    rows = (
        Component.objects.filter(system_id__in=pks)
        .annotate(has_responsibilities=_filled("responsibilities"))
        .values_list("system_id", "name", "supplier_id", "has_responsibilities")
        .order_by("name", "pk")
    )
    for system_id, name, supplier_id, has_responsibilities in rows:
        found.setdefault(system_id, []).append((name, supplier_id is not None, has_responsibilities))
    return found


def _card_facts(pks):
    rows = (
        SystemCardVersion.objects.filter(system_id__in=pks)
        .values("system_id")
        .annotate(number=Max("number"), system_version=Max("system_version"))
    )
    return {row["system_id"]: (row["number"], row["system_version"]) for row in rows}


MODEL_COUNT = SystemFact("inventory.models", _count_models, 0)
DATASETS = SystemFact("inventory.datasets", _dataset_rows, [])
COMPONENTS = SystemFact("inventory.components", _component_rows, [])
CARD = SystemFact("inventory.card", _card_facts, None)


def _owners_assigned(system) -> GateResult:
    lacking = [
        label
        for label, value in (
            ("business owner", system.business_owner_id),
            ("technical owner", system.technical_owner_id),
        )
        if value is None
    ]
    if lacking:
        return GateResult(False, f"No {' and no '.join(lacking)} assigned.")
    return GateResult(True, "Business and technical owners assigned.")


def _intended_use_documented(system) -> GateResult:
    lacking = [
        label
        for label, value in (("intended use", system.intended_use), ("affected persons", system.affected_persons))
        if not (value or "").strip()
    ]
    if lacking:
        return GateResult(False, f"{' and '.join(lacking).capitalize()} not described.")
    return GateResult(True, "Intended use and affected persons described.")


def _classification_current(system) -> GateResult:
    if not system.classification_id:
        return GateResult(False, "Not classified under the EU AI Act yet.")
    if system.classification_stale:
        return GateResult(False, "A classification input changed since the last classification: classify again.")
    return GateResult(True, "Classification is current.")


def _not_prohibited(system) -> GateResult:
    # Only a prohibited result blocks; an unclassified system passes here (classification_current asks for one).
    if system.risk_class == RiskClass.PROHIBITED:
        return GateResult(False, "Classified as a prohibited practice (EU AI Act Art. 5).")
    if system.risk_class == RiskClass.UNCLASSIFIED:
        return GateResult(True, "Not classified; nothing shows a prohibited practice.")
    return GateResult(True, f"Classified as {RiskClass(system.risk_class).label.lower()}.")


def _models_registered(system) -> GateResult:
    count = MODEL_COUNT(system)
    if not count:
        return GateResult(False, "No model registered for the system.")
    return GateResult(True, f"{count} model{'s' if count != 1 else ''} registered.")


def _datasets_documented(system) -> GateResult:
    rows = DATASETS(system)
    if not rows:
        return GateResult(False, "No dataset documented for the system.")
    fields = ("source", "provenance", "quality checks")
    incomplete = [
        f"{name} (no {', no '.join(f for f, ok in zip(fields, filled, strict=True) if not ok)})"
        for name, filled in rows
        if not all(filled)
    ]
    if incomplete:
        return GateResult(False, f"{len(incomplete)} of {len(rows)} datasets incomplete: {_names(incomplete)}.")
    return GateResult(True, f"{len(rows)} dataset{'s' if len(rows) != 1 else ''} with source, provenance and checks.")


def _suppliers_documented(system) -> GateResult:
    rows = COMPONENTS(system)
    if not rows:
        return GateResult(True, "No third-party components.")
    incomplete = []
    for name, has_supplier, has_responsibilities in rows:
        lacking = [
            label for label, ok in (("supplier", has_supplier), ("responsibilities", has_responsibilities)) if not ok
        ]
        if lacking:
            incomplete.append(f"{name} (no {', no '.join(lacking)})")
    if incomplete:
        return GateResult(False, f"{len(incomplete)} of {len(rows)} components incomplete: {_names(incomplete)}.")
    return GateResult(True, f"{len(rows)} component{'s' if len(rows) != 1 else ''} with supplier and responsibilities.")


def _oversight_defined(system) -> GateResult:
    if not system.oversight_mode:
        return GateResult(False, "No human oversight mode chosen.")
    if system.oversight_mode != "none" and not system.oversight_description.strip():
        return GateResult(False, "How people oversee the system is not described.")
    if system.oversight_mode == "none":
        return GateResult(True, "Recorded as without human oversight.")
    return GateResult(True, "Oversight mode and arrangements described.")


def _technical_documentation_present(system) -> GateResult:
    card = CARD(system)
    if card is None:
        return GateResult(False, "No system card published.")
    number, system_version = card
    if system_version != system.version:
        return GateResult(
            False,
            f"System card v{number} describes entry version {system_version}; the entry is at version "
            f"{system.version}: publish the card again.",
        )
    return GateResult(True, f"System card v{number} describes the current entry.")


def register_builtin_items() -> None:
    register_item(
        "owners_assigned",
        "Owners assigned",
        _owners_assigned,
        description="A business owner and a technical owner are named for the system.",
    )
    register_item(
        "intended_use_documented",
        "Intended use documented",
        _intended_use_documented,
        description="The intended use and the persons the system affects are described.",
    )
    register_item(
        "classification_current",
        "Classification current",
        _classification_current,
        description="The system has an EU AI Act classification and none of its inputs changed since.",
    )
    register_item(
        "not_prohibited",
        "Not a prohibited practice",
        _not_prohibited,
        description="The classification did not find a prohibited practice. An unclassified system passes this item.",
    )
    register_item(
        "models_registered",
        "Models registered",
        _models_registered,
        description="At least one model of the system is in the register.",
        preload=MODEL_COUNT.preload,
    )
    register_item(
        "datasets_documented",
        "Datasets documented",
        _datasets_documented,
        description="At least one dataset is recorded, each with its source, provenance and quality checks.",
        preload=DATASETS.preload,
    )
    register_item(
        "suppliers_documented",
        "Suppliers documented",
        _suppliers_documented,
        description="Every third-party component names its supplier and who is responsible for what "
        "(met when there are no components).",
        preload=COMPONENTS.preload,
    )
    register_item(
        "oversight_defined",
        "Human oversight defined",
        _oversight_defined,
        description="An oversight mode is chosen and, unless it is 'no human oversight', described.",
    )
    register_item(
        "technical_documentation_present",
        "Technical documentation current",
        _technical_documentation_present,
        description="A system card is published for the register entry's current version.",
        preload=CARD.preload,
    )
