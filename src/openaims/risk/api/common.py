"""Risk API: lookups and the dict builders the endpoints share."""

from __future__ import annotations

from django.db.models import Prefetch
from django.http import Http404

from openaims.catalog.models import CatalogNode
from openaims.inventory.models import AISystem
from openaims.inventory.selectors import systems_by_number
from openaims.lib.errors import ServiceError
from openaims.risk import selectors, services
from openaims.risk.api.schemas import RegisterQuery
from openaims.risk.models import (
    Risk,
    RiskAcceptance,
    RiskControl,
    RiskObjective,
    RiskSource,
    RiskSystem,
    TreatmentAction,
)
from openaims.tenancy.models import Tenant
from openaims.tenancy.selectors import member_by_username


def _systems(tenant: Tenant, numbers: list[int]) -> list[AISystem]:
    numbers = list(dict.fromkeys(numbers))
    found = systems_by_number(tenant.organization, numbers)
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
        "revision": risk.revision,
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
        "revision": action.revision,
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
        values["owner"] = member_by_username(tenant.organization, payload.owner, field="owner")
    if "systems" in given and payload.systems is not None:
        values["systems"] = _systems(tenant, payload.systems)
    for name in ("sources", "objectives"):
        if name in given and getattr(payload, name) is not None:
            values[name] = _nodes(getattr(payload, name), name)
    return values


# ------------------------------------------------------------------------------------------------ risks
