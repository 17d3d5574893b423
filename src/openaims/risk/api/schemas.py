"""Risk API: request and response schemas."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from ninja import Schema
from pydantic import Field

from openaims.api.schemas import Date
from openaims.risk.criteria import CriteriaData
from openaims.risk.models import (
    ActionStatus,
    RiskStatus,
    TreatmentOption,
)

TEXT = 20_000

# ------------------------------------------------------------------------------------------------ schemas


class SelectedControlOut(Schema):
    id: int
    ref_id: str
    title: str


class RiskSystemRefOut(Schema):
    id: int
    number: int
    ref: str = Field(..., description="AIS-<number>")
    name: str


class NodeRefOut(Schema):
    urn: str
    ref_id: str
    title: str


class ScoreOut(Schema):
    likelihood: int
    consequence: int = Field(..., description="The highest of `consequences`: the one the level comes from")
    consequences: dict[str, int] = Field(
        ..., description="Consequence per dimension of the criteria (organization, individuals, societies …)"
    )
    level: str = Field(..., description="Level key under the risk's criteria version, e.g. 'high'")


class RiskOut(Schema):
    id: int
    number: int | None
    ref: str
    title: str
    description: str
    owner: str | None
    status: RiskStatus
    organization_wide: bool = Field(..., description="True when the risk names no AI system")
    systems: list[RiskSystemRefOut]
    sources: list[NodeRefOut] = Field(..., description="Catalog risk sources, e.g. ISO/IEC 42001 C.3.x")
    other_sources: str
    objectives: list[NodeRefOut] = Field(..., description="Catalog objectives, e.g. ISO/IEC 42001 C.2.x")
    other_objectives: str
    existing_controls: str
    inherent: ScoreOut | None
    treatment_option: TreatmentOption | Literal[""]
    treatment_plan: str
    residual: ScoreOut | None
    derived_from: str = Field(..., description="Set when the latest assessment was carried over from an impact")
    reassessment_suggested: bool = Field(
        ..., description="A linked AI system changed significantly (stage, purpose, intended use, models, datasets)"
    )
    criteria_version: int | None = Field(..., description="The criteria version of the latest assessment")
    assessed_at: datetime | None
    review_date: date | None
    review_overdue: bool
    created_by: str
    created_at: datetime
    updated_at: datetime
    controls: list[SelectedControlOut] = Field(..., description="Controls the risk's treatment selects")


class ActionOut(Schema):
    id: int
    title: str
    description: str
    owner: str | None
    due_date: date | None
    status: ActionStatus
    overdue: bool
    completed_at: datetime | None
    created_by: str
    created_at: datetime


class RiskAssessmentOut(Schema):
    id: int
    criteria_version: int
    inherent: ScoreOut
    treatment_option: TreatmentOption | Literal[""]
    residual: ScoreOut | None
    derived_from: str
    note: str
    assessed_by: str
    assessed_at: datetime


class AcceptanceOut(Schema):
    id: int
    accepted_by: str
    accepted_role: str
    accepted_at: datetime
    residual: ScoreOut
    within_appetite: bool
    criteria_version: int
    note: str
    current: bool
    revoked_at: datetime | None
    revoked_reason: str


class RiskDetailOut(RiskOut):
    actions: list[ActionOut]
    assessments: list[RiskAssessmentOut] = Field(..., description="Newest first: the trend of the scores")
    acceptances: list[AcceptanceOut] = Field(..., description="Newest first; at most one is current")


class RiskIn(Schema):
    title: str = Field(..., min_length=1, max_length=200)
    description: str = Field("", max_length=TEXT)
    owner: str | None = Field(None, description="Username of a member of the organization")
    systems: list[int] = Field([], description="AI system numbers (AIS-<n>); none: organization-wide")
    sources: list[str] = Field([], description="URNs of catalog risk sources, e.g. urn:openaims:iso42001-2023:c.3.4")
    objectives: list[str] = Field([], description="URNs of catalog objectives, e.g. urn:openaims:iso42001-2023:c.2.5")
    other_sources: str = Field("", max_length=TEXT)
    other_objectives: str = Field("", max_length=TEXT)
    existing_controls: str = Field("", max_length=TEXT)
    treatment_plan: str = Field("", max_length=TEXT)
    review_date: Date | None = None


class RiskPatch(Schema):
    title: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=TEXT)
    owner: str | None = Field(None, description="Username of a member; null or empty clears the owner")
    systems: list[int] | None = None
    sources: list[str] | None = None
    objectives: list[str] | None = None
    other_sources: str | None = Field(None, max_length=TEXT)
    other_objectives: str | None = Field(None, max_length=TEXT)
    existing_controls: str | None = Field(None, max_length=TEXT)
    treatment_plan: str | None = Field(None, max_length=TEXT)
    review_date: Date | None = None


class AssessIn(Schema):
    """Consequences per dimension (`*_consequences`), or one value (`*_consequence`) that holds for all of them."""

    inherent_likelihood: int = Field(..., ge=1, le=10)
    inherent_consequence: int | None = Field(None, ge=1, le=10, description="One value for every dimension")
    inherent_consequences: dict[str, int] | None = Field(
        None, description="{dimension key: value}, every dimension of the criteria in force"
    )
    treatment_option: TreatmentOption | None = None
    residual_likelihood: int | None = Field(None, ge=1, le=10)
    residual_consequence: int | None = Field(None, ge=1, le=10, description="One value for every dimension")
    residual_consequences: dict[str, int] | None = None
    review_date: Date | None = Field(None, description="Next review; unchanged when omitted")
    note: str = Field("", max_length=TEXT)


class AcceptIn(Schema):
    note: str = Field("", max_length=TEXT)


class CloseIn(Schema):
    reason: str = Field("", max_length=TEXT)


class ActionIn(Schema):
    title: str = Field(..., min_length=1, max_length=200)
    description: str = Field("", max_length=TEXT)
    owner: str | None = None
    due_date: Date | None = None
    status: ActionStatus = ActionStatus.PLANNED


class ActionPatch(Schema):
    title: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=TEXT)
    owner: str | None = None
    due_date: Date | None = None
    status: ActionStatus | None = None


class RegisterQuery(Schema):
    q: str = Field("", description="Words in the title or description, or a number (R-12)")
    status: str = Field("", description="identified, assessed, accepted, closed, 'all'; default: every open risk")
    inherent: str = Field("", description="Inherent level key, e.g. high")
    residual: str = Field("", description="Residual level key")
    treatment: str = Field("", description="modify, avoid, share, retain, or 'none'")
    owner: str = Field("", description="Username, or 'none'")
    system: str = Field("", description="AI system number (AIS-<n>)")
    overdue: bool = Field(False, description="Only risks whose review date has passed")
    stale: bool = Field(False, description="Only risks assessed under an older criteria version")
    reassess: bool = Field(False, description="Only risks whose linked AI system changed significantly since")
    il: int | None = Field(None, description="Inherent likelihood (with ic: one heat-map cell)")
    ic: int | None = None
    rl: int | None = Field(None, description="Residual likelihood (with rc: one heat-map cell)")
    rc: int | None = None
    sort: str = Field("", description="residual (default), inherent, ref, -ref, title, review, updated")


class ScaleLevelOut(Schema):
    value: int
    name: str
    description: str


class HeatmapGridOut(Schema):
    cells: list[dict]
    total: int
    outside_scale: int = Field(..., description="Risks scored on a scale the criteria in force no longer have")


class HeatmapOut(Schema):
    criteria_version: int | None = Field(..., description="Null while the organization uses the shipped default")
    likelihood: list[ScaleLevelOut]
    consequence: list[ScaleLevelOut]
    inherent: HeatmapGridOut
    residual: HeatmapGridOut


class CriteriaOut(Schema):
    number: int | None = Field(..., description="Null: the shipped default, not yet adopted by the organization")
    status: Literal["published", "draft", "default"]
    in_force: bool
    criteria: CriteriaData
    content_hash: str
    note: str
    created_by: str | None
    created_at: datetime | None
    published_by: str | None
    published_at: datetime | None


class CriteriaVersionOut(Schema):
    number: int
    status: Literal["published", "draft"]
    in_force: bool
    content_hash: str
    note: str
    created_by: str
    created_at: datetime
    published_by: str | None
    published_at: datetime | None


class CriteriaDraftIn(Schema):
    criteria: CriteriaData
    note: str = Field("", max_length=TEXT, description="What changed and why")


# ---------------------------------------------------------------------------------------------- helpers
