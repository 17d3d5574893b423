"""Controls, evidence, the Statement of Applicability, coverage and their exports (PDF, OSCAL)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from django.contrib.auth import get_user_model
from django.db.models import Prefetch, Q
from django.http import Http404, HttpResponse
from ninja import Query, Router, Schema, Status
from pydantic import Field

from openaims.api.auth import tenant_for
from openaims.api.schemas import ERRORS, Date, Page, paginate_queryset
from openaims.catalog import selectors as catalog_selectors
from openaims.catalog.models import CatalogNode, Framework
from openaims.controls import exports, oscal, services
from openaims.controls import pdf as _pdf  # noqa: F401  (registers the "pdf" export format)
from openaims.controls.access import get_control_for_tenant, get_evidence_for_tenant, get_soa_version_for_tenant
from openaims.controls.models import (
    Applicability,
    Control,
    ControlEvidence,
    ControlRequirement,
    Evidence,
    ImplementationStatus,
    SoAVersion,
)
from openaims.controls.selectors import FLAG_TEXT, controls_for_register, coverage, soa_diff, soa_rows, soa_summary
from openaims.lib.errors import ServiceError
from openaims.tenancy.models import Tenant
from openaims.tenancy.roles import Perm
from openaims.tenancy.selectors import member_by_username

router = Router(tags=["controls"])
TEXT = 20_000


# ------------------------------------------------------------------------------------------------ schemas


class ControlOut(Schema):
    id: int
    ref_id: str
    title: str
    description: str
    group: str
    custom: bool
    urn: str | None = Field(..., description="The catalog node this control adopts; null for the organization's own.")
    framework: str | None
    owner: str | None
    status: ImplementationStatus
    applicability: Applicability
    justification: str
    updated_at: datetime


class RequirementOut(Schema):
    urn: str
    framework: str
    ref_id: str
    title: str


class RiskRefOut(Schema):
    id: int
    title: str


class EvidenceRefOut(Schema):
    id: int
    title: str
    url: str
    collected_at: date
    valid_until: date | None
    current: bool


class ControlDetailOut(ControlOut):
    requirements: list[RequirementOut]
    risks: list[RiskRefOut]
    evidence: list[EvidenceRefOut]


class ControlIn(Schema):
    ref_id: str = Field(..., min_length=1, max_length=40)
    title: str = Field(..., min_length=1, max_length=300)
    description: str = Field("", max_length=TEXT)
    group: str = Field("Custom", max_length=120)
    owner: str | None = Field(None, description="Username of a member of the organization")


class ControlPatch(Schema):
    owner: str | None = Field(None, description="Username of a member; null or empty clears the owner")
    status: ImplementationStatus | None = None
    applicability: Applicability | None = None
    justification: str | None = Field(None, max_length=TEXT)
    title: str | None = Field(None, min_length=1, max_length=300, description="Only for the organization's own")
    description: str | None = Field(None, max_length=TEXT, description="Only for the organization's own controls")


class AdoptIn(Schema):
    framework_urn: str = Field(services.ISO42001, max_length=200)


class AdoptOut(Schema):
    framework_urn: str
    created: int


class EvidenceOut(EvidenceRefOut):
    description: str
    created_by: str
    created_at: datetime
    controls: list[int]


class EvidenceIn(Schema):
    title: str = Field(..., min_length=1, max_length=200)
    description: str = Field("", max_length=TEXT)
    url: str = Field("", max_length=500)
    collected_at: Date | None = None
    valid_until: Date | None = None
    controls: list[int] = Field([], description="Ids of controls this evidence supports", max_length=500)


class SoARowOut(Schema):
    control_id: int | None = Field(None, description="Null in published versions: they are snapshots")
    ref_id: str
    title: str
    group: str
    custom: bool
    urn: str | None
    owner: str | None
    status: str
    applicability: str
    derived: bool = Field(
        False, description="Included because a risk treatment selects it, though the register says undecided"
    )
    justification: str
    reasons: list[str]
    risks: list[str]
    requirements: list[str]
    legal: list[str]
    systems: list[str] = Field([], description="The AI systems the control applies to, as 'AIS-<n> <name>'")
    evidence_current: int
    evidence_total: int
    flags: list[str]


class SoASummaryOut(Schema):
    total: int
    flagged: int
    undecided: int
    included: int
    excluded: int
    implemented: int


class SoAOut(Schema):
    rows: list[SoARowOut]
    summary: SoASummaryOut
    flags: dict[str, str] = Field(..., description="What each flag means")


class PublishIn(Schema):
    approver: str = Field(
        ..., min_length=1, max_length=150, description="Username of an owner or manager (not you) who signs it off"
    )
    note: str = Field("", max_length=TEXT, description="Kept with the version; sent to the approver as the request")
    confirm_undecided: bool = Field(
        False, description="Publish although some controls are undecided (else 409 listing them)"
    )


class VersionOut(Schema):
    number: int
    status: Literal["awaiting_signoff", "signed", "returned", "withdrawn"]
    approver: str | None = Field(..., description="Who was asked to sign it off")
    approved_by: str | None = Field(..., description="Set when the approver signs it off")
    approved_on: date | None
    published_by: str
    published_at: datetime
    note: str
    content_hash: str
    controls: int


class VersionDetailOut(VersionOut):
    rows: list[SoARowOut]
    summary: SoASummaryOut


class ChangeOut(Schema):
    ref_id: str
    title: str
    changes: dict[str, list] = Field(..., description="field → [before, after]")


class DiffOut(Schema):
    from_version: int
    to_version: int | None = Field(..., description="Null: the current, unpublished state")
    added: list[SoARowOut]
    removed: list[SoARowOut]
    changed: list[ChangeOut]


class CoverageOut(Schema):
    framework: str
    urn: str
    name: str
    total: int
    covered: int = Field(..., description="Items covered in full: directly, or through an equal/broader mapping")
    share: float
    partial: int = Field(..., description="Items reached only through an intersect or narrower mapping")
    partially_covered: list[str] = Field(..., description="URNs of the partially covered items")
    uncovered: list[str] = Field(..., description="URNs of the assessable items no effective control reaches")


# ------------------------------------------------------------------------------------------------ helpers


def _control(control: Control) -> dict:
    node = control.catalog_node
    return {
        "id": control.pk,
        "ref_id": control.ref_id,
        "title": control.title,
        "description": control.description,
        "group": control.group,
        "custom": control.is_custom,
        "urn": node.urn if node else None,
        "framework": catalog_selectors.framework_slug(node.framework) if node else None,
        "owner": control.owner.get_username() if control.owner_id else None,
        "status": control.status,
        "applicability": control.applicability,
        "justification": control.justification,
        "updated_at": control.updated_at,
    }


def _evidence_ref(evidence: Evidence, today: date) -> dict:
    return {
        "id": evidence.pk,
        "title": evidence.title,
        "url": evidence.url,
        "collected_at": evidence.collected_at,
        "valid_until": evidence.valid_until,
        "current": evidence.is_current(today),
    }


def _control_detail(tenant: Tenant, pk: int) -> dict:
    control = get_control_for_tenant(tenant, pk)
    requirements = (
        ControlRequirement.objects.filter(control=control)
        .select_related("requirement__framework")
        .order_by("requirement__framework__name", "requirement__order")
    )
    evidence = Evidence.objects.filter(control_links__control=control)
    risks = control.risk_links.select_related("risk").order_by("risk__title")
    today = _today()
    return {
        **_control(control),
        "requirements": [_requirement(link.requirement) for link in requirements],
        "risks": [{"id": link.risk.pk, "title": link.risk.title} for link in risks],
        "evidence": [_evidence_ref(e, today) for e in evidence],
    }


def _requirement(node: CatalogNode) -> dict:
    return {
        "urn": node.urn,
        "framework": catalog_selectors.framework_slug(node.framework),
        "ref_id": node.ref_id,
        "title": node.title,
    }


def _today() -> date:
    from django.utils import timezone

    return timezone.localdate()


def _soa_row(row) -> dict:
    """An SoARow (current) or a stored row dict (published version) as the API shows it."""
    if isinstance(row, dict):
        row = exports.row_from_dict(row)
    return {**row.as_dict(), "control_id": row.control_id, "reasons": row.reasons}


def _version(version: SoAVersion) -> dict:
    return {
        "number": version.number,
        "status": version.status,
        "approver": version.approver.get_username() if version.approver_id else None,
        "approved_by": version.approved_by.get_username() if version.approved_by_id else None,
        "approved_on": version.approved_on,
        "published_by": version.published_by.get_username(),
        "published_at": version.published_at,
        "note": version.note,
        "content_hash": version.content_hash,
        "controls": len(version.rows),
    }


def _meta(tenant: Tenant, version: SoAVersion | None = None) -> exports.SoAMeta:
    org = tenant.organization
    if version is None:
        return exports.SoAMeta(organization=org.name, slug=org.slug)
    return exports.meta_for_version(org, version)


def _download(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _export(tenant: Tenant, key: str, version: SoAVersion | None = None) -> HttpResponse:
    fmt = exports.FORMATS[key]
    meta = _meta(tenant, version)
    rows = version.rows if version is not None else [row.as_dict() for row in soa_rows(tenant.organization)]
    return _download(fmt.render(rows, meta), fmt.content_type, exports.filename(meta, fmt.extension))


# ----------------------------------------------------------------------------------------------- controls


@router.get("/orgs/{org}/controls", response={200: Page[ControlOut], **ERRORS})
def controls_list(
    request,
    org: str,
    q: str = "",
    status: ImplementationStatus | None = None,
    applicability: Applicability | None = None,
    owner: str = Query("", description="Username; '-' for controls without an owner"),
    group: str = "",
    page: int = 1,
    page_size: int = 100,
):
    tenant = tenant_for(request, org, Perm.READ)
    controls = controls_for_register(tenant.organization).select_related("catalog_node__framework")
    if q:
        controls = controls.filter(Q(ref_id__icontains=q) | Q(title__icontains=q) | Q(description__icontains=q))
    if status:
        controls = controls.filter(status=status)
    if applicability:
        controls = controls.filter(applicability=applicability)
    if owner == "-":
        controls = controls.filter(owner__isnull=True)
    elif owner:
        controls = controls.filter(owner__username=owner)
    if group:
        controls = controls.filter(group=group)
    return paginate_queryset(controls.order_by("order", "ref_id"), page, page_size, _control)


@router.post("/orgs/{org}/controls", response={201: ControlDetailOut, **ERRORS}, summary="Create an own control")
def controls_create(request, org: str, payload: ControlIn):
    tenant = tenant_for(request, org, Perm.WRITE)
    control = services.control_create_custom(
        actor=tenant,
        ref_id=payload.ref_id,
        title=payload.title,
        description=payload.description,
        owner=member_by_username(tenant.organization, payload.owner, field="owner"),
        group=payload.group,
    )
    return Status(201, _control_detail(tenant, control.pk))


@router.post(
    "/orgs/{org}/controls/adopt",
    response={200: AdoptOut, **ERRORS},
    summary="Adopt a framework's controls (Annex A by default)",
)
def controls_adopt(request, org: str, payload: AdoptIn):
    tenant = tenant_for(request, org, Perm.APPROVE)
    created = services.controls_adopt_catalog(actor=tenant, framework_urn=payload.framework_urn)
    return {"framework_urn": payload.framework_urn, "created": created}


@router.get("/orgs/{org}/controls/{control_id}", response={200: ControlDetailOut, **ERRORS})
def controls_get(request, org: str, control_id: int):
    tenant = tenant_for(request, org, Perm.READ)
    return _control_detail(tenant, control_id)


@router.patch("/orgs/{org}/controls/{control_id}", response={200: ControlDetailOut, **ERRORS})
def controls_update(request, org: str, control_id: int, payload: ControlPatch):
    tenant = tenant_for(request, org, Perm.WRITE)
    control = get_control_for_tenant(tenant, control_id)
    given = payload.model_fields_set
    if not control.is_custom:
        for name in ("title", "description"):
            if name in given:
                raise ServiceError(
                    f"a catalog control keeps its catalog {name}; only own controls change it", field=name
                )
    changes = {}
    if "owner" in given:
        changes["owner"] = member_by_username(tenant.organization, payload.owner, field="owner")
    for name in ("status", "applicability", "justification", "title", "description"):
        value = getattr(payload, name)
        if name in given and value is not None:
            changes[name] = value.value if hasattr(value, "value") else value
    services.control_update(actor=tenant, control=control, **changes)
    return _control_detail(tenant, control.pk)


@router.post(
    "/orgs/{org}/controls/{control_id}/requirements/{urn}",
    response={200: RequirementOut, 201: RequirementOut, **ERRORS},
    summary="Record that the control satisfies a requirement (any catalog node)",
)
def controls_link_requirement(request, org: str, control_id: int, urn: str):
    tenant = tenant_for(request, org, Perm.WRITE)
    control = get_control_for_tenant(tenant, control_id)
    node = catalog_selectors.get_node(urn)
    _link, created = services.control_link_requirement(actor=tenant, control=control, requirement=node)
    return Status(201 if created else 200, _requirement(node))


@router.delete("/orgs/{org}/controls/{control_id}/requirements/{urn}", response={204: None, **ERRORS})
def controls_unlink_requirement(request, org: str, control_id: int, urn: str):
    tenant = tenant_for(request, org, Perm.WRITE)
    control = get_control_for_tenant(tenant, control_id)
    node = catalog_selectors.get_node(urn)
    if not services.control_unlink_requirement(actor=tenant, control=control, requirement=node):
        raise Http404("This control is not linked to that requirement")
    return Status(204, None)


@router.post(
    "/orgs/{org}/controls/{control_id}/evidence/{evidence_id}",
    response={200: EvidenceOut, 201: EvidenceOut, **ERRORS},
    summary="Link existing evidence to a control",
)
def controls_link_evidence(request, org: str, control_id: int, evidence_id: int):
    tenant = tenant_for(request, org, Perm.WRITE)
    control = get_control_for_tenant(tenant, control_id)
    evidence = get_evidence_for_tenant(tenant, evidence_id)
    _link, created = services.control_link_evidence(actor=tenant, control=control, evidence=evidence)
    return Status(201 if created else 200, _evidence_detail(tenant, evidence.pk))


@router.delete("/orgs/{org}/controls/{control_id}/evidence/{evidence_id}", response={204: None, **ERRORS})
def controls_unlink_evidence(request, org: str, control_id: int, evidence_id: int):
    """The evidence no longer counts for this control; the evidence itself and its other links stay."""
    tenant = tenant_for(request, org, Perm.WRITE)
    control = get_control_for_tenant(tenant, control_id)
    evidence = get_evidence_for_tenant(tenant, evidence_id)
    if not services.control_unlink_evidence(actor=tenant, control=control, evidence=evidence):
        raise Http404("This evidence is not linked to that control")
    return Status(204, None)


# ----------------------------------------------------------------------------------------------- evidence


def _evidence_queryset(tenant: Tenant):
    return (
        Evidence.objects.filter(organization=tenant.organization)
        .select_related("created_by")
        .prefetch_related(Prefetch("control_links", queryset=ControlEvidence.objects.order_by("control_id")))
    )


def _evidence(evidence: Evidence, today: date | None = None) -> dict:
    return {
        **_evidence_ref(evidence, today or _today()),
        "description": evidence.description,
        "created_by": evidence.created_by.get_username(),
        "created_at": evidence.created_at,
        "controls": [link.control_id for link in evidence.control_links.all()],
    }


def _evidence_detail(tenant: Tenant, pk: int) -> dict:
    return _evidence(_evidence_queryset(tenant).get(pk=pk))


@router.get("/orgs/{org}/evidence", response={200: Page[EvidenceOut], **ERRORS}, tags=["evidence"])
def evidence_list(request, org: str, q: str = "", control: int | None = None, page: int = 1, page_size: int = 100):
    tenant = tenant_for(request, org, Perm.READ)
    evidence = _evidence_queryset(tenant)
    if q:
        evidence = evidence.filter(Q(title__icontains=q) | Q(description__icontains=q))
    if control is not None:
        evidence = evidence.filter(control_links__control_id=control)
    today = _today()
    return paginate_queryset(evidence, page, page_size, lambda e: _evidence(e, today))


@router.post("/orgs/{org}/evidence", response={201: EvidenceOut, **ERRORS}, tags=["evidence"])
def evidence_create(request, org: str, payload: EvidenceIn):
    tenant = tenant_for(request, org, Perm.WRITE)
    controls = [get_control_for_tenant(tenant, pk) for pk in dict.fromkeys(payload.controls)]
    evidence = services.evidence_create(
        actor=tenant,
        title=payload.title,
        description=payload.description,
        url=payload.url,
        collected_at=payload.collected_at,
        valid_until=payload.valid_until,
        controls=controls,
    )
    return Status(201, _evidence_detail(tenant, evidence.pk))


# ---------------------------------------------------------------------------------------------------- SoA


@router.get("/orgs/{org}/soa", response={200: SoAOut, **ERRORS}, tags=["statement of applicability"])
def soa_get(request, org: str):
    tenant = tenant_for(request, org, Perm.READ)
    rows = soa_rows(tenant.organization)
    return {"rows": [_soa_row(row) for row in rows], "summary": soa_summary(rows), "flags": FLAG_TEXT}


@router.post(
    "/orgs/{org}/soa/versions",
    response={201: VersionDetailOut, **ERRORS},
    tags=["statement of applicability"],
    summary="Publish the current SoA as the next numbered version, awaiting the named approver's sign-off",
)
def soa_publish(request, org: str, payload: PublishIn):
    tenant = tenant_for(request, org, Perm.APPROVE)
    approver = get_user_model().objects.filter(username=payload.approver).first()
    if approver is None:
        raise ServiceError("the approver must be an owner or manager of the organization", field="approver")
    version = services.soa_publish(
        actor=tenant,
        approver=approver,
        note=payload.note,
        confirm_undecided=payload.confirm_undecided,
    )
    return Status(201, _version_detail(get_soa_version_for_tenant(tenant, version.number)))


def _version_detail(version: SoAVersion) -> dict:
    rows = [exports.row_from_dict(data) for data in version.rows]
    return {**_version(version), "rows": [_soa_row(row) for row in rows], "summary": soa_summary(rows)}


@router.get("/orgs/{org}/soa/versions", response={200: Page[VersionOut], **ERRORS}, tags=["statement of applicability"])
def soa_versions(request, org: str, page: int = 1, page_size: int = 50):
    tenant = tenant_for(request, org, Perm.READ)
    versions = SoAVersion.objects.filter(organization=tenant.organization).select_related(
        "approved_by", "published_by", "approver"
    )
    return paginate_queryset(versions.order_by("-number"), page, page_size, _version)


@router.get(
    "/orgs/{org}/soa/versions/{number}",
    response={200: VersionDetailOut, **ERRORS},
    tags=["statement of applicability"],
)
def soa_version(request, org: str, number: int):
    tenant = tenant_for(request, org, Perm.READ)
    return _version_detail(get_soa_version_for_tenant(tenant, number))


@router.get(
    "/orgs/{org}/soa/diff",
    response={200: DiffOut, **ERRORS},
    tags=["statement of applicability"],
    summary="What changed between two versions (or a version and the current state)",
)
def soa_version_diff(
    request,
    org: str,
    from_version: int = Query(..., alias="from", description="Version number"),
    to_version: int | None = Query(None, alias="to", description="Version number; the current state when omitted"),
):
    tenant = tenant_for(request, org, Perm.READ)
    old = get_soa_version_for_tenant(tenant, from_version)
    if to_version is None:
        new_rows = [row.as_dict() for row in soa_rows(tenant.organization)]
    else:
        new_rows = get_soa_version_for_tenant(tenant, to_version).rows
    change = soa_diff(old.rows, new_rows)
    return {
        "from_version": old.number,
        "to_version": to_version,
        "added": [_soa_row(row) for row in change["added"]],
        "removed": [_soa_row(row) for row in change["removed"]],
        "changed": change["changed"],
    }


@router.get(
    "/orgs/{org}/coverage",
    response={200: list[CoverageOut], **ERRORS},
    tags=["statement of applicability"],
    summary="Per framework: the share of assessable items covered by effective controls",
)
def coverage_list(request, org: str, framework: str = Query("", description="A framework slug; all when empty")):
    tenant = tenant_for(request, org, Perm.READ)
    frameworks = [catalog_selectors.get_framework(framework)] if framework else None
    return [
        {
            "framework": catalog_selectors.framework_slug(item.framework),
            "urn": item.framework.urn,
            "name": item.framework.name,
            "total": item.total,
            "covered": item.covered,
            "share": round(item.share, 4),
            "partial": len(item.partial),
            "partially_covered": [node.urn for node in item.partial],
            "uncovered": [node.urn for node in item.uncovered],
        }
        for item in coverage(tenant.organization, frameworks)
    ]


# ------------------------------------------------------------------------------------------------ exports

BINARY = {200: None, **ERRORS}


@router.get(
    "/orgs/{org}/soa/export.pdf", response=BINARY, tags=["exports"], summary="The current SoA as PDF (unpublished)"
)
def soa_export_pdf(request, org: str):
    tenant = tenant_for(request, org, Perm.READ)
    return _export(tenant, "pdf")


@router.get(
    "/orgs/{org}/soa/versions/{number}/export.pdf",
    response=BINARY,
    tags=["exports"],
    summary="A published SoA version as PDF",
)
def soa_version_export_pdf(request, org: str, number: int):
    tenant = tenant_for(request, org, Perm.READ)
    return _export(tenant, "pdf", get_soa_version_for_tenant(tenant, number))


@router.get(
    "/orgs/{org}/soa/export/oscal-ssp.json",
    response=BINARY,
    tags=["exports"],
    summary="The SoA's included controls as an OSCAL system security plan",
)
def soa_export_oscal_ssp(request, org: str, version: int | None = Query(None, description="A published version")):
    tenant = tenant_for(request, org, Perm.READ)
    return _export(tenant, "oscal-ssp", get_soa_version_for_tenant(tenant, version) if version else None)


@router.get(
    "/orgs/{org}/soa/export/oscal-component.json",
    response=BINARY,
    tags=["exports"],
    summary="The SoA's included controls as an OSCAL component definition",
)
def soa_export_oscal_component(request, org: str, version: int | None = Query(None, description="A published version")):
    tenant = tenant_for(request, org, Perm.READ)
    return _export(tenant, "oscal-component", get_soa_version_for_tenant(tenant, version) if version else None)


@router.get(
    "/orgs/{org}/catalog/frameworks/{framework}/oscal-catalog.json",
    response=BINARY,
    tags=["catalog", "exports"],
    summary="A framework of the catalog as an OSCAL catalog",
)
def framework_oscal_catalog(request, org: str, framework: str):
    tenant_for(request, org, Perm.READ)
    found: Framework = catalog_selectors.get_framework(framework)
    return _download(oscal.catalog_json(found), "application/json", f"{framework}.oscal-catalog.json")
