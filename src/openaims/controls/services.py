"""Writes for controls, their links and evidence, and SoA publication. Each records its audit event."""

from __future__ import annotations

import hashlib
import json
from datetime import date

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from openaims.audittrail import links
from openaims.audittrail.services import Action, diff, fk_label, record_event
from openaims.catalog.models import CatalogNode, Framework
from openaims.controls.models import (
    Applicability,
    Control,
    ControlEvidence,
    ControlRequirement,
    ControlSystem,
    Evidence,
    ImplementationStatus,
    SoAStatus,
    SoAVersion,
)
from openaims.controls.selectors import soa_rows
from openaims.lib.errors import Conflict, ServiceError, full_clean_or_raise
from openaims.lib.uris import check_web_url
from openaims.signoff.services import signoff_request, validate_approver
from openaims.tenancy.models import Tenant
from openaims.tenancy.numbering import next_number

ISO42001 = "urn:openaims:framework:iso42001-2023"
UNSET = object()


def control_state(control: Control) -> dict:
    return {
        "ref_id": control.ref_id,
        "title": control.title,
        "description": control.description,
        "owner": fk_label(control.owner),
        "status": control.status,
        "applicability": control.applicability,
        "justification": control.justification,
    }


def controls_adopt_catalog(*, actor: Tenant, framework_urn: str = ISO42001) -> int:
    """Create one control per catalog control of the framework that the organization lacks; returns how many."""
    organization = actor.organization
    framework = Framework.objects.filter(urn=framework_urn).first()
    if framework is None:
        raise ServiceError("the catalog is not loaded; run `aims catalog load` first")
    nodes = list(
        CatalogNode.objects.filter(framework=framework, kind="control", retired=False)
        .select_related("parent")
        .order_by("order")
    )
    with transaction.atomic():
        adopted = set(
            Control.objects.filter(organization=organization, catalog_node__in=nodes).values_list(
                "catalog_node_id", flat=True
            )
        )
        taken = set(Control.objects.filter(organization=organization).values_list("ref_id", flat=True))
        created = []
        for node in nodes:
            if node.pk in adopted:
                continue
            if node.ref_id in taken:
                raise Conflict(f"a custom control already uses the id {node.ref_id}; rename it first")
            group = f"{node.parent.ref_id} {node.parent.title}" if node.parent_id else ""
            created.append(
                Control(
                    organization=organization,
                    catalog_node=node,
                    ref_id=node.ref_id,
                    title=node.title,
                    description=node.description,
                    group=group[:120],
                    order=node.order,
                )
            )
        Control.objects.bulk_create(created)
        if created:
            record_event(
                actor=actor,
                organization=organization,
                object_type="controls.control",
                object_id="catalog",
                object_repr=framework.ref_id,
                action="adopt",
                changes={"controls": [None, [c.ref_id for c in created]]},
            )
    return len(created)


def control_create_custom(
    *, actor: Tenant, ref_id: str, title: str, description: str = "", owner=None, group: str = "Custom"
) -> Control:
    organization = actor.organization
    ref_id, title = ref_id.strip(), title.strip()
    if not ref_id or not title:
        raise ServiceError("a custom control needs an id and a title", field="ref_id" if not ref_id else "title")
    with transaction.atomic():
        if Control.objects.filter(organization=organization, ref_id=ref_id).exists():
            raise Conflict(f"the control id {ref_id!r} is taken", field="ref_id")
        order = (Control.objects.filter(organization=organization).aggregate(m=Max("order"))["m"] or 0) + 1
        control = Control.objects.create(
            organization=organization,
            ref_id=ref_id,
            title=title,
            description=description,
            owner=owner,
            group=group or "Custom",
            order=order,
        )
        record_event(
            actor=actor,
            organization=organization,
            obj=control,
            action=Action.CREATE,
            changes=diff({}, control_state(control)),
        )
    return control


