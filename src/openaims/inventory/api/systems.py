"""The AI system register over the API (A.4.2, A.6): list, register, read, change, delete; controls that apply.

Pipelines register systems here and then their models (see api/parts.py). The life-cycle stage and
the risk class are not written here: the transition and classification endpoints own them.
"""

from __future__ import annotations

import re
from typing import Literal

from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Lower
from django.http import Http404
from ninja import Query, Router, Status

from openaims.api.auth import tenant_for
from openaims.api.schemas import ERRORS, Page, paginate_queryset
from openaims.inventory import services
from openaims.inventory.access import get_system_for_tenant
from openaims.inventory.api.schemas import (
    ControlRefOut,
    SystemCreatedOut,
    SystemDetailOut,
    SystemIn,
    SystemOut,
    SystemPatch,
)
from openaims.inventory.control_links import control_links
from openaims.inventory.duplicates import similar_systems
from openaims.inventory.models import AISystem, RiskClass
from openaims.inventory.vocabulary import lifecycle, vocabulary
from openaims.lib.concurrency import if_match
from openaims.lib.errors import ServiceError
from openaims.tenancy.models import Tenant
from openaims.tenancy.roles import Perm
from openaims.tenancy.selectors import member_by_username

router = Router(tags=["inventory"])

# Least to most severe: "-risk_class" puts prohibited and high-risk systems first.
RISK_ORDER = [
    RiskClass.UNCLASSIFIED,
    RiskClass.MINIMAL,
    RiskClass.LIMITED_RISK,
    RiskClass.HIGH_RISK,
    RiskClass.PROHIBITED,
]
Sort = Literal[
    "ref", "-ref", "name", "-name", "stage", "-stage", "risk_class", "-risk_class",
    "criticality", "-criticality", "updated", "-updated",
]  # fmt: skip
SORT_PARAM = Query("ref", description="A column; prefix '-' for descending")
REF = re.compile(r"^\s*AIS-(\d+)\s*$", re.IGNORECASE)


# ------------------------------------------------------------------------------------------------ helpers


def _username(user) -> str | None:
    return user.get_username() if user is not None else None


def _values(tenant: Tenant, payload, fields: set[str]) -> dict:
    """The payload's given fields as service keywords: owners resolved to users, null text to empty."""
    values = {}
    for name in fields:
        value = getattr(payload, name)
        if name in services.OWNER_FIELDS:
            value = member_by_username(tenant.organization, value, field=name)
        elif value is None:
            value = ""
        values[name] = value
    return values


def _check_term(field: str, value: str, allowed: list[str]) -> str:
    if value not in allowed:
        raise ServiceError(f"unknown {field.replace('_', ' ')} {value!r}; use one of {', '.join(allowed)}", field=field)
    return value


def _rank(field: str, keys: list[str]) -> Case:
    """Sort a key column in the order its data file lists the keys (stages in life-cycle order, ...)."""
    return Case(*(When(**{field: key}, then=Value(i)) for i, key in enumerate(keys)), default=Value(len(keys)))


def _order(sort: str) -> list:
    column = sort.lstrip("-")
    if column == "ref":
        key = F("number")
    elif column == "name":
        key = Lower("name")
    elif column == "stage":
        key = _rank("stage", lifecycle().keys)
    elif column == "risk_class":
        key = _rank("risk_class", [str(value) for value in RISK_ORDER])
    elif column == "criticality":
        key = _rank("criticality", [term.key for term in vocabulary().criticality])
    else:
        key = F("updated_at")
    descending = sort.startswith("-")
    return [key.desc() if descending else key.asc(), F("number").desc() if descending else F("number").asc()]


def _system(system: AISystem) -> dict:
    return {
        "id": system.pk,
        "ref": system.ref,
        "name": system.name,
        "purpose": system.purpose,
        "role": system.role,
        "technique": system.technique,
        "criticality": system.criticality,
        "stage": system.stage,
        "risk_class": system.risk_class,
        "classification_stale": system.classification_stale,
        "business_owner": _username(system.business_owner),
        "technical_owner": _username(system.technical_owner),
        "version": system.version,
        "revision": system.revision,
        "updated_at": system.updated_at,
    }


def _control_ref(control) -> dict:
    return {
        "id": control.pk,
        "ref_id": control.ref_id,
        "title": control.title,
        "status": control.status,
        "applicability": control.applicability,
    }


def _linked_controls(system: AISystem) -> list[dict]:
    return [_control_ref(control) for control in control_links().for_system(system)]


def _system_detail(tenant: Tenant, pk: int) -> dict:
    system = get_system_for_tenant(tenant, pk)
    return {
        **_system(system),
        "number": system.number,
        **{field: getattr(system, field) for field in services.OPTIONAL_TEXT},
        "automation_level": system.automation_level,
        "oversight_mode": system.oversight_mode,
        "personal_data": system.personal_data,
        "parts": {
            "models": system.models.count(),
            "datasets": system.datasets.count(),
            "components": system.components.count(),
            "resources": system.resources.count(),
        },
        "controls": _linked_controls(system),
        "created_by": system.created_by.get_username() if system.created_by_id else "system",
        "created_at": system.created_at,
    }


def _duplicates(system: AISystem) -> list[dict]:
    found = similar_systems(system.organization, system.name, system.purpose, exclude_pk=system.pk, limit=5)
    return [
        {"system": {"id": other.pk, "ref": other.ref, "name": other.name}, "score": score, "reason": reason}
        for other, score, reason in found
    ]


# ----------------------------------------------------------------------------------------------- register


