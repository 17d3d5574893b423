"""Writes for the AI system register and the parts of each system. Each records its audit event.

Vocabulary-backed values are checked against `inventory.vocabulary`; owners must be members of the
organization. A change to a classification input marks the classification stale (asked again).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from openaims.audittrail.services import Action, EventSpec, diff, fk_label, record_event, record_events_bulk
from openaims.inventory.models import AIModel, AISystem, Component, Dataset, Resource, Supplier
from openaims.inventory.vocabulary import lifecycle, vocabulary
from openaims.lib.errors import Conflict, ServiceError
from openaims.lib.uris import check_location
from openaims.tenancy.models import Membership, Tenant
from openaims.tenancy.numbering import next_number, next_numbers
from openaims.tenancy.selectors import check_member

# Which vocabulary list validates which field.
SYSTEM_TERMS = {
    "role": "roles",
    "technique": "techniques",
    "automation_level": "automation_levels",
    "oversight_mode": "oversight_modes",
    "criticality": "criticality",
}
REQUIRED_TEXT = {"name": 200, "purpose": 20_000}
OPTIONAL_TEXT = {
    "intended_use": 20_000,
    "foreseeable_misuse": 20_000,
    "intended_users": 20_000,
    "affected_persons": 20_000,
    "oversight_description": 20_000,
    "deployment_environment": 20_000,
    "geography": 300,
    "personal_data_notes": 20_000,
}
OWNER_FIELDS = ("business_owner", "technical_owner")
SYSTEM_FIELDS = (*REQUIRED_TEXT, *OPTIONAL_TEXT, *SYSTEM_TERMS, *OWNER_FIELDS, "personal_data")


def state(obj, fields) -> dict:
    return {field: fk_label(getattr(obj, field)) for field in fields}


def _check_term(field: str, value: str, *, allow_blank: bool) -> str:
    value = (value or "").strip()
    if not value:
        if allow_blank:
            return ""
        raise ServiceError(f"{field.replace('_', ' ')} is required", field=field)
    terms = SYSTEM_TERMS.get(field, field)
    allowed = vocabulary().keys(terms)
    if value not in allowed:
        raise ServiceError(
            f"unknown {field.replace('_', ' ')} {value!r}; use one of {', '.join(sorted(allowed))}", field=field
        )
    return value


def _clean_system_values(
    organization, values: Mapping[str, Any], *, partial: bool, members: set[int] | None = None
) -> dict:
    unknown = set(values) - set(SYSTEM_FIELDS)
    if unknown:
        raise ServiceError(f"unknown field(s): {', '.join(sorted(unknown))}")
    cleaned: dict[str, Any] = {}
    for field, limit in REQUIRED_TEXT.items():
        if field in values or not partial:
            text = (values.get(field) or "").strip()
            if not text:
                raise ServiceError(f"{field.replace('_', ' ')} is required", field=field)
            if len(text) > limit:
                raise ServiceError(f"{field} is longer than {limit} characters", field=field)
            cleaned[field] = text
    for field, limit in OPTIONAL_TEXT.items():
        if field in values:
            text = (values.get(field) or "").strip()
            if len(text) > limit:
                raise ServiceError(f"{field.replace('_', ' ')} is longer than {limit} characters", field=field)
            cleaned[field] = text
    for field in SYSTEM_TERMS:
        if field in values or (not partial and field in ("role", "technique")):
            required = field in ("role", "technique", "criticality")
            cleaned[field] = _check_term(field, values.get(field, ""), allow_blank=not required)
    for field in OWNER_FIELDS:
        if field in values:
            cleaned[field] = check_member(organization, values[field], field=field, members=members)
    if "personal_data" in values:
        cleaned["personal_data"] = bool(values["personal_data"])
    return cleaned


def validate_system_values(organization, values: Mapping[str, Any], *, partial: bool = False) -> dict:
    """Check register values as `system_create` (or, partial, `system_update`) would, writing nothing.

    Returns the cleaned values; raises ServiceError naming the field of the first problem. Imports call
    it per row so a whole file is checked before anything is written.
    """
    return _clean_system_values(organization, values, partial=partial)


def system_create(*, actor: Tenant, **values) -> AISystem:
    """Register an AI system (A.4.2). It starts at the first life-cycle stage, unclassified."""
    organization = actor.organization
    cleaned = _clean_system_values(organization, values, partial=False)
    cleaned.setdefault("criticality", "medium")
    with transaction.atomic():
        number = next_number(organization, "ai_system")
        system = AISystem.objects.create(
            organization=organization,
            number=number,
            stage=lifecycle().keys[0],
            created_by=actor.user,
            **cleaned,
        )
        record_event(
            actor=actor,
            organization=organization,
            obj=system,
            action=Action.CREATE,
            changes=diff({}, {**state(system, AISystem.AUDITED_FIELDS), "stage": system.stage}),
        )
    return system


def systems_create_bulk(*, actor: Tenant, rows: list[Mapping[str, Any]]) -> list[AISystem]:
    """Register many AI systems at once (imports): every row checked first, then one insert and one audit
    event per system appended in bulk — the same rows and events as `system_create`, in a few queries."""
    organization = actor.organization
    members = set(Membership.objects.filter(organization=organization).values_list("user_id", flat=True))
    cleaned_rows = []
    for values in rows:
        cleaned = _clean_system_values(organization, values, partial=False, members=members)
        cleaned.setdefault("criticality", "medium")
        cleaned_rows.append(cleaned)
    first_stage = lifecycle().keys[0]
    with transaction.atomic():
        start = next_numbers(organization, "ai_system", len(cleaned_rows)) if cleaned_rows else 1
        now = timezone.now()
        systems = AISystem.objects.bulk_create(
            [
                AISystem(
                    organization=organization,
                    number=start + i,
                    stage=first_stage,
                    created_by=actor.user,
                    created_at=now,
                    updated_at=now,
                    **cleaned,
                )
                for i, cleaned in enumerate(cleaned_rows)
            ],
            batch_size=500,
        )
        if any(system.pk is None for system in systems):  # a backend that cannot return keys from a bulk insert
            by_number = dict(
                AISystem.objects.filter(organization=organization, number__gte=start).values_list("number", "pk")
            )
            for system in systems:
                system.pk = by_number[system.number]
        record_events_bulk(
            organization=organization,
            specs=(
                EventSpec(
                    object_type="inventory.aisystem",
                    object_id=str(system.pk),
                    object_repr=str(system),
                    action=Action.CREATE,
                    changes=diff({}, {**state(system, AISystem.AUDITED_FIELDS), "stage": system.stage}),
                    actor=actor,
                )
                for system in systems
            ),
        )
    return systems


def system_update(*, actor: Tenant, system: AISystem, **values) -> AISystem:
    """Change register fields; bumps the entry's version and marks the classification stale when an input changed."""
    cleaned = _clean_system_values(system.organization, values, partial=True)
    with transaction.atomic():
        system = (
            AISystem.objects.select_for_update(of=("self",))
            .select_related("business_owner", "technical_owner", "organization")
            .get(pk=system.pk)
        )
        before = state(system, AISystem.AUDITED_FIELDS)
        for field, value in cleaned.items():
            setattr(system, field, value)
        after = state(system, AISystem.AUDITED_FIELDS)
        changes = diff(before, after)
        if not changes:
            return system
        if system.classification_id and any(f in changes for f in AISystem.CLASSIFICATION_INPUTS):
            system.classification_stale = True
            changes["classification_stale"] = [False, True]
        system.version += 1
        system.updated_at = timezone.now()
        system.save()
        record_event(actor=actor, organization=system.organization, obj=system, action=Action.UPDATE, changes=changes)
    return system


