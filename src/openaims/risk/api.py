"""The AI risk register over the API: risks, assessments, acceptance, treatment actions, the controls a
treatment selects (6.1.2, 6.1.3, 8.2, 8.3), the heat map, and the risk criteria versions (6.1.1).

Filters of the list and the heat map are the register page's (`selectors.RegisterFilter`), so a URL's
query string means the same on the page and here.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from django.db.models import Prefetch
from django.http import Http404
from ninja import Query, Router, Schema, Status
from pydantic import Field

from openaims.api.auth import tenant_for
from openaims.api.schemas import Error, Page, paginate_queryset
from openaims.catalog.models import CatalogNode
from openaims.controls.access import get_control_for_tenant
from openaims.inventory.models import AISystem
from openaims.lib.errors import ServiceError
from openaims.risk import selectors, services
from openaims.risk.access import get_action_for_tenant, get_criteria_for_tenant, get_risk_for_tenant
from openaims.risk.criteria import CriteriaData
from openaims.risk.models import (
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
from openaims.tenancy.models import Membership, Tenant
from openaims.tenancy.roles import Perm

router = Router(tags=["risks"])
ERRORS = {400: Error, 401: Error, 403: Error, 404: Error, 409: Error, 413: Error, 422: Error}
TEXT = 20_000


# ------------------------------------------------------------------------------------------------ schemas


class SelectedControlOut(Schema):
    id: int
    ref_id: str
    title: str


class SystemRefOut(Schema):
    id: int
    number: int
    ref: str = Field(..., description="AIS-<number>")
    name: str


class NodeRefOut(Schema):
    urn: str
    ref_id: str
    title: str


class ScoreOut(Schema):
    likelihood: int
    consequence: int = Field(..., description="The highest of `consequences`: the one the level comes from")
    consequences: dict[str, int] = Field(
        ..., description="Consequence per dimension of the criteria (organization, individuals, societies …)"
    )
    level: str = Field(..., description="Level key under the risk's criteria version, e.g. 'high'")


class RiskOut(Schema):
    id: int
    number: int | None
    ref: str
    title: str
    description: str
    owner: str | None
    status: RiskStatus
    organization_wide: bool = Field(..., description="True when the risk names no AI system")
    systems: list[SystemRefOut]
    sources: list[NodeRefOut] = Field(..., description="Catalog risk sources, e.g. ISO/IEC 42001 C.3.x")
    other_sources: str
    objectives: list[NodeRefOut] = Field(..., description="Catalog objectives, e.g. ISO/IEC 42001 C.2.x")
    other_objectives: str
    existing_controls: str
    inherent: ScoreOut | None
    treatment_option: TreatmentOption | Literal[""]
    treatment_plan: str
    residual: ScoreOut | None
    derived_from: str = Field(..., description="Set when the latest assessment was carried over from an impact")
    reassessment_suggested: bool = Field(
        ..., description="A linked AI system changed significantly (stage, purpose, intended use, models, datasets)"
    )
    criteria_version: int | None = Field(..., description="The criteria version of the latest assessment")
    assessed_at: datetime | None
    review_date: date | None
    review_overdue: bool
    created_by: str
    created_at: datetime
    updated_at: datetime
    controls: list[SelectedControlOut] = Field(..., description="Controls the risk's treatment selects")


class ActionOut(Schema):
    id: int
    title: str
    description: str
    owner: str | None
    due_date: date | None
    status: ActionStatus
    overdue: bool
    completed_at: datetime | None
    created_by: str
    created_at: datetime


class AssessmentOut(Schema):
    id: int
    criteria_version: int
    inherent: ScoreOut
    treatment_option: TreatmentOption | Literal[""]
    residual: ScoreOut | None
    derived_from: str
    note: str
    assessed_by: str
    assessed_at: datetime


class AcceptanceOut(Schema):
    id: int
    accepted_by: str
    accepted_role: str
    accepted_at: datetime
    residual: ScoreOut
    within_appetite: bool
    criteria_version: int
    note: str
    current: bool
    revoked_at: datetime | None
    revoked_reason: str


class RiskDetailOut(RiskOut):
    actions: list[ActionOut]
    assessments: list[AssessmentOut] = Field(..., description="Newest first: the trend of the scores")
    acceptances: list[AcceptanceOut] = Field(..., description="Newest first; at most one is current")


class RiskIn(Schema):
    title: str = Field(..., min_length=1, max_length=200)
    description: str = Field("", max_length=TEXT)
    owner: str | None = Field(None, description="Username of a member of the organization")
    systems: list[int] = Field([], description="AI system numbers (AIS-<n>); none: organization-wide")
    sources: list[str] = Field([], description="URNs of catalog risk sources, e.g. urn:openaims:iso42001-2023:c.3.4")
    objectives: list[str] = Field([], description="URNs of catalog objectives, e.g. urn:openaims:iso42001-2023:c.2.5")
    other_sources: str = Field("", max_length=TEXT)
    other_objectives: str = Field("", max_length=TEXT)
    existing_controls: str = Field("", max_length=TEXT)
    treatment_plan: str = Field("", max_length=TEXT)
    review_date: date | None = None


class RiskPatch(Schema):
    title: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=TEXT)
    owner: str | None = Field(None, description="Username of a member; null or empty clears the owner")
    systems: list[int] | None = None
    sources: list[str] | None = None
    objectives: list[str] | None = None
    other_sources: str | None = Field(None, max_length=TEXT)
    other_objectives: str | None = Field(None, max_length=TEXT)
    existing_controls: str | None = Field(None, max_length=TEXT)
    treatment_plan: str | None = Field(None, max_length=TEXT)
    review_date: date | None = None


class AssessIn(Schema):
    """Consequences per dimension (`*_consequences`), or one value (`*_consequence`) that holds for all of them."""

    inherent_likelihood: int = Field(..., ge=1, le=10)
    inherent_consequence: int | None = Field(None, ge=1, le=10, description="One value for every dimension")
    inherent_consequences: dict[str, int] | None = Field(
        None, description="{dimension key: value}, every dimension of the criteria in force"
    )
    treatment_option: TreatmentOption | None = None
    residual_likelihood: int | None = Field(None, ge=1, le=10)
    residual_consequence: int | None = Field(None, ge=1, le=10, description="One value for every dimension")
    residual_consequences: dict[str, int] | None = None
    review_date: date | None = Field(None, description="Next review; unchanged when omitted")
    note: str = Field("", max_length=TEXT)


class AcceptIn(Schema):
    note: str = Field("", max_length=TEXT)


class CloseIn(Schema):
    reason: str = Field("", max_length=TEXT)


class ActionIn(Schema):
    title: str = Field(..., min_length=1, max_length=200)
    description: str = Field("", max_length=TEXT)
    owner: str | None = None
    due_date: date | None = None
    status: ActionStatus = ActionStatus.PLANNED


class ActionPatch(Schema):
    title: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=TEXT)
    owner: str | None = None
    due_date: date | None = None
    status: ActionStatus | None = None


class RegisterQuery(Schema):
    q: str = Field("", description="Words in the title or description, or a number (R-12)")
    status: str = Field("", description="identified, assessed, accepted, closed, 'all'; default: every open risk")
    inherent: str = Field("", description="Inherent level key, e.g. high")
    residual: str = Field("", description="Residual level key")
    treatment: str = Field("", description="modify, avoid, share, retain, or 'none'")
    owner: str = Field("", description="Username, or 'none'")
    system: str = Field("", description="AI system number (AIS-<n>)")
    overdue: bool = Field(False, description="Only risks whose review date has passed")
    stale: bool = Field(False, description="Only risks assessed under an older criteria version")
    reassess: bool = Field(False, description="Only risks whose linked AI system changed significantly since")
    il: int | None = Field(None, description="Inherent likelihood (with ic: one heat-map cell)")
    ic: int | None = None
    rl: int | None = Field(None, description="Residual likelihood (with rc: one heat-map cell)")
    rc: int | None = None
    sort: str = Field("", description="residual (default), inherent, ref, -ref, title, review, updated")


class ScaleLevelOut(Schema):
    value: int
    name: str
    description: str


class HeatmapGridOut(Schema):
    cells: list[dict]
    total: int
    outside_scale: int = Field(..., description="Risks scored on a scale the criteria in force no longer have")


class HeatmapOut(Schema):
    criteria_version: int | None = Field(..., description="Null while the organization uses the shipped default")
    likelihood: list[ScaleLevelOut]
    consequence: list[ScaleLevelOut]
    inherent: HeatmapGridOut
    residual: HeatmapGridOut


class CriteriaOut(Schema):
    number: int | None = Field(..., description="Null: the shipped default, not yet adopted by the organization")
    status: Literal["published", "draft", "default"]
    in_force: bool
    criteria: CriteriaData
    content_hash: str
    note: str
    created_by: str | None
    created_at: datetime | None
    published_by: str | None
    published_at: datetime | None


class CriteriaVersionOut(Schema):
    number: int
    status: Literal["published", "draft"]
    in_force: bool
    content_hash: str
    note: str
    created_by: str
    created_at: datetime
    published_by: str | None
    published_at: datetime | None


class CriteriaDraftIn(Schema):
    criteria: CriteriaData
    note: str = Field("", max_length=TEXT, description="What changed and why")


# ---------------------------------------------------------------------------------------------- helpers


def _member(tenant: Tenant, username: str | None, field: str):
    """The member with this username, None for an empty value; anyone else is a 400 on `field`."""
    if not username:
        return None
    membership = (
        Membership.objects.select_related("user")
        .filter(organization=tenant.organization, user__username=username)
        .first()
    )
    if membership is None:
        raise ServiceError(f"{username!r} is not a member of this organization", field=field)
    return membership.user


def _systems(tenant: Tenant, numbers: list[int]) -> list[AISystem]:
    numbers = list(dict.fromkeys(numbers))
    found = {s.number: s for s in AISystem.objects.filter(organization=tenant.organization, number__in=numbers)}
    missing = [n for n in numbers if n not in found]
    if missing:
        raise ServiceError(f"no AI system AIS-{missing[0]} in this organization", field="systems")
    return [found[n] for n in numbers]


def _nodes(urns: list[str], field: str) -> list[CatalogNode]:
    urns = list(dict.fromkeys(urns))
    found = {n.urn: n for n in CatalogNode.objects.filter(urn__in=urns)}
    missing = [u for u in urns if u not in found]
    if missing:
        raise ServiceError(f"no catalog item {missing[0]}", field=field)
    return [found[u] for u in urns]


def _risks(tenant: Tenant):
    return (
        Risk.objects.for_organization(tenant.organization)
        .annotate(reassessment_suggested=selectors.reassessment_suggested(tenant.organization))
        .select_related("owner", "created_by", "criteria")
        .defer("criteria__content")
        .prefetch_related(
            Prefetch(
                "control_links",
                queryset=RiskControl.objects.select_related("control").order_by("control__order", "control__ref_id"),
            ),
            Prefetch("system_links", queryset=RiskSystem.objects.select_related("system").order_by("system__number")),
            Prefetch("source_links", queryset=RiskSource.objects.select_related("node").order_by("node__order")),
            Prefetch("objective_links", queryset=RiskObjective.objects.select_related("node").order_by("node__order")),
        )
    )


def _get_risk(tenant: Tenant, pk: int) -> Risk:
    risk = _risks(tenant).filter(pk=pk).first()
    if risk is None:
        raise Http404("No such risk")
    return risk


def _score(likelihood, consequence, consequences, level) -> dict | None:
    if likelihood is None:
        return None
    return {"likelihood": likelihood, "consequence": consequence, "consequences": consequences, "level": level}


def _node(node: CatalogNode) -> dict:
    return {"urn": node.urn, "ref_id": node.ref_id, "title": node.title}


def _risk(risk: Risk) -> dict:
    systems = [link.system for link in risk.system_links.all()]
    return {
        "id": risk.pk,
        "number": risk.number,
        "ref": risk.ref,
        "title": risk.title,
        "description": risk.description,
        "owner": risk.owner.get_username() if risk.owner_id else None,
        "status": risk.status,
        "organization_wide": not systems,
        "systems": [{"id": s.pk, "number": s.number, "ref": s.ref, "name": s.name} for s in systems],
        "sources": [_node(link.node) for link in risk.source_links.all()],
        "other_sources": risk.other_sources,
        "objectives": [_node(link.node) for link in risk.objective_links.all()],
        "other_objectives": risk.other_objectives,
        "existing_controls": risk.existing_controls,
        "inherent": _score(
            risk.inherent_likelihood, risk.inherent_consequence, risk.inherent_consequences, risk.inherent_level
        ),
        "treatment_option": risk.treatment_option,
        "treatment_plan": risk.treatment_plan,
        "residual": _score(
            risk.residual_likelihood, risk.residual_consequence, risk.residual_consequences, risk.residual_level
        ),
        "derived_from": risk.derived_from,
        "reassessment_suggested": bool(getattr(risk, "reassessment_suggested", False)),
        "criteria_version": risk.criteria.number if risk.criteria_id else None,
        "assessed_at": risk.assessed_at,
        "review_date": risk.review_date,
        "review_overdue": risk.review_overdue(),
        "created_by": risk.created_by.get_username(),
        "created_at": risk.created_at,
        "updated_at": risk.updated_at,
        "controls": [
            {"id": link.control.pk, "ref_id": link.control.ref_id, "title": link.control.title}
            for link in risk.control_links.all()
        ],
    }


def _action(action: TreatmentAction) -> dict:
    return {
        "id": action.pk,
        "title": action.title,
        "description": action.description,
        "owner": action.owner.get_username() if action.owner_id else None,
        "due_date": action.due_date,
        "status": action.status,
        "overdue": action.overdue(),
        "completed_at": action.completed_at,
        "created_by": action.created_by.get_username(),
        "created_at": action.created_at,
    }


def _risk_detail(tenant: Tenant, pk: int) -> dict:
    risk = _get_risk(tenant, pk)
    out = _risk(risk)
    out["actions"] = [
        _action(a) for a in TreatmentAction.objects.filter(risk=risk).select_related("owner", "created_by")
    ]
    out["assessments"] = [
        {
            "id": a.pk,
            "criteria_version": a.criteria.number,
            "inherent": _score(
                a.inherent_likelihood, a.inherent_consequence, a.inherent_consequences, a.inherent_level
            ),
            "treatment_option": a.treatment_option,
            "residual": _score(
                a.residual_likelihood, a.residual_consequence, a.residual_consequences, a.residual_level
            ),
            "derived_from": a.derived_from,
            "note": a.note,
            "assessed_by": a.assessed_by.get_username(),
            "assessed_at": a.assessed_at,
        }
        for a in risk.assessments.select_related("criteria", "assessed_by").defer("criteria__content")
    ]
    out["acceptances"] = [
        {
            "id": a.pk,
            "accepted_by": a.accepted_by.get_username(),
            "accepted_role": a.accepted_role,
            "accepted_at": a.accepted_at,
            "residual": _score(
                a.residual_likelihood, a.residual_consequence, a.residual_consequences, a.residual_level
            ),
            "within_appetite": a.within_appetite,
            "criteria_version": a.criteria.number,
            "note": a.note,
            "current": a.is_current,
            "revoked_at": a.revoked_at,
            "revoked_reason": a.revoked_reason,
        }
        for a in RiskAcceptance.objects.filter(risk=risk)
        .select_related("criteria", "accepted_by")
        .defer("criteria__content")
    ]
    return out


def _filter(tenant: Tenant, query: RegisterQuery) -> tuple[selectors.RegisterFilter, int | None]:
    flt = selectors.RegisterFilter.from_query(
        {
            key: ("1" if value is True else "" if value in (None, False) else value)
            for key, value in query.model_dump().items()
        }
    )
    current = services.current_criteria(tenant.organization)
    return flt, (current.pk if current else None)


def _risk_values(tenant: Tenant, payload, given: set[str]) -> dict:
    values = {}
    for name in (
        "title",
        "description",
        "other_sources",
        "other_objectives",
        "existing_controls",
        "treatment_plan",
        "review_date",
    ):
        if name in given and (getattr(payload, name) is not None or name == "review_date"):
            values[name] = getattr(payload, name)
    if "owner" in given:
        values["owner"] = _member(tenant, payload.owner, "owner")
    if "systems" in given and payload.systems is not None:
        values["systems"] = _systems(tenant, payload.systems)
    for name in ("sources", "objectives"):
        if name in given and getattr(payload, name) is not None:
            values[name] = _nodes(getattr(payload, name), name)
    return values


# ------------------------------------------------------------------------------------------------ risks


@router.get("/orgs/{org}/risks", response={200: Page[RiskOut], **ERRORS})
def risks_list(request, org: str, filters: Query[RegisterQuery], page: int = 1, page_size: int = 100):
    """The register, filtered and sorted like the register page."""
    tenant = tenant_for(request, org, Perm.READ)
    flt, current_id = _filter(tenant, filters)
    risks = flt.apply(_risks(tenant), organization=tenant.organization, current_id=current_id)
    return paginate_queryset(risks.order_by(*selectors.SORTS[flt.sort]), page, page_size, _risk)


@router.post("/orgs/{org}/risks", response={201: RiskDetailOut, **ERRORS})
def risks_create(request, org: str, payload: RiskIn):
    tenant = tenant_for(request, org, Perm.WRITE)
    values = _risk_values(tenant, payload, payload.model_fields_set | {"title"})
    risk = services.risk_create(actor=tenant.user, organization=tenant.organization, **values)
    return Status(201, _risk_detail(tenant, risk.pk))


@router.get("/orgs/{org}/risks/heatmap", response={200: HeatmapOut, **ERRORS})
def risks_heatmap(request, org: str, filters: Query[RegisterQuery]):
    """Risks per cell of likelihood and consequence, inherent and residual, under the criteria in force."""
    tenant = tenant_for(request, org, Perm.READ)
    flt, current_id = _filter(tenant, filters)
    version, data = selectors.criteria_in_force(tenant.organization)
    grids = selectors.heatmap(tenant.organization, data, flt, current_id=current_id)
    return {
        "criteria_version": version.number if version else None,
        "likelihood": [level.model_dump() for level in data.likelihood],
        "consequence": [level.model_dump() for level in data.consequence],
        **selectors.heatmap_counts(grids),
    }


@router.get("/orgs/{org}/risks/{risk_id}", response={200: RiskDetailOut, **ERRORS})
def risks_get(request, org: str, risk_id: int):
    tenant = tenant_for(request, org, Perm.READ)
    return _risk_detail(tenant, risk_id)


@router.patch("/orgs/{org}/risks/{risk_id}", response={200: RiskDetailOut, **ERRORS})
def risks_update(request, org: str, risk_id: int, payload: RiskPatch):
    tenant = tenant_for(request, org, Perm.WRITE)
    risk = get_risk_for_tenant(tenant, risk_id)
    values = _risk_values(tenant, payload, payload.model_fields_set)
    services.risk_update(actor=tenant.user, risk=risk, **values)
    return _risk_detail(tenant, risk.pk)


@router.post(
    "/orgs/{org}/risks/{risk_id}/assessments",
    response={201: RiskDetailOut, **ERRORS},
    summary="(Re-)assess the risk under the criteria in force",
)
def risks_assess(request, org: str, risk_id: int, payload: AssessIn):
    tenant = tenant_for(request, org, Perm.WRITE)
    risk = get_risk_for_tenant(tenant, risk_id)
    services.risk_assess(
        actor=tenant.user,
        risk=risk,
        inherent_likelihood=payload.inherent_likelihood,
        inherent_consequence=payload.inherent_consequence,
        inherent_consequences=payload.inherent_consequences,
        treatment_option=payload.treatment_option.value if payload.treatment_option else "",
        residual_likelihood=payload.residual_likelihood,
        residual_consequence=payload.residual_consequence,
        residual_consequences=payload.residual_consequences,
        review_date=payload.review_date,
        note=payload.note,
    )
    return Status(201, _risk_detail(tenant, risk.pk))


@router.post(
    "/orgs/{org}/risks/{risk_id}/acceptance",
    response={201: RiskDetailOut, **ERRORS},
    summary="The risk owner accepts the residual risk",
)
def risks_accept(request, org: str, risk_id: int, payload: AcceptIn):
    """Only the risk owner, not the risk's author, with the role the criteria name for the residual level."""
    tenant = tenant_for(request, org, Perm.WRITE)
    risk = get_risk_for_tenant(tenant, risk_id)
    services.risk_accept(actor=tenant.user, risk=risk, note=payload.note, role=tenant.role)
    return Status(201, _risk_detail(tenant, risk.pk))


