"""Risk API: the register, assessments, acceptance, treatment actions and selected controls."""

from __future__ import annotations

from django.http import Http404
from ninja import Query, Router, Status

from openaims.api.auth import tenant_for
from openaims.api.schemas import ERRORS, Page, paginate_queryset
from openaims.controls.access import get_control_for_tenant
from openaims.lib.concurrency import if_match
from openaims.risk import selectors, services
from openaims.risk.access import get_action_for_tenant, get_risk_for_tenant
from openaims.risk.api.common import _action, _filter, _get_risk, _risk, _risk_detail, _risk_values, _risks
from openaims.risk.api.schemas import (
    AcceptIn,
    ActionIn,
    ActionOut,
    ActionPatch,
    AssessIn,
    CloseIn,
    HeatmapOut,
    RegisterQuery,
    RiskDetailOut,
    RiskIn,
    RiskOut,
    RiskPatch,
)
from openaims.risk.models import (
    TreatmentAction,
)
from openaims.tenancy.roles import Perm
from openaims.tenancy.selectors import member_by_username

router = Router(tags=["risks"])


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
    risk = services.risk_create(actor=tenant, **values)
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
    services.risk_update(actor=tenant, risk=risk, expected_revision=if_match(request), **values)
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
        actor=tenant,
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
    services.risk_accept(actor=tenant, risk=risk, note=payload.note)
    return Status(201, _risk_detail(tenant, risk.pk))


@router.post("/orgs/{org}/risks/{risk_id}/close", response={200: RiskDetailOut, **ERRORS})
def risks_close(request, org: str, risk_id: int, payload: CloseIn):
    tenant = tenant_for(request, org, Perm.WRITE)
    risk = get_risk_for_tenant(tenant, risk_id)
    services.risk_close(actor=tenant, risk=risk, reason=payload.reason)
    return _risk_detail(tenant, risk.pk)


@router.post("/orgs/{org}/risks/{risk_id}/reopen", response={200: RiskDetailOut, **ERRORS})
def risks_reopen(request, org: str, risk_id: int):
    tenant = tenant_for(request, org, Perm.WRITE)
    risk = get_risk_for_tenant(tenant, risk_id)
    services.risk_reopen(actor=tenant, risk=risk)
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
        actor=tenant,
        risk=risk,
        title=payload.title,
        description=payload.description,
        owner=member_by_username(tenant.organization, payload.owner, field="owner"),
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
        values["owner"] = member_by_username(tenant.organization, payload.owner, field="owner")
    services.treatment_action_update(actor=tenant, action=action, expected_revision=if_match(request), **values)
    return _action(get_action_for_tenant(tenant, risk, action.pk))


@router.delete("/orgs/{org}/risks/{risk_id}/actions/{action_id}", response={204: None, **ERRORS})
def actions_delete(request, org: str, risk_id: int, action_id: int):
    tenant = tenant_for(request, org, Perm.WRITE)
    risk = get_risk_for_tenant(tenant, risk_id)
    action = get_action_for_tenant(tenant, risk, action_id)
    services.treatment_action_delete(actor=tenant, action=action)
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
    _link, created = services.risk_select_control(actor=tenant, risk=risk, control=control)
    return Status(201 if created else 200, _risk(_get_risk(tenant, risk.pk)))


@router.delete(
    "/orgs/{org}/risks/{risk_id}/controls/{control_id}",
    response={204: None, **ERRORS},
    summary="The risk's treatment no longer selects this control",
)
def risks_deselect_control(request, org: str, risk_id: int, control_id: int):
    tenant = tenant_for(request, org, Perm.WRITE)
    risk = _get_risk(tenant, risk_id)
    control = get_control_for_tenant(tenant, control_id)
    if not services.risk_deselect_control(actor=tenant, risk=risk, control=control):
        raise Http404("This risk's treatment does not select that control")
    return Status(204, None)