@router.get("/orgs/{org}/systems", response={200: Page[SystemOut], **ERRORS}, summary="The AI system register")
def systems_list(
    request,
    org: str,
    q: str = Query("", description="Words in the name or purpose, or a reference such as AIS-12"),
    stage: str = Query("", description="A life-cycle stage key"),
    risk_class: RiskClass | None = None,
    owner: str = Query("", description="Username of the business or technical owner; '-' for systems without"),
    role: str = Query("", description="The organization's role for the system (vocabulary key)"),
    technique: str = Query("", description="Vocabulary key"),
    criticality: str = Query("", description="Vocabulary key"),
    needs_reclassification: bool | None = Query(
        None, description="True: the classification is stale (an input changed since it was made)"
    ),
    sort: Sort = SORT_PARAM,
    page: int = 1,
    page_size: int = 100,
):
    tenant = tenant_for(request, org, Perm.READ)
    systems = AISystem.objects.for_organization(tenant.organization).select_related("business_owner", "technical_owner")
    if q:
        ref = REF.match(q)
        if ref:
            systems = systems.filter(number=int(ref.group(1)))
        else:
            systems = systems.filter(Q(name__icontains=q) | Q(purpose__icontains=q))
    if stage:
        systems = systems.filter(stage=_check_term("stage", stage, lifecycle().keys))
    if risk_class:
        systems = systems.filter(risk_class=risk_class)
    if owner == "-":
        systems = systems.filter(business_owner__isnull=True, technical_owner__isnull=True)
    elif owner:
        systems = systems.filter(Q(business_owner__username=owner) | Q(technical_owner__username=owner))
    for field, value in (("role", role), ("technique", technique), ("criticality", criticality)):
        if value:
            allowed = sorted(vocabulary().keys(services.SYSTEM_TERMS[field]))
            systems = systems.filter(**{field: _check_term(field, value, allowed)})
    if needs_reclassification is not None:
        systems = systems.filter(classification_stale=needs_reclassification)
    return paginate_queryset(systems.order_by(*_order(sort)), page, page_size, _system)


@router.post(
    "/orgs/{org}/systems",
    response={201: SystemCreatedOut, **ERRORS},
    summary="Register an AI system",
    description="Registers the system at the first life-cycle stage, unclassified. `duplicates` lists existing "
    "systems that look similar: a warning for the caller to review, the system is registered either way.",
)
def systems_create(request, org: str, payload: SystemIn):
    tenant = tenant_for(request, org, Perm.WRITE)
    given = payload.model_fields_set | {"name", "purpose", "role", "technique", "criticality"}
    system = services.system_create(actor=tenant, **_values(tenant, payload, given))
    return Status(201, {**_system_detail(tenant, system.pk), "duplicates": _duplicates(system)})


@router.get("/orgs/{org}/systems/{system_id}", response={200: SystemDetailOut, **ERRORS})
def systems_get(request, org: str, system_id: int):
    tenant = tenant_for(request, org, Perm.READ)
    return _system_detail(tenant, system_id)


@router.patch(
    "/orgs/{org}/systems/{system_id}",
    response={200: SystemDetailOut, **ERRORS},
    summary="Change register fields",
    description="Only the fields given change. `stage` and `risk_class` are refused (422): the life-cycle "
    "transition and the classification endpoints change them.",
)
def systems_update(request, org: str, system_id: int, payload: SystemPatch):
    tenant = tenant_for(request, org, Perm.WRITE)
    system = get_system_for_tenant(tenant, system_id)
    values = _values(tenant, payload, payload.model_fields_set)
    services.system_update(actor=tenant, system=system, expected_revision=if_match(request), **values)
    return _system_detail(tenant, system.pk)


@router.delete(
    "/orgs/{org}/systems/{system_id}",
    response={204: None, **ERRORS},
    summary="Delete an entry registered by mistake (only at the first stage; retire it otherwise)",
)
def systems_delete(request, org: str, system_id: int):
    tenant = tenant_for(request, org, Perm.WRITE)
    services.system_delete(actor=tenant, system=get_system_for_tenant(tenant, system_id))
    return Status(204, None)


# ----------------------------------------------------------------------------------------------- controls


@router.get(
    "/orgs/{org}/systems/{system_id}/controls",
    response={200: list[ControlRefOut], **ERRORS},
    summary="The controls that apply to this system",
)
def systems_controls(request, org: str, system_id: int):
    tenant = tenant_for(request, org, Perm.READ)
    return _linked_controls(get_system_for_tenant(tenant, system_id))


@router.put(
    "/orgs/{org}/systems/{system_id}/controls/{control_id}",
    response={200: ControlRefOut, 201: ControlRefOut, **ERRORS},
    summary="Record that a control applies to this system (201 linked, 200 already linked)",
)
def systems_link_control(request, org: str, system_id: int, control_id: int):
    tenant = tenant_for(request, org, Perm.WRITE)
    system = get_system_for_tenant(tenant, system_id)
    links = control_links()
    control = links.get_for_tenant(tenant, control_id)
    _link, created = links.link(actor=tenant, control=control, system=system)
    return Status(201 if created else 200, _control_ref(control))


@router.delete(
    "/orgs/{org}/systems/{system_id}/controls/{control_id}",
    response={204: None, **ERRORS},
    summary="The control no longer applies to this system",
)
def systems_unlink_control(request, org: str, system_id: int, control_id: int):
    tenant = tenant_for(request, org, Perm.WRITE)
    system = get_system_for_tenant(tenant, system_id)
    links = control_links()
    control = links.get_for_tenant(tenant, control_id)
    if not links.unlink(actor=tenant, control=control, system=system):
        raise Http404("This control is not linked to that system")
    return Status(204, None)