@router.post("/orgs/{org}/risks/{risk_id}/close", response={200: RiskDetailOut, **ERRORS})
def risks_close(request, org: str, risk_id: int, payload: CloseIn):
    tenant = tenant_for(request, org, Perm.WRITE)
    risk = get_risk_for_tenant(tenant, risk_id)
    services.risk_close(actor=tenant.user, risk=risk, reason=payload.reason)
    return _risk_detail(tenant, risk.pk)


@router.post("/orgs/{org}/risks/{risk_id}/reopen", response={200: RiskDetailOut, **ERRORS})
def risks_reopen(request, org: str, risk_id: int):
    tenant = tenant_for(request, org, Perm.WRITE)
    risk = get_risk_for_tenant(tenant, risk_id)
    services.risk_reopen(actor=tenant.user, risk=risk)
    return _risk_detail(tenant, risk.pk)


# ---------------------------------------------------------------------------------- treatment actions


@router.get("/orgs/{org}/risks/{risk_id}/actions", response={200: list[ActionOut], **ERRORS})
def actions_list(request, org: str, risk_id: int):
    tenant = tenant_for(request, org, Perm.READ)
    risk = get_risk_for_tenant(tenant, risk_id)
    return [_action(a) for a in TreatmentAction.objects.filter(risk=risk).select_related("owner", "created_by")]