def system_delete(*, actor: Tenant, system: AISystem) -> None:
    """Delete an entry registered by mistake. A system that has left inception is retired, not deleted."""
    if system.stage != lifecycle().keys[0]:
        raise Conflict(
            f"{system.ref} has left {lifecycle().label(lifecycle().keys[0])}; retire it instead of deleting it"
        )
    with transaction.atomic():
        record_event(
            actor=actor,
            organization=system.organization,
            obj=system,
            action=Action.DELETE,
            changes=diff(state(system, ("name", "purpose")), {}),
        )
        system.delete()


def system_mark_changed(*, system: AISystem, reason: str) -> None:
    """Bump the entry's version after a change to one of its parts (inside the caller's transaction)."""
    AISystem.objects.filter(pk=system.pk).update(version=system.version + 1, updated_at=timezone.now())
    system.version += 1


# --- parts ---------------------------------------------------------------------------------------

PART_SPECS: dict[type, dict[str, Any]] = {
    AIModel: {
        "text": {
            "name": 200,
            "version": 60,
            "description": 20_000,
            "model_type": 120,
            "uri": 500,
            "registry_stage": 60,
        },
        "terms": {},
        "bools": (),
        "required": ("name",),
    },
    Dataset: {
        "text": {
            "name": 200,
            "description": 20_000,
            "source": 20_000,
            "acquisition": 20_000,
            "provenance": 20_000,
            "quality_checks": 20_000,
            "preparation": 20_000,
            "licence": 200,
        },
        "terms": {"purpose": "dataset_purposes"},
        "bools": ("personal_data", "special_categories"),
        "required": ("name",),
    },
    Component: {
        "text": {"name": 200, "description": 20_000, "version": 60, "responsibilities": 20_000},
        "terms": {"category": "component_kinds"},
        "bools": (),
        "required": ("name",),
    },
    Resource: {
        "text": {"name": 200, "description": 20_000},
        "terms": {"category": "resource_kinds"},
        "bools": (),
        "required": ("name",),
    },
}
PART_CLASSES = {"model": AIModel, "dataset": Dataset, "component": Component, "resource": Resource}


