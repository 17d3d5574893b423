"""EU AI Act classification over the API: the question flow, classify a system, its current result and history.

A pipeline reads `GET /orgs/{org}/eu-ai-act/questions` for the option URNs (from the loaded catalog),
then posts answers; unknown URNs are refused with a 400 that names them.
"""

from __future__ import annotations

from datetime import datetime

from ninja import Router, Schema, Status
from pydantic import ConfigDict, Field

from openaims.api.auth import tenant_for
from openaims.api.schemas import Error, Page, paginate_queryset
from openaims.inventory.access import get_system_for_tenant
from openaims.inventory.classification.catalog import eu_catalog, require_catalog
from openaims.inventory.classification.questions import questions_as_dict
from openaims.inventory.classification.selectors import input_changes, obligation_groups
from openaims.inventory.classification.service import classification_record
from openaims.inventory.models import Classification, RiskClass
from openaims.tenancy.roles import Perm

router = Router(tags=["inventory"])
ERRORS = {400: Error, 401: Error, 403: Error, 404: Error, 409: Error, 413: Error, 422: Error}
URNS = "Option URNs from GET /orgs/{org}/eu-ai-act/questions; the 'urn:openaims:eu-ai-act:' prefix may be omitted"


# ------------------------------------------------------------------------------------------------ schemas


class AnswersIn(Schema):
    """The wizard's answers; unknown keys are refused."""

    model_config = ConfigDict(extra="forbid")

    prohibited_practices: list[str] = Field([], max_length=50, description="Art. 5(1) practices. " + URNS)
    annex_i_safety_component: bool = Field(False, description="A product, or a safety component of one, under Annex I")
    annex_i_third_party_assessment: bool = Field(
        False, description="That product needs third-party conformity assessment"
    )
    annex_iii_points: list[str] = Field([], max_length=50, description="Annex III points. " + URNS)
    derogation_conditions: list[str] = Field([], max_length=50, description="Art. 6(3) conditions that hold. " + URNS)
    profiles_natural_persons: bool = Field(False, description="The system profiles natural persons")
    transparency_cases: list[str] = Field([], max_length=50, description="Art. 50 cases. " + URNS)
    gpai_model: bool = Field(False, description="The organization provides a general-purpose AI model here")
    systemic_risk: bool = Field(False, description="That model has systemic risk (Art. 51)")


class ReasonOut(Schema):
    step: str
    finding: str
    urn: str | None = None


class ObligationOut(Schema):
    urn: str
    ref_id: str
    title: str
    article: str = Field(..., description="The article it belongs to (ref id), for grouping")
    article_title: str
    condition: str = Field(..., description="When the duty applies only to part of the role or class; empty if always")
    trigger: str
    systemic_risk: bool


class ClassificationOut(Schema):
    id: int
    system_id: int
    result: RiskClass
    result_label: str
    reasoning: list[ReasonOut]
    obligations: list[str] = Field(..., description="URNs of the catalog obligations for the system's role")
    transparency: list[str] = Field(..., description="URNs of the Art. 50 cases that apply")
    gpai: bool
    answers: dict
    inputs: dict = Field(..., description="The system's classification inputs when the answers were given")
    catalog_version: str
    created_by: str
    created_at: datetime
    current: bool


class ClassificationDetailOut(ClassificationOut):
    obligation_details: list[ObligationOut]


class InputChangeOut(Schema):
    field: str
    label: str
    before: str | None
    after: str | None


class CurrentOut(Schema):
    system_id: int
    ref: str
    risk_class: RiskClass
    stale: bool = Field(..., description="An input changed since the classification: classify again")
    changes: list[InputChangeOut]
    classification: ClassificationDetailOut | None


class OptionOut(Schema):
    urn: str
    ref_id: str
    title: str
    description: str
    hint: str


class GroupOut(Schema):
    ref_id: str
    title: str
    options: list[OptionOut]


class QuestionOut(Schema):
    key: str = Field(..., description="The answer key to post")
    step: int
    kind: str = Field(..., description="multi: a list of option URNs; bool: true or false")
    label: str
    help: str
    source: str = Field(..., description="The catalog node the question comes from")
    options: list[OptionOut]
    groups: list[GroupOut]


class StepOut(Schema):
    number: int
    title: str


class QuestionsOut(Schema):
    catalog_version: str
    steps: list[StepOut]
    questions: list[QuestionOut]


# ------------------------------------------------------------------------------------------------ helpers


def _run(row: Classification, current_id: int | None) -> dict:
    return {
        "id": row.pk,
        "system_id": row.system_id,
        "result": row.result,
        "result_label": row.get_result_display(),
        "reasoning": row.reasoning,
        "obligations": row.obligations,
        "transparency": row.transparency,
        "gpai": row.gpai,
        "answers": row.answers,
        "inputs": row.inputs,
        "catalog_version": row.catalog_version,
        "created_by": row.created_by.get_username(),
        "created_at": row.created_at,
        "current": row.pk == current_id,
    }


def _detail(row: Classification, current_id: int | None) -> dict:
    catalog = eu_catalog()
    details = [
        {
            **{k: item[k] for k in ("urn", "ref_id", "title", "condition", "trigger")},
            "systemic_risk": bool(item.get("systemic_risk")),
            "article": group["ref_id"],
            "article_title": group["title"],
        }
        for group in obligation_groups(catalog, row.obligations)
        for item in group["items"]
    ]
    return {**_run(row, current_id), "obligation_details": details}


# ------------------------------------------------------------------------------------------------ operations


@router.get(
    "/orgs/{org}/eu-ai-act/questions",
    response={200: QuestionsOut, **ERRORS},
    summary="The EU AI Act classification questions, with options from the catalog",
)
def classification_questions(request, org: str):
    tenant_for(request, org, Perm.READ)
    return questions_as_dict(require_catalog())


@router.get(
    "/orgs/{org}/systems/{system_id}/classification",
    response={200: CurrentOut, **ERRORS},
    summary="The system's current EU AI Act classification and the obligations for its role",
)
def classification_current(request, org: str, system_id: int):
    tenant = tenant_for(request, org, Perm.READ)
    system = get_system_for_tenant(tenant, system_id)
    row = None
    if system.classification_id:
        row = Classification.objects.select_related("created_by").get(pk=system.classification_id)
    return {
        "system_id": system.pk,
        "ref": system.ref,
        "risk_class": system.risk_class,
        "stale": system.classification_stale,
        "changes": input_changes(system, row) if system.classification_stale else [],
        "classification": _detail(row, system.classification_id) if row else None,
    }


@router.post(
    "/orgs/{org}/systems/{system_id}/classification",
    response={201: ClassificationDetailOut, **ERRORS},
    summary="Classify the system from the answers; the run becomes its current classification",
)
def classification_create(request, org: str, system_id: int, payload: AnswersIn):
    tenant = tenant_for(request, org, Perm.WRITE)
    system = get_system_for_tenant(tenant, system_id)
    row = classification_record(actor=tenant.user, system=system, answers=payload.model_dump())
    return Status(201, _detail(row, row.pk))


@router.get(
    "/orgs/{org}/systems/{system_id}/classifications",
    response={200: Page[ClassificationOut], **ERRORS},
    summary="Every classification run of the system, newest first",
)
def classification_history(request, org: str, system_id: int, page: int = 1, page_size: int = 50):
    tenant = tenant_for(request, org, Perm.READ)
    system = get_system_for_tenant(tenant, system_id)
    runs = Classification.objects.filter(system=system).select_related("created_by")
    return paginate_queryset(runs, page, page_size, lambda row: _run(row, system.classification_id))