@router.post("/orgs/{org}/risks/{risk_id}/actions", response={201: ActionOut, **ERRORS})
def actions_create(request, org: str, risk_id: int, payload: ActionIn):
    tenant = tenant_for(request, org, Perm.WRITE)
    risk = get_risk_for_tenant(tenant, risk_id)
    action = services.treatment_action_create(
        actor=tenant.user,
        risk=risk,
        title=payload.title,
        description=payload.description,
        owner=_member(tenant, payload.owner, "owner"),
        due_date=payload.due_date,
        status=payload.status.value,
    )
    return Status(201, _action(get_action_for_tenant(tenant, risk, action.pk)))


@router.patch("/orgs/{org}/risks/{risk_id}/actions/{action_id}", response={200: ActionOut, **ERRORS})
def actions_update(request, org: str, risk_id: int, action_id: int, payload: ActionPatch):
    tenant = tenant_for(request, org, Perm.WRITE)
    risk = get_risk_for_tenant(tenant, risk_id)
    action = get_action_for_tenant(tenant, risk, action_id)
    given = payload.model_fields_set
    values = {}
    for name in ("title", "description"):
        if name in given and getattr(payload, name) is not None:
            values[name] = getattr(payload, name)
    if "due_date" in given:
        values["due_date"] = payload.due_date
    if "status" in given and payload.status is not None:
        values["status"] = payload.status.value
    if "owner" in given:
        values["owner"] = _member(tenant, payload.owner, "owner")
    services.treatment_action_update(actor=tenant.user, action=action, **values)
    return _action(get_action_for_tenant(tenant, risk, action.pk))


