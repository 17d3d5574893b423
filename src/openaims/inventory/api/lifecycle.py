"""Life-cycle gates (A.6.2): a system's gate evaluation, its transitions, and the organization's gate policy."""

from __future__ import annotations

from datetime import datetime

from ninja import Router, Schema, Status
from pydantic import Field

from openaims.api.auth import tenant_for
from openaims.api.schemas import ERRORS, ErrorBody, Page, paginate_queryset
from openaims.inventory.access import get_system_for_tenant
from openaims.inventory.lifecycle import transitions
from openaims.inventory.lifecycle.evaluation import GateStatus, evaluate_systems, next_stage
from openaims.inventory.lifecycle.items import registered_items
from openaims.inventory.lifecycle.policy import GatePolicyMap, gate_policy_for, gate_policy_update
from openaims.inventory.lifecycle.transitions import REASON_LIMIT, may_override
from openaims.inventory.models import StageTransition
from openaims.inventory.vocabulary import lifecycle
from openaims.lib.concurrency import if_match
from openaims.tenancy.roles import Perm

router = Router(tags=["life cycle"])


class MissingOut(Schema):
    key: str
    label: str
    detail: str


class GateRefusedBody(ErrorBody):
    missing: list[MissingOut] = Field([], description="The gate items that are not met (code gate_refused)")


class GateRefusedError(Schema):
    error: GateRefusedBody


class ItemOut(Schema):
    key: str
    label: str
    description: str
    available: bool = Field(..., description="False: no installed capability provides this item; it does not block")
    ok: bool
    detail: str
    condition: str = Field(..., description="e.g. 'Only for high-risk systems'; empty: asked of every system")
    applies: bool = Field(..., description="False: the condition does not hold for this system; it does not block")


class GateOut(Schema):
    stage: str
    label: str
    ready: bool = Field(..., description="True when no available item is missing")
    items: list[ItemOut]
    missing: list[MissingOut]


class StageOut(Schema):
    key: str
    label: str


class GatesOut(Schema):
    system_id: int
    stage: StageOut
    next_stage: StageOut | None
    next_gate: GateOut | None = Field(..., description="The gate of the next stage; null in the last stage")
    gates: list[GateOut] = Field(..., description="Every gated stage, in life-cycle order")
    can_override: bool = Field(..., description="Whether the caller may override a refused gate for this system")


class TransitionIn(Schema):
    to_stage: str = Field(..., min_length=1, max_length=40)
    override_reason: str = Field("", max_length=REASON_LIMIT, description="Needed to move despite missing items")


class TransitionOut(Schema):
    id: int
    system_id: int
    from_stage: str
    to_stage: str
    overridden: bool
    missing: list[MissingOut]
    override_reason: str
    actor: str
    created_at: datetime


class PolicyStageOut(Schema):
    stage: str
    label: str
    items: list[str]
    conditions: dict[str, dict[str, list[str]]] = Field(
        ..., description="{item key: {field: [values]}} for items asked only of some systems, e.g. risk_class"
    )


class PolicyEntryIn(Schema):
    item: str
    when: dict[str, list[str]] = Field({}, description='e.g. {"risk_class": ["high_risk"]}; {}: every system')


class AvailableItemOut(Schema):
    key: str
    label: str
    description: str


class PolicyOut(Schema):
    stages: list[PolicyStageOut]
    available_items: list[AvailableItemOut] = Field(..., description="Items installed capabilities provide")
    revision: int = Field(..., description="Counts the saved edits (0: the defaults apply); the ETag, for If-Match")


class PolicyIn(Schema):
    items: dict[str, list[str | PolicyEntryIn]] = Field(
        ...,
        description="{stage: [item key or {item, when}, ...]} for the gated stages; a stage left out asks for "
        "nothing. A bare key keeps the condition the stage has for it; {item, when: {}} removes it.",
    )