def control_update(
    *,
    actor: Tenant,
    control: Control,
    owner=UNSET,
    status: str | None = None,
    applicability: str | None = None,
    justification: str | None = None,
    title: str | None = None,
    description: str | None = None,
) -> Control:
    """Change a control. Catalog controls keep their catalog id and title; custom ones may change both."""
    if status is not None and status not in ImplementationStatus.values:
        raise ServiceError(f"unknown status {status!r}", field="status")
    if applicability is not None and applicability not in Applicability.values:
        raise ServiceError(f"unknown applicability {applicability!r}", field="applicability")
    with transaction.atomic():
        locked = Control.objects.select_for_update(of=("self",)).select_related("owner").get(pk=control.pk)
        before = control_state(locked)
        if owner is not UNSET:
            locked.owner = owner
        for name, value in (("status", status), ("applicability", applicability), ("justification", justification)):
            if value is not None:
                setattr(locked, name, value.strip() if name == "justification" else value)
        if locked.is_custom:
            if title is not None:
                if not title.strip():
                    raise ServiceError("the title cannot be empty", field="title")
                locked.title = title.strip()
            if description is not None:
                locked.description = description
        if locked.applicability == Applicability.EXCLUDED and locked.status == ImplementationStatus.IMPLEMENTED:
            raise ServiceError(
                "an excluded control cannot be implemented; include it or change its status", field="applicability"
            )
        changes = diff(before, control_state(locked))
        if changes:
            locked.updated_at = timezone.now()
            locked.save()
            record_event(
                actor=actor, organization=locked.organization, obj=locked, action=Action.UPDATE, changes=changes
            )
    return locked


def control_link_requirement(
    *, actor: Tenant, control: Control, requirement: CatalogNode
) -> tuple[ControlRequirement, bool]:
    """Record that the control satisfies `requirement`; returns (link, created): linking twice changes nothing."""
    if requirement.retired:
        raise ServiceError("this requirement was retired from the catalog", field="requirement")
    return links.link(
        actor=actor,
        owner=control,
        model=ControlRequirement,
        values={"control": control, "requirement": requirement},
        action="link_requirement",
        key="requirement",
        shown=requirement.urn,
    )


def control_unlink_requirement(*, actor: Tenant, control: Control, requirement: CatalogNode) -> bool:
    """Drop the link; returns whether there was one."""
    return links.unlink(
        actor=actor,
        owner=control,
        model=ControlRequirement,
        values={"control": control, "requirement": requirement},
        action="unlink_requirement",
        key="requirement",
        shown=requirement.urn,
    )


def control_link_system(*, actor: Tenant, control: Control, system) -> tuple[ControlSystem, bool]:
    """Say the control applies to an AI system (its scope); returns (link, created): linking twice changes nothing."""
    if system.organization_id != control.organization_id:
        raise ServiceError("the AI system belongs to another organization", field="system")
    return links.link(
        actor=actor,
        owner=control,
        model=ControlSystem,
        values={"control": control, "system": system},
        action="link_system",
        key="system",
        shown=f"{system.ref} {system.name}",
    )


def control_unlink_system(*, actor: Tenant, control: Control, system) -> bool:
    """The control no longer applies to the AI system (the system and the control stay); whether it did."""
    return links.unlink(
        actor=actor,
        owner=control,
        model=ControlSystem,
        values={"control": control, "system": system},
        action="unlink_system",
        key="system",
        shown=f"{system.ref} {system.name}",
    )


def evidence_create(
    *,
    actor: Tenant,
    title: str,
    description: str = "",
    url: str = "",
    collected_at: date | None = None,
    valid_until: date | None = None,
    controls: list[Control] = (),
) -> Evidence:
    organization = actor.organization
    title = title.strip()
    if not title:
        raise ServiceError("evidence needs a title", field="title")
    url = check_web_url(url, "url", label="link")  # shown as a link: http(s) only
    collected_at = collected_at or timezone.localdate()
    if valid_until is not None and valid_until < collected_at:
        raise ServiceError("'valid until' cannot be before the collection date", field="valid_until")
    with transaction.atomic():
        evidence = Evidence(
            organization=organization,
            title=title,
            description=description,
            url=url,
            collected_at=collected_at,
            valid_until=valid_until,
            created_by=actor.user,
        )
        full_clean_or_raise(evidence, exclude=["created_by", "organization"])
        evidence.save()
        record_event(
            actor=actor,
            organization=organization,
            obj=evidence,
            action=Action.CREATE,
            changes={
                "title": [None, title],
                "url": [None, url or None],
                "valid_until": [None, valid_until],
            },
        )
        for control in controls:
            control_link_evidence(actor=actor, control=control, evidence=evidence)
    return evidence


def control_link_evidence(*, actor: Tenant, control: Control, evidence: Evidence) -> tuple[ControlEvidence, bool]:
    """Count the evidence for the control; returns (link, created): linking twice changes nothing."""
    if evidence.organization_id != control.organization_id:
        raise ServiceError("evidence and control belong to different organizations")
    return links.link(
        actor=actor,
        owner=control,
        model=ControlEvidence,
        values={"control": control, "evidence": evidence},
        action="link_evidence",
        key="evidence",
        shown=evidence.title,
    )