@router.delete("/orgs/{org}/risks/{risk_id}/actions/{action_id}", response={204: None, **ERRORS})
def actions_delete(request, org: str, risk_id: int, action_id: int):
    tenant = tenant_for(request, org, Perm.WRITE)
    risk = get_risk_for_tenant(tenant, risk_id)
    action = get_action_for_tenant(tenant, risk, action_id)
    services.treatment_action_delete(actor=tenant.user, action=action)
    return Status(204, None)


# ------------------------------------------------------------------------------- selected controls


@router.post(
    "/orgs/{org}/risks/{risk_id}/controls/{control_id}",
    response={200: RiskOut, 201: RiskOut, **ERRORS},
    summary="The risk's treatment selects this control",
)
def risks_select_control(request, org: str, risk_id: int, control_id: int):
    tenant = tenant_for(request, org, Perm.WRITE)
    risk = _get_risk(tenant, risk_id)
    control = get_control_for_tenant(tenant, control_id)
    existed = RiskControl.objects.filter(risk=risk, control=control).exists()
    services.risk_select_control(actor=tenant.user, risk=risk, control=control)
    return Status(200 if existed else 201, _risk(_get_risk(tenant, risk.pk)))


@router.delete(
    "/orgs/{org}/risks/{risk_id}/controls/{control_id}",
    response={204: None, **ERRORS},
    summary="The risk's treatment no longer selects this control",
)
def risks_deselect_control(request, org: str, risk_id: int, control_id: int):
    tenant = tenant_for(request, org, Perm.WRITE)
    risk = _get_risk(tenant, risk_id)
    control = get_control_for_tenant(tenant, control_id)
    if not RiskControl.objects.filter(risk=risk, control=control).exists():
        raise Http404("This risk's treatment does not select that control")
    services.risk_deselect_control(actor=tenant.user, risk=risk, control=control)
    return Status(204, None)