def _clean_part_values(model: type, organization, values: Mapping[str, Any], *, partial: bool) -> dict:
    spec = PART_SPECS[model]
    allowed = (
        set(spec["text"]) | set(spec["terms"]) | set(spec["bools"]) | ({"supplier"} if model is Component else set())
    )
    unknown = set(values) - allowed
    if unknown:
        raise ServiceError(f"unknown field(s): {', '.join(sorted(unknown))}")
    cleaned: dict[str, Any] = {}
    for field, limit in spec["text"].items():
        if field in values or (not partial and field in spec["required"]):
            text = (values.get(field) or "").strip()
            if field in spec["required"] and not text:
                raise ServiceError(f"{field} is required", field=field)
            if len(text) > limit:
                raise ServiceError(f"{field} is longer than {limit} characters", field=field)
            cleaned[field] = text
    if "uri" in cleaned:
        cleaned["uri"] = check_location(cleaned["uri"], "uri", label="location")  # shown as text, still never file:
    for field, terms in spec["terms"].items():
        if field in values:
            value = (values[field] or "").strip()
            if value not in vocabulary().keys(terms):
                raise ServiceError(
                    f"unknown {field} {value!r}; use one of {', '.join(sorted(vocabulary().keys(terms)))}", field=field
                )
            cleaned[field] = value
    for field in spec["bools"]:
        if field in values:
            cleaned[field] = bool(values[field])
    if "supplier" in values:
        supplier = values["supplier"]
        if supplier is not None and supplier.organization_id != organization.pk:
            raise ServiceError("the supplier belongs to another organization", field="supplier")
        cleaned["supplier"] = supplier
    return cleaned


def _label(model) -> str:
    return model._meta.verbose_name


def part_create(*, actor: Tenant, system: AISystem, kind: str, origin: tuple[str, str] | None = None, **values):
    """Add a model, dataset, third-party component or resource to a system.

    `kind` names the part (model | dataset | component | resource); a component's or resource's own
    type is its `category` field (vocabulary component_kinds / resource_kinds). `origin` is a model's
    (source, external_id) when a registry sync brings it in, e.g. ("mlflow", "mlflow:...#name/3").
    """
    model = PART_CLASSES.get(kind)
    if model is None:
        raise ServiceError(f"unknown part kind {kind!r}; use one of {', '.join(PART_CLASSES)}")
    cleaned = _clean_part_values(model, system.organization, values, partial=False)
    origin_values = {}
    if origin is not None:
        if model is not AIModel:
            raise ServiceError("only models come from a registry sync", field="origin")
        origin_values = {"source": origin[0], "external_id": origin[1]}
    with transaction.atomic():
        if (
            model is AIModel
            and AIModel.objects.filter(system=system, name=cleaned["name"], version=cleaned.get("version", "")).exists()
        ):
            raise Conflict(
                f"{system.ref} already has model {cleaned['name']} {cleaned.get('version', '')}".strip(),
                field="version",
            )
        part = model.objects.create(organization=system.organization, system=system, **cleaned, **origin_values)
        system_mark_changed(system=system, reason=f"{kind} added")
        record_event(
            actor=actor,
            organization=system.organization,
            obj=part,
            action=Action.CREATE,
            changes=diff({}, {"system": system.ref, **state(part, model.AUDITED_FIELDS), **origin_values}),
        )
    return part


