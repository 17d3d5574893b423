"""AI risks, first slice: list, create, and the controls a risk's treatment selects (6.1.3).

The risk-register issue extends these rows (criteria, scores, treatment plans, acceptance).
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Prefetch, Q
from django.http import Http404
from ninja import Router, Schema, Status
from pydantic import Field

from openaims.api.auth import tenant_for
from openaims.api.schemas import Error, Page, paginate_queryset
from openaims.controls.access import get_control_for_tenant
from openaims.lib.errors import ServiceError
from openaims.risk import services
from openaims.risk.models import Risk, RiskControl
from openaims.tenancy.models import Membership, Tenant
from openaims.tenancy.roles import Perm

router = Router(tags=["risks"])
ERRORS = {400: Error, 401: Error, 403: Error, 404: Error, 409: Error, 413: Error, 422: Error}


class SelectedControlOut(Schema):
    id: int
    ref_id: str
    title: str


class RiskOut(Schema):
    id: int
    title: str
    description: str
    owner: str | None
    created_by: str
    created_at: datetime
    controls: list[SelectedControlOut] = Field(..., description="Controls the risk's treatment selects")


class RiskIn(Schema):
    title: str = Field(..., min_length=1, max_length=200)
    description: str = Field("", max_length=20_000)
    owner: str | None = Field(None, description="Username of a member of the organization")


def _risks(tenant: Tenant):
    return (
        Risk.objects.for_organization(tenant.organization)
        .select_related("owner", "created_by")
        .prefetch_related(
            Prefetch(
                "control_links",
                queryset=RiskControl.objects.select_related("control").order_by("control__order", "control__ref_id"),
            )
        )
    )


def _get_risk(tenant: Tenant, pk: int) -> Risk:
    risk = _risks(tenant).filter(pk=pk).first()
    if risk is None:
        raise Http404("No such risk")
    return risk


def _risk(risk: Risk) -> dict:
    return {
        "id": risk.pk,
        "title": risk.title,
        "description": risk.description,
        "owner": risk.owner.get_username() if risk.owner_id else None,
        "created_by": risk.created_by.get_username(),
        "created_at": risk.created_at,
        "controls": [
            {"id": link.control.pk, "ref_id": link.control.ref_id, "title": link.control.title}
            for link in risk.control_links.all()
        ],
    }


@router.get("/orgs/{org}/risks", response={200: Page[RiskOut], **ERRORS})
def risks_list(request, org: str, q: str = "", page: int = 1, page_size: int = 100):
    tenant = tenant_for(request, org, Perm.READ)
    risks = _risks(tenant)
    if q:
        risks = risks.filter(Q(title__icontains=q) | Q(description__icontains=q))
    return paginate_queryset(risks.order_by("title", "pk"), page, page_size, _risk)


@router.post("/orgs/{org}/risks", response={201: RiskOut, **ERRORS})
def risks_create(request, org: str, payload: RiskIn):
    tenant = tenant_for(request, org, Perm.WRITE)
    owner = None
    if payload.owner:
        membership = (
            Membership.objects.select_related("user")
            .filter(organization=tenant.organization, user__username=payload.owner)
            .first()
        )
        if membership is None:
            raise ServiceError(f"{payload.owner!r} is not a member of this organization", field="owner")
        owner = membership.user
    risk = services.risk_create(
        actor=tenant.user,
        organization=tenant.organization,
        title=payload.title,
        description=payload.description,
        owner=owner,
    )
    return Status(201, _risk(_get_risk(tenant, risk.pk)))


@router.get("/orgs/{org}/risks/{risk_id}", response={200: RiskOut, **ERRORS})
def risks_get(request, org: str, risk_id: int):
    tenant = tenant_for(request, org, Perm.READ)
    return _risk(_get_risk(tenant, risk_id))


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