# ---------------------------------------------------------------------------------------- criteria


def _version_out(version: RiskCriteria, current_id: int | None) -> dict:
    return {
        "number": version.number,
        "status": "draft" if version.is_draft else "published",
        "in_force": version.pk == current_id,
        "content_hash": version.content_hash,
        "note": version.note,
        "created_by": version.created_by.get_username(),
        "created_at": version.created_at,
        "published_by": version.published_by.get_username() if version.published_by_id else None,
        "published_at": version.published_at,
    }


def _criteria_out(version: RiskCriteria, current_id: int | None) -> dict:
    return {**_version_out(version, current_id), "criteria": version.data}


@router.get("/orgs/{org}/risk-criteria", response={200: CriteriaOut, **ERRORS}, tags=["risk criteria"])
def criteria_get(request, org: str):
    """The criteria in force: the latest published version, or the shipped default before the first one."""
    tenant = tenant_for(request, org, Perm.READ)
    version, data = selectors.criteria_in_force(tenant.organization)
    if version is not None:
        return _criteria_out(version, version.pk)
    return {
        "number": None,
        "status": "default",
        "in_force": True,
        "criteria": data,
        "content_hash": data.content_hash(),
        "note": "The OpenAIMS default; it becomes version 1 on the organization's first assessment.",
        "created_by": None,
        "created_at": None,
        "published_by": None,
        "published_at": None,
    }


