"""AI system impact assessments over the API (ISO/IEC 42001 8.4): list, create, read, update sections,
the workflow (submit, approve, return, new version) and the impacts of an assessment."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from ninja import Query, Router, Schema, Status
from pydantic import Field

from openaims.api.auth import tenant_for
from openaims.api.schemas import ERRORS, Date, Page, paginate_queryset
from openaims.impact import selectors, services
from openaims.impact.access import get_assessment_for_tenant, get_impact_for_tenant
from openaims.impact.models import Impact, ImpactAssessment, ImpactKind, Trigger
from openaims.impact.models import Status as AssessmentStatus
from openaims.inventory.access import get_system_for_tenant
from openaims.risk.access import get_risk_for_tenant
from openaims.tenancy.roles import Perm

router = Router(tags=["impact assessments"])
BASE = "/orgs/{org}/impact-assessments"


class ImpactOut(Schema):
    id: int
    kind: ImpactKind
    description: str
    affected_party: str
    vulnerable_group: bool
    severity: int
    likelihood: int
    reversibility: int
    scale: int
    level: str = Field(..., description="Rating on the impact scale, e.g. 'high'")
    measures: str
    residual_severity: int | None
    residual_likelihood: int | None
    residual_level: str
    risk_id: int | None = Field(..., description="The linked risk in the register")


class ImpactAssessmentOut(Schema):
    id: int
    system_id: int
    system_ref: str
    version: int
    status: AssessmentStatus
    trigger: Trigger
    template: str
    sector: str
    assessor: str
    submitted_at: datetime | None
    approver: str | None
    approved_at: datetime | None
    decision: str
    return_reason: str
    review_date: date | None
    content_hash: str
    review_needed: bool


class AssessmentDetailOut(ImpactAssessmentOut):
    sections: dict[str, str]
    fria_required: bool
    fria: dict[str, str]
    changed_since_approval: list[str]
    impacts: list[ImpactOut]


class AssessmentIn(Schema):
    system_id: int
    template: str = ""
    sector: str = ""
    trigger: Trigger = Trigger.NEW_SYSTEM


class AssessmentPatch(Schema):
    sections: dict[str, str] | None = None
    fria: dict[str, str] | None = None
    trigger: Trigger | None = None


class ApproveIn(Schema):
    decision: str
    review_date: Date | None = None


class ReturnIn(Schema):
    reason: str


class NewVersionIn(Schema):
    trigger: Trigger = Trigger.SIGNIFICANT_CHANGE


class ImpactIn(Schema):
    kind: Literal["benefit", "harm"] = "harm"
    description: str
    affected_party: str = ""
    vulnerable_group: bool = False
    severity: int
    likelihood: int
    reversibility: int = 1
    scale: int = 1
    measures: str = ""
    residual_severity: int | None = None
    residual_likelihood: int | None = None
    risk_id: int | None = None


class ImpactPatch(Schema):
    kind: Literal["benefit", "harm"] | None = None
    description: str | None = None
    affected_party: str | None = None
    vulnerable_group: bool | None = None
    severity: int | None = None
    likelihood: int | None = None
    reversibility: int | None = None
    scale: int | None = None
    measures: str | None = None
    residual_severity: int | None = None
    residual_likelihood: int | None = None
    risk_id: int | None = None


class ListQuery(Schema):
    status: str = ""
    system: str = ""
    review_needed: bool = False
    latest: bool = False


def _out(a: ImpactAssessment) -> dict:
    return {
        "id": a.pk,
        "system_id": a.system_id,
        "system_ref": f"AIS-{a.system.number}",
        "version": a.version,
        "status": a.status,
        "trigger": a.trigger,
        "template": a.template,
        "sector": a.sector,
        "assessor": a.assessor.get_username(),
        "submitted_at": a.submitted_at,
        "approver": a.approver.get_username() if a.approver_id else None,
        "approved_at": a.approved_at,
        "decision": a.decision,
        "return_reason": a.return_reason,
        "review_date": a.review_date,
        "content_hash": a.content_hash,
        "review_needed": getattr(a, "review_needed", False),
    }


def _impact(i: Impact) -> dict:
    return {f: getattr(i, f) for f in ImpactOut.model_fields}


def _detail(tenant, pk) -> dict:
    a = get_assessment_for_tenant(tenant, pk)
    needed, changed = selectors.review_needed(a)
    a.review_needed = needed
    return {
        **_out(a),
        "sections": a.sections,
        "fria_required": a.fria_required,
        "fria": a.fria,
        "changed_since_approval": changed,
        "impacts": [_impact(i) for i in Impact.objects.filter(assessment=a).order_by("pk")],
    }


def _risk(tenant, risk_id):
    if risk_id is None:
        return None

    return get_risk_for_tenant(tenant, risk_id)


def _system(tenant, system_id):
    return get_system_for_tenant(tenant, system_id)


@router.get(BASE, response={200: Page[ImpactAssessmentOut], **ERRORS})
def assessments_list(request, org: str, filters: Query[ListQuery], page: int = 1, page_size: int = 100):
    """Impact assessments, filtered like the list page (status, system AIS-n, review_needed, latest)."""
    tenant = tenant_for(request, org, Perm.READ)
    flt = selectors.ListFilter.from_query(
        {
            "status": filters.status,
            "system": filters.system,
            "review_needed": "1" if filters.review_needed else "",
            "latest": "1" if filters.latest else "",
        }
    )
    queryset = selectors.assessments(tenant.organization, flt)
    result = paginate_queryset(queryset, page, page_size, lambda a: a)
    selectors.decorate(result["items"])
    result["items"] = [_out(a) for a in result["items"]]
    return result


@router.post(BASE, response={201: AssessmentDetailOut, **ERRORS})
def assessments_create(request, org: str, payload: AssessmentIn):
    """Start the first assessment of a system, pre-filled from the inventory (template by technique if empty)."""
    tenant = tenant_for(request, org, Perm.WRITE)
    system = _system(tenant, payload.system_id)
    a = services.impact_assessment_create(
        actor=tenant, system=system, template=payload.template, sector=payload.sector, trigger=payload.trigger
    )
    return Status(201, _detail(tenant, a.pk))


@router.get(BASE + "/{assessment_id}", response={200: AssessmentDetailOut, **ERRORS})
def assessments_get(request, org: str, assessment_id: int):
    tenant = tenant_for(request, org, Perm.READ)
    return _detail(tenant, assessment_id)


@router.patch(BASE + "/{assessment_id}", response={200: AssessmentDetailOut, **ERRORS})
def assessments_update(request, org: str, assessment_id: int, payload: AssessmentPatch):
    """Change sections (and FRIA) of a draft or returned assessment: only the ids given change."""
    tenant = tenant_for(request, org, Perm.WRITE)
    a = get_assessment_for_tenant(tenant, assessment_id)
    services.impact_assessment_update(
        actor=tenant,
        assessment=a,
        sections=payload.sections,
        fria=payload.fria,
        trigger=payload.trigger.value if payload.trigger else None,
    )
    return _detail(tenant, a.pk)


@router.post(BASE + "/{assessment_id}/submit", response={200: AssessmentDetailOut, **ERRORS})
def assessments_submit(request, org: str, assessment_id: int):
    tenant = tenant_for(request, org, Perm.WRITE)
    a = get_assessment_for_tenant(tenant, assessment_id)
    services.impact_assessment_submit(actor=tenant, assessment=a)
    return _detail(tenant, a.pk)


@router.post(BASE + "/{assessment_id}/approve", response={200: AssessmentDetailOut, **ERRORS})
def assessments_approve(request, org: str, assessment_id: int, payload: ApproveIn):
    """Owners and managers other than the assessor approve (separation of duties)."""
    tenant = tenant_for(request, org, Perm.APPROVE)
    a = get_assessment_for_tenant(tenant, assessment_id)
    services.impact_assessment_approve(
        actor=tenant, assessment=a, decision=payload.decision, review_date=payload.review_date
    )
    return _detail(tenant, a.pk)


@router.post(BASE + "/{assessment_id}/return", response={200: AssessmentDetailOut, **ERRORS})
def assessments_return(request, org: str, assessment_id: int, payload: ReturnIn):
    tenant = tenant_for(request, org, Perm.APPROVE)
    a = get_assessment_for_tenant(tenant, assessment_id)
    services.impact_assessment_return(actor=tenant, assessment=a, reason=payload.reason)
    return _detail(tenant, a.pk)


@router.post(BASE + "/{assessment_id}/new-version", response={201: AssessmentDetailOut, **ERRORS})
def assessments_new_version(request, org: str, assessment_id: int, payload: NewVersionIn):
    """Copy the latest, approved version into a new draft (the approved one never changes)."""
    tenant = tenant_for(request, org, Perm.WRITE)
    a = get_assessment_for_tenant(tenant, assessment_id)
    new = services.impact_assessment_new_version(actor=tenant, assessment=a, trigger=payload.trigger)
    return Status(201, _detail(tenant, new.pk))


@router.get(BASE + "/{assessment_id}/impacts", response={200: list[ImpactOut], **ERRORS})
def impacts_list(request, org: str, assessment_id: int):
    tenant = tenant_for(request, org, Perm.READ)
    a = get_assessment_for_tenant(tenant, assessment_id)
    return [_impact(i) for i in Impact.objects.filter(assessment=a).order_by("pk")]


@router.post(BASE + "/{assessment_id}/impacts", response={201: ImpactOut, **ERRORS})
def impacts_create(request, org: str, assessment_id: int, payload: ImpactIn):
    """A harm rated at or above the scale's risk threshold is linked to a risk (a new one unless risk_id)."""
    tenant = tenant_for(request, org, Perm.WRITE)
    a = get_assessment_for_tenant(tenant, assessment_id)
    values = payload.model_dump(exclude={"risk_id"})
    impact = services.impact_add(actor=tenant, assessment=a, risk=_risk(tenant, payload.risk_id), **values)
    return Status(201, _impact(impact))


@router.patch(BASE + "/{assessment_id}/impacts/{impact_id}", response={200: ImpactOut, **ERRORS})
def impacts_update(request, org: str, assessment_id: int, impact_id: int, payload: ImpactPatch):
    tenant = tenant_for(request, org, Perm.WRITE)
    a = get_assessment_for_tenant(tenant, assessment_id)
    impact = get_impact_for_tenant(tenant, a, impact_id)
    given = payload.model_fields_set
    values = {name: getattr(payload, name) for name in given if name != "risk_id"}
    if "risk_id" in given:
        values["risk"] = _risk(tenant, payload.risk_id)
    impact = services.impact_update(actor=tenant, impact=impact, **values)
    return _impact(impact)


@router.delete(BASE + "/{assessment_id}/impacts/{impact_id}", response={204: None, **ERRORS})
def impacts_delete(request, org: str, assessment_id: int, impact_id: int):
    tenant = tenant_for(request, org, Perm.WRITE)
    a = get_assessment_for_tenant(tenant, assessment_id)
    impact = get_impact_for_tenant(tenant, a, impact_id)
    services.impact_delete(actor=tenant, impact=impact)
    return Status(204, None)