def _gate(status: GateStatus) -> dict:
    return {
        "stage": status.stage,
        "label": status.label,
        "ready": status.ready,
        "items": [
            {
                "key": i.key,
                "label": i.label,
                "description": i.description,
                "available": i.available,
                "ok": i.ok,
                "detail": i.detail,
                "condition": i.condition,
                "applies": i.applies,
            }
            for i in status.items
        ],
        "missing": status.missing,
    }


def _stage(key: str | None) -> dict | None:
    return {"key": key, "label": lifecycle().label(key)} if key else None


def _transition(row: StageTransition) -> dict:
    return {
        "id": row.pk,
        "system_id": row.system_id,
        "from_stage": row.from_stage,
        "to_stage": row.to_stage,
        "overridden": row.overridden,
        "missing": row.missing,
        "override_reason": row.override_reason,
        "actor": row.actor.get_username(),
        "created_at": row.created_at,
    }


def _policy(policy: GatePolicyMap) -> dict:
    return {
        "stages": [
            {"stage": s, "label": lifecycle().label(s), "items": keys, "conditions": policy.conditions.get(s, {})}
            for s, keys in policy.items()
        ],
        "available_items": [{"key": i.key, "label": i.label, "description": i.description} for i in registered_items()],
        "revision": policy.revision,
    }


@router.get(
    "/orgs/{org}/systems/{system_id}/gates",
    response={200: GatesOut, **ERRORS},
    summary="What each life-cycle gate asks of the system and what is missing",
)
def system_gates(request, org: str, system_id: int):
    tenant = tenant_for(request, org, Perm.READ)
    system = get_system_for_tenant(tenant, system_id)
    following = next_stage(system.stage)
    evaluated = evaluate_systems([system], policy=gate_policy_for(tenant.organization))[system.pk]
    return {
        "system_id": system.pk,
        "stage": _stage(system.stage),
        "next_stage": _stage(following),
        "next_gate": _gate(evaluated[following]) if following in evaluated else None,
        "gates": [_gate(status) for status in evaluated.values()],
        "can_override": may_override(tenant, system),
    }


@router.post(
    "/orgs/{org}/systems/{system_id}/transition",
    response={201: TransitionOut, **ERRORS, 409: GateRefusedError},
    summary="Move the system to another life-cycle stage",
    description="Forward one stage or to retirement passes that stage's gate; back to an earlier stage does not. "
    "With items missing the answer is 409 `gate_refused` listing them in `error.missing`; the organization's "
    "owner or the system's business owner may move anyway by giving `override_reason`.",
)
def system_transition(request, org: str, system_id: int, payload: TransitionIn):
    tenant = tenant_for(request, org, Perm.WRITE)
    system = get_system_for_tenant(tenant, system_id)
    row = transitions.system_transition(
        actor=tenant,
        system=system,
        to_stage=payload.to_stage,
        override_reason=payload.override_reason,
    )
    row.actor = tenant.person()
    return Status(201, _transition(row))


@router.get("/orgs/{org}/systems/{system_id}/transitions", response={200: Page[TransitionOut], **ERRORS})
def system_transitions(request, org: str, system_id: int, page: int = 1, page_size: int = 50):
    tenant = tenant_for(request, org, Perm.READ)
    system = get_system_for_tenant(tenant, system_id)
    rows = StageTransition.objects.filter(system=system).select_related("actor")
    return paginate_queryset(rows, page, page_size, _transition)


@router.get("/orgs/{org}/lifecycle/policy", response={200: PolicyOut, **ERRORS}, summary="The life-cycle gate policy")
def policy_get(request, org: str):
    tenant = tenant_for(request, org, Perm.READ)
    return _policy(gate_policy_for(tenant.organization))


@router.put("/orgs/{org}/lifecycle/policy", response={200: PolicyOut, **ERRORS}, summary="Set the gate policy")
def policy_put(request, org: str, payload: PolicyIn):
    tenant = tenant_for(request, org, Perm.APPROVE)
    policy = gate_policy_update(
        actor=tenant,
        items={
            stage: [e if isinstance(e, str) else e.model_dump() for e in entries]
            for stage, entries in payload.items.items()
        },
        expected_revision=if_match(request),
    )
    return _policy(policy)