@router.get(
    "/orgs/{org}/risk-criteria/versions", response={200: list[CriteriaVersionOut], **ERRORS}, tags=["risk criteria"]
)
def criteria_versions(request, org: str):
    tenant = tenant_for(request, org, Perm.READ)
    current = services.current_criteria(tenant.organization)
    current_id = current.pk if current else None
    return [_version_out(v, current_id) for v in selectors.criteria_versions(tenant.organization)]


@router.get(
    "/orgs/{org}/risk-criteria/versions/{number}", response={200: CriteriaOut, **ERRORS}, tags=["risk criteria"]
)
def criteria_version(request, org: str, number: int):
    tenant = tenant_for(request, org, Perm.READ)
    version = get_criteria_for_tenant(tenant, number)
    current = services.current_criteria(tenant.organization)
    return _criteria_out(version, current.pk if current else None)


@router.put(
    "/orgs/{org}/risk-criteria/draft",
    response={200: CriteriaOut, **ERRORS},
    tags=["risk criteria"],
    summary="Create or replace the draft of the next criteria version",
)
def criteria_draft_save(request, org: str, payload: CriteriaDraftIn):
    tenant = tenant_for(request, org, Perm.APPROVE)
    draft = services.criteria_draft_save(
        actor=tenant.user, organization=tenant.organization, content=payload.criteria, note=payload.note
    )
    current = services.current_criteria(tenant.organization)
    return _criteria_out(get_criteria_for_tenant(tenant, draft.number), current.pk if current else None)


@router.delete(
    "/orgs/{org}/risk-criteria/draft",
    response={204: None, **ERRORS},
    tags=["risk criteria"],
    summary="Discard the draft",
)
def criteria_draft_discard(request, org: str):
    tenant = tenant_for(request, org, Perm.APPROVE)
    services.criteria_draft_discard(actor=tenant.user, organization=tenant.organization)
    return Status(204, None)


@router.post(
    "/orgs/{org}/risk-criteria/draft/publish",
    response={201: CriteriaOut, **ERRORS},
    tags=["risk criteria"],
    summary="Publish the draft: it becomes the criteria in force",
)
def criteria_publish(request, org: str):
    tenant = tenant_for(request, org, Perm.APPROVE)
    version = services.criteria_publish(actor=tenant.user, organization=tenant.organization)
    return Status(201, _criteria_out(get_criteria_for_tenant(tenant, version.number), version.pk))