def part_update(*, actor: Tenant, part, **values):
    model = type(part)
    cleaned = _clean_part_values(model, part.organization, values, partial=True)
    with transaction.atomic():
        before = state(part, model.AUDITED_FIELDS)
        for field, value in cleaned.items():
            setattr(part, field, value)
        changes = diff(before, state(part, model.AUDITED_FIELDS))
        if not changes:
            return part
        if (
            model is AIModel
            and AIModel.objects.filter(system_id=part.system_id, name=part.name, version=part.version)
            .exclude(pk=part.pk)
            .exists()
        ):
            raise Conflict(f"the system already has model {part.name} {part.version}".strip(), field="version")
        part.updated_at = timezone.now()
        part.save()
        system_mark_changed(system=part.system, reason="part changed")
        record_event(actor=actor, organization=part.organization, obj=part, action=Action.UPDATE, changes=changes)
    return part


def part_delete(*, actor: Tenant, part) -> None:
    model = type(part)
    with transaction.atomic():
        system_mark_changed(system=part.system, reason="part removed")
        record_event(
            actor=actor,
            organization=part.organization,
            obj=part,
            action=Action.DELETE,
            changes=diff({"system": part.system.ref, **state(part, model.AUDITED_FIELDS)}, {}),
        )
        part.delete()


# --- suppliers -----------------------------------------------------------------------------------

SUPPLIER_TEXT = {"name": 200, "description": 20_000, "contact": 200, "contract_ref": 200}


def _clean_supplier(values: Mapping[str, Any], *, partial: bool) -> dict:
    unknown = set(values) - {*SUPPLIER_TEXT, "contract_ends"}
    if unknown:
        raise ServiceError(f"unknown field(s): {', '.join(sorted(unknown))}")
    cleaned: dict[str, Any] = {}
    for field, limit in SUPPLIER_TEXT.items():
        if field in values or (not partial and field == "name"):
            text = (values.get(field) or "").strip()
            if field == "name" and not text:
                raise ServiceError("a supplier needs a name", field="name")
            if len(text) > limit:
                raise ServiceError(f"{field} is longer than {limit} characters", field=field)
            cleaned[field] = text
    if "contract_ends" in values:
        cleaned["contract_ends"] = values["contract_ends"] or None
    return cleaned


def supplier_create(*, actor: Tenant, **values) -> Supplier:
    """Record a supplier of AI components or services (A.10.3)."""
    organization = actor.organization
    cleaned = _clean_supplier(values, partial=False)
    with transaction.atomic():
        if Supplier.objects.filter(organization=organization, name__iexact=cleaned["name"]).exists():
            raise Conflict(f"a supplier named {cleaned['name']!r} exists", field="name")
        supplier = Supplier.objects.create(organization=organization, **cleaned)
        record_event(
            actor=actor,
            organization=organization,
            obj=supplier,
            action=Action.CREATE,
            changes=diff({}, state(supplier, Supplier.AUDITED_FIELDS)),
        )
    return supplier


def supplier_update(*, actor: Tenant, supplier: Supplier, **values) -> Supplier:
    cleaned = _clean_supplier(values, partial=True)
    with transaction.atomic():
        if (
            "name" in cleaned
            and Supplier.objects.filter(organization=supplier.organization, name__iexact=cleaned["name"])
            .exclude(pk=supplier.pk)
            .exists()
        ):
            raise Conflict(f"a supplier named {cleaned['name']!r} exists", field="name")
        before = state(supplier, Supplier.AUDITED_FIELDS)
        for field, value in cleaned.items():
            setattr(supplier, field, value)
        changes = diff(before, state(supplier, Supplier.AUDITED_FIELDS))
        if changes:
            supplier.updated_at = timezone.now()
            supplier.save()
            record_event(
                actor=actor, organization=supplier.organization, obj=supplier, action=Action.UPDATE, changes=changes
            )
    return supplier


def supplier_delete(*, actor: Tenant, supplier: Supplier) -> None:
    with transaction.atomic():
        used = Component.objects.filter(supplier=supplier).count()
        if used:
            raise Conflict(f"{supplier.name} supplies {used} component(s); reassign or remove them first")
        record_event(
            actor=actor,
            organization=supplier.organization,
            obj=supplier,
            action=Action.DELETE,
            changes=diff(state(supplier, ("name",)), {}),
        )
        supplier.delete()
