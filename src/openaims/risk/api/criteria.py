"""Risk API: the organization's risk criteria, their versions and the draft."""

from __future__ import annotations

from ninja import Router, Status

from openaims.api.auth import tenant_for
from openaims.api.schemas import ERRORS
from openaims.lib.concurrency import if_match
from openaims.risk import selectors, services
from openaims.risk.access import get_criteria_for_tenant
from openaims.risk.api.schemas import CriteriaDraftIn, CriteriaOut, CriteriaVersionOut
from openaims.risk.models import (
    RiskCriteria,
)
from openaims.tenancy.roles import Perm

router = Router(tags=["risks"])


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
    return {**_version_out(version, current_id), "criteria": version.data, "revision": version.revision}


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
        actor=tenant, content=payload.criteria, note=payload.note, expected_revision=if_match(request)
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
    services.criteria_draft_discard(actor=tenant)
    return Status(204, None)


@router.post(
    "/orgs/{org}/risk-criteria/draft/publish",
    response={201: CriteriaOut, **ERRORS},
    tags=["risk criteria"],
    summary="Publish the draft: it becomes the criteria in force",
)
def criteria_publish(request, org: str):
    tenant = tenant_for(request, org, Perm.APPROVE)
    version = services.criteria_publish(actor=tenant)
    return Status(201, _criteria_out(get_criteria_for_tenant(tenant, version.number), version.pk))
