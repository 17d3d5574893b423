"""Classifying a system: the one write, audited; the run is kept and becomes the system's current one."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from openaims.audittrail.services import record_event
from openaims.inventory.classification.catalog import require_catalog
from openaims.inventory.classification.engine import classify, operator_roles
from openaims.inventory.classification.questions import Answers, clean_answers
from openaims.inventory.models import AISystem, Classification
from openaims.inventory.vocabulary import vocabulary
from openaims.lib.errors import Forbidden
from openaims.tenancy.models import Membership
from openaims.tenancy.roles import Perm, has_perm

ACTION_CLASSIFY = "classify"


def classification_inputs(system: AISystem) -> dict:
    return {field: getattr(system, field) for field in AISystem.CLASSIFICATION_INPUTS}


def classification_record(*, actor, system: AISystem, answers: Mapping[str, Any] | Answers) -> Classification:
    """Classify a system under the EU AI Act from the wizard's answers; the run is kept and becomes current."""
    membership = Membership.objects.filter(organization_id=system.organization_id, user=actor).first()
    if membership is None or not has_perm(membership.role, Perm.WRITE):
        raise Forbidden("your role may not classify AI systems")
    catalog = require_catalog()
    cleaned = clean_answers(answers, catalog)
    with transaction.atomic():
        system = AISystem.objects.select_for_update(of=("self",)).select_related("organization").get(pk=system.pk)
        roles = operator_roles(system.role)
        outcome = classify(cleaned, catalog, roles=roles, role_label=vocabulary().label("roles", system.role))
        row = Classification.objects.create(
            organization=system.organization,
            system=system,
            answers=cleaned.model_dump(),
            result=outcome.result,
            reasoning=outcome.reasoning,
            obligations=outcome.obligations,
            transparency=outcome.transparency,
            gpai=outcome.gpai,
            inputs=classification_inputs(system),
            catalog_version=catalog.content_hash,
            created_by=actor,
        )
        changes = {"risk_class": [system.risk_class, outcome.result]}
        if system.classification_stale:
            changes["classification_stale"] = [True, False]
        system.risk_class = outcome.result
        system.classification = row
        system.classification_stale = False
        system.version += 1
        system.updated_at = timezone.now()
        system.save(update_fields=["risk_class", "classification", "classification_stale", "version", "updated_at"])
        record_event(actor=actor, organization=system.organization, obj=system, action=ACTION_CLASSIFY, changes=changes)
    return row
