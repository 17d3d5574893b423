"""Sign-off requests over the API: the list (default: what waits on the token's user) and the decisions."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from ninja import Query, Router, Schema
from pydantic import Field

from openaims.api.auth import tenant_for
from openaims.api.schemas import Error
from openaims.signoff import selectors, services
from openaims.signoff.access import get_signoff_for_tenant
from openaims.signoff.models import SignOffRequest
from openaims.signoff.services import MAX_COMMENT
from openaims.tenancy.access import ApiRequest
from openaims.tenancy.roles import Perm

router = Router(tags=["sign-off"])
ERRORS = {400: Error, 401: Error, 403: Error, 404: Error, 409: Error, 422: Error}


class SignOffOut(Schema):
    id: int
    subject_kind: str
    subject_id: str
    subject_label: str
    subject_url: str
    requester: str
    approver: str
    status: Literal["pending", "signed", "returned", "withdrawn"]
    request_comment: str
    decision_comment: str
    requested_at: datetime
    decided_at: datetime | None

    @staticmethod
    def resolve_requester(obj: SignOffRequest) -> str:
        return obj.requester.get_username()

    @staticmethod
    def resolve_approver(obj: SignOffRequest) -> str:
        return obj.approver.get_username()


class DecisionIn(Schema):
    comment: str = Field("", max_length=MAX_COMMENT)


@router.get("/orgs/{org}/signoffs", response={200: list[SignOffOut], **ERRORS}, summary="Sign-off requests")
def signoff_list(
    request: ApiRequest,
    org: str,
    scope: Literal["mine", "all"] = Query(  # type: ignore[type-arg]  # ninja's Query() is a default marker here
        "mine", description="mine: pending requests naming me; all: every request"
    ),
    status: Literal["pending", "signed", "returned", "withdrawn"] | None = None,
) -> list[SignOffRequest]:
    tenant = tenant_for(request, org, Perm.READ)
    if scope == "mine":
        found = selectors.pending_for(tenant.person(), tenant.organization)
    else:
        found = selectors.for_organization(tenant.organization, status=status)
    return list(found[:500])


@router.get("/orgs/{org}/signoffs/{signoff_id}", response={200: SignOffOut, **ERRORS})
def signoff_get(request: ApiRequest, org: str, signoff_id: int) -> SignOffRequest:
    tenant = tenant_for(request, org, Perm.READ)
    return get_signoff_for_tenant(tenant, signoff_id)


@router.post("/orgs/{org}/signoffs/{signoff_id}/sign", response={200: SignOffOut, **ERRORS}, summary="Sign it off")
def signoff_sign(request: ApiRequest, org: str, signoff_id: int, payload: DecisionIn) -> SignOffRequest:
    tenant = tenant_for(request, org, Perm.APPROVE)
    signoff = get_signoff_for_tenant(tenant, signoff_id)
    return services.signoff_sign(actor=tenant, request=signoff, comment=payload.comment)


@router.post("/orgs/{org}/signoffs/{signoff_id}/return", response={200: SignOffOut, **ERRORS}, summary="Return it")
def signoff_return(request: ApiRequest, org: str, signoff_id: int, payload: DecisionIn) -> SignOffRequest:
    tenant = tenant_for(request, org, Perm.APPROVE)
    signoff = get_signoff_for_tenant(tenant, signoff_id)
    return services.signoff_return(actor=tenant, request=signoff, comment=payload.comment)


@router.post("/orgs/{org}/signoffs/{signoff_id}/withdraw", response={200: SignOffOut, **ERRORS})
def signoff_withdraw(request: ApiRequest, org: str, signoff_id: int, payload: DecisionIn) -> SignOffRequest:
    tenant = tenant_for(request, org, Perm.READ)
    signoff = get_signoff_for_tenant(tenant, signoff_id)
    return services.signoff_withdraw(actor=tenant, request=signoff, comment=payload.comment)
