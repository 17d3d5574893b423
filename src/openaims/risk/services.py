from __future__ import annotations

from django.db import transaction

from openaims.audittrail.services import Action, record_event
from openaims.lib.errors import ServiceError
from openaims.risk.models import Risk, RiskControl


def risk_create(*, actor, organization, title: str, description: str = "", owner=None) -> Risk:
    title = title.strip()
    if not title:
        raise ServiceError("a risk needs a title", field="title")
    with transaction.atomic():
        risk = Risk.objects.create(
            organization=organization, title=title, description=description, owner=owner, created_by=actor
        )
        record_event(
            actor=actor,
            organization=organization,
            obj=risk,
            action=Action.CREATE,
            changes={
                "title": [None, title],
                "owner": [None, owner.get_username() if owner else None],
            },
        )
    return risk


def risk_select_control(*, actor, risk: Risk, control) -> RiskControl:
    """Record that the risk's treatment selects `control` (6.1.3 d): the SoA then shows it as the reason."""
    if control.organization_id != risk.organization_id:
        raise ServiceError("the control belongs to another organization")
    with transaction.atomic():
        link, created = RiskControl.objects.get_or_create(organization=risk.organization, risk=risk, control=control)
        if created:
            record_event(
                actor=actor,
                organization=risk.organization,
                obj=risk,
                action="select_control",
                changes={"control": [None, control.ref_id]},
            )
    return link


def risk_deselect_control(*, actor, risk: Risk, control) -> None:
    with transaction.atomic():
        deleted, _ = RiskControl.objects.filter(risk=risk, control=control).delete()
        if deleted:
            record_event(
                actor=actor,
                organization=risk.organization,
                obj=risk,
                action="deselect_control",
                changes={"control": [control.ref_id, None]},
            )