def control_unlink_evidence(*, actor: Tenant, control: Control, evidence: Evidence) -> bool:
    """Stop counting the evidence for the control (the evidence and its other links stay); whether it counted."""
    return links.unlink(
        actor=actor,
        owner=control,
        model=ControlEvidence,
        values={"control": control, "evidence": evidence},
        action="unlink_evidence",
        key="evidence",
        shown=evidence.title,
    )


SOA_SIGNOFF_KIND = "controls.soa_version"


class UndecidedControls(Conflict):
    """Publishing while some controls are undecided needs an explicit confirmation."""

    code = "undecided_controls"


def soa_publish(*, actor: Tenant, approver, note: str = "", confirm_undecided: bool = False) -> SoAVersion:
    """Freeze the current SoA as the next numbered version and ask `approver` to sign it off (6.1.3 f)).

    The version is "awaiting sign-off" until the approver signs (then it is the approved SoA) or returns
    it. Undecided controls are refused unless `confirm_undecided`; the refusal lists them.
    """
    organization = actor.organization
    validate_approver(
        organization=organization, requester=actor.person("publishing the SoA for sign-off"), approver=approver
    )
    rows = [row.as_dict() for row in soa_rows(organization)]
    if not rows:
        raise ServiceError("there is nothing to publish: adopt the Annex A controls first")
    undecided = [row["ref_id"] for row in rows if row["applicability"] == Applicability.UNDECIDED]
    if undecided and not confirm_undecided:
        raise UndecidedControls(
            f"{len(undecided)} control(s) are still undecided ({', '.join(undecided[:10])}"
            f"{'…' if len(undecided) > 10 else ''}); confirm to publish anyway",
            field="confirm_undecided",
            details=[{"field": "confirm_undecided", "message": f"{ref_id} is undecided"} for ref_id in undecided],
        )
    payload = json.dumps(rows, sort_keys=True, cls=DjangoJSONEncoder)
    with transaction.atomic():
        if SoAVersion.objects.filter(organization=organization, status=SoAStatus.AWAITING).exists():
            raise Conflict("a version is already awaiting sign-off: wait for its decision or withdraw it first")
        version = SoAVersion.objects.create(
            organization=organization,
            number=next_number(organization, "soa_version"),
            status=SoAStatus.AWAITING,
            approver=approver,
            published_by=actor.user,
            note=note.strip(),
            rows=json.loads(payload),
            content_hash=hashlib.sha256(payload.encode()).hexdigest(),
        )
        record_event(
            actor=actor,
            organization=organization,
            obj=version,
            action="publish",
            changes={
                "number": [None, version.number],
                "status": [None, version.status],
                "approver": [None, approver.get_username() if approver else None],
                "controls": [None, len(rows)],
                "undecided": [None, len(undecided) or None],
                "content_hash": [None, version.content_hash],
            },
        )
        signoff_request(
            actor=actor,
            subject_kind=SOA_SIGNOFF_KIND,
            subject_id=version.pk,
            subject_label=f"Statement of Applicability v{version.number}",
            subject_url=reverse("controls:version", args=[organization.slug, version.number]),
            approver=approver,
            comment=note,
        )
    return version


_DECISION_STATUS = {
    "signed": SoAStatus.SIGNED,
    "returned": SoAStatus.RETURNED,
    "withdrawn": SoAStatus.WITHDRAWN,
}


def soa_signoff_decided(actor: Tenant, request) -> None:
    """Sign-off callback (runs in the sign-off's transaction): the version takes the decision as its status."""
    version = SoAVersion.objects.select_for_update().get(organization=request.organization, pk=int(request.subject_id))
    before = version.status
    version.status = _DECISION_STATUS[request.status]
    fields = ["status"]
    changes = {"status": [before, version.status]}
    if version.status == SoAStatus.SIGNED:
        version.approved_by = request.approver
        version.approved_on = timezone.localdate(request.decided_at)
        fields += ["approved_by", "approved_on"]
        changes.update(approved_by=[None, request.approver.get_username()], approved_on=[None, version.approved_on])
    version.save(update_fields=fields)
    record_event(actor=actor, organization=version.organization, obj=version, action=request.status, changes=changes)
