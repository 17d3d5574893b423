"""Shapes of the inventory API: the register entry, its parts, suppliers and the controls that apply.

Input schemas refuse unknown keys (422) so a typo in a pipeline's payload is an error, not a silently
ignored field. Vocabulary keys (role, technique, category, ...) are plain strings here: the services check
them against `data/vocabulary.yaml` and name the allowed keys when one is unknown.
"""

from __future__ import annotations

from datetime import date, datetime

from ninja import Schema
from pydantic import ConfigDict, Field, field_validator
from pydantic.json_schema import SkipJsonSchema
from pydantic_core import PydanticCustomError

from openaims.api.schemas import Date
from openaims.inventory.models import RiskClass

TEXT = 20_000
VOCABULARY = "A key of the register's vocabulary (data/vocabulary.yaml)"


class In(Schema):
    """Base of every inventory input: unknown keys are refused."""

    model_config = ConfigDict(extra="forbid")


# ------------------------------------------------------------------------------------------------ systems


class SystemRefOut(Schema):
    """How other answers point at a system."""

    id: int
    ref: str = Field(..., description="AIS-<number>, unique in the organization")
    name: str


class SystemOut(SystemRefOut):
    purpose: str
    role: str
    technique: str
    criticality: str
    stage: str
    risk_class: RiskClass
    classification_stale: bool = Field(..., description="An input of the classification changed since it was made")
    business_owner: str | None
    technical_owner: str | None
    version: int = Field(..., description="Bumped by every change to the entry or its parts")
    updated_at: datetime


class PartCountsOut(Schema):
    models: int
    datasets: int
    components: int
    resources: int


class ControlRefOut(Schema):
    id: int
    ref_id: str
    title: str
    status: str
    applicability: str


class SystemDetailOut(SystemOut):
    number: int
    intended_use: str
    foreseeable_misuse: str
    intended_users: str
    affected_persons: str
    automation_level: str
    oversight_mode: str
    oversight_description: str
    deployment_environment: str
    geography: str
    personal_data: bool
    personal_data_notes: str
    parts: PartCountsOut
    controls: list[ControlRefOut] = Field(..., description="Controls linked as applying to this system")
    created_by: str
    created_at: datetime


class DuplicateOut(Schema):
    system: SystemRefOut
    score: float
    reason: str


class SystemCreatedOut(SystemDetailOut):
    duplicates: list[DuplicateOut] = Field(
        ...,
        description="Existing systems that look like this one. A warning only: the system was registered.",
    )


class _SystemFields(In):
    intended_use: str | None = Field(None, max_length=TEXT)
    foreseeable_misuse: str | None = Field(None, max_length=TEXT)
    intended_users: str | None = Field(None, max_length=TEXT)
    affected_persons: str | None = Field(None, max_length=TEXT)
    automation_level: str | None = Field(None, max_length=40, description=VOCABULARY + " (automation_levels)")
    oversight_mode: str | None = Field(None, max_length=40, description=VOCABULARY + " (oversight_modes)")
    oversight_description: str | None = Field(None, max_length=TEXT)
    deployment_environment: str | None = Field(None, max_length=TEXT)
    geography: str | None = Field(None, max_length=300, description="Where it is used, e.g. 'EU, UK'")
    personal_data: bool = None  # type: ignore[assignment]  # may be left out, not null
    personal_data_notes: str | None = Field(None, max_length=TEXT)
    business_owner: str | None = Field(None, description="Username of a member; null or empty clears it")
    technical_owner: str | None = Field(None, description="Username of a member; null or empty clears it")


class SystemIn(_SystemFields):
    name: str = Field(..., min_length=1, max_length=200)
    purpose: str = Field(..., min_length=1, max_length=TEXT)
    role: str = Field(..., max_length=40, description=VOCABULARY + " (roles)")
    technique: str = Field(..., max_length=40, description=VOCABULARY + " (techniques)")
    criticality: str = Field("medium", max_length=20, description=VOCABULARY + " (criticality)")


READ_ONLY = {
    "stage": "the life-cycle stage is read-only here; "
    "move the system with POST /orgs/{org}/systems/{system_id}/transition (its gate is checked)",
    "risk_class": "the risk class is read-only here; "
    "it is the result of POST /orgs/{org}/systems/{system_id}/classification (the EU AI Act questions)",
}


class SystemPatch(_SystemFields):
    name: str = Field(None, min_length=1, max_length=200)  # type: ignore[assignment]
    purpose: str = Field(None, min_length=1, max_length=TEXT)  # type: ignore[assignment]
    role: str = Field(None, max_length=40, description=VOCABULARY + " (roles)")  # type: ignore[assignment]
    technique: str = Field(None, max_length=40, description=VOCABULARY + " (techniques)")  # type: ignore[assignment]
    criticality: str = Field(None, max_length=20, description=VOCABULARY + " (criticality)")  # type: ignore[assignment]
    # Accepted only to be refused with a pointer to the endpoint that does change them; hidden from the schema.
    stage: SkipJsonSchema[object] = None
    risk_class: SkipJsonSchema[object] = None

    @field_validator("stage", "risk_class", mode="before")
    @classmethod
    def _read_only(cls, value, info):
        raise PydanticCustomError("read_only", READ_ONLY[info.field_name])


# -------------------------------------------------------------------------------------------------- parts


class _PartOut(Schema):
    id: int
    system: SystemRefOut
    name: str
    description: str
    created_at: datetime
    updated_at: datetime


class ModelOut(_PartOut):
    version: str
    model_type: str
    uri: str
    registry_stage: str
    source: str = Field(..., description="manual, import or mlflow")
    external_id: str


class ModelIn(In):
    name: str = Field(..., min_length=1, max_length=200)
    version: str = Field("", max_length=60)
    description: str | None = Field(None, max_length=TEXT)
    model_type: str | None = Field(None, max_length=120, description="e.g. gradient-boosted trees, GPT-4o")
    uri: str | None = Field(None, max_length=500, description="Where the artefact lives (registry, bucket)")
    registry_stage: str | None = Field(None, max_length=60, description="Stage or aliases in the model registry")


class ModelPatch(ModelIn):
    name: str = Field(None, min_length=1, max_length=200)  # type: ignore[assignment]
    version: str = Field(None, max_length=60)  # type: ignore[assignment]


class ModelUpsertIn(ModelIn):
    version: str = Field(..., min_length=1, max_length=60)


class DatasetOut(_PartOut):
    purpose: str
    source: str
    acquisition: str
    provenance: str
    quality_checks: str
    preparation: str
    personal_data: bool
    special_categories: bool
    licence: str


class DatasetIn(In):
    name: str = Field(..., min_length=1, max_length=200)
    description: str | None = Field(None, max_length=TEXT)
    purpose: str = Field(None, max_length=40, description=VOCABULARY + " (dataset_purposes); default training")  # type: ignore[assignment]
    source: str | None = Field(None, max_length=TEXT, description="Where the data comes from (A.7.3)")
    acquisition: str | None = Field(None, max_length=TEXT, description="How it was obtained, on what basis")
    provenance: str | None = Field(None, max_length=TEXT, description="Its history and custody (A.7.5)")
    quality_checks: str | None = Field(None, max_length=TEXT, description="Quality requirements and checks (A.7.4)")
    preparation: str | None = Field(None, max_length=TEXT, description="Cleaning, labelling, transformation")
    personal_data: bool = None  # type: ignore[assignment]
    special_categories: bool = None  # type: ignore[assignment]
    licence: str | None = Field(None, max_length=200)


class DatasetPatch(DatasetIn):
    name: str = Field(None, min_length=1, max_length=200)  # type: ignore[assignment]


class SupplierRefOut(Schema):
    id: int
    name: str


class ComponentOut(_PartOut):
    category: str
    supplier: SupplierRefOut | None
    version: str
    responsibilities: str


class ComponentIn(In):
    name: str = Field(..., min_length=1, max_length=200)
    description: str | None = Field(None, max_length=TEXT)
    category: str = Field(None, max_length=40, description=VOCABULARY + " (component_kinds); default api")  # type: ignore[assignment]
    supplier: int | None = Field(None, description="Id of a supplier of the organization; null for none")
    version: str | None = Field(None, max_length=60)
    responsibilities: str | None = Field(None, max_length=TEXT, description="What the supplier does, what we do")


class ComponentPatch(ComponentIn):
    name: str = Field(None, min_length=1, max_length=200)  # type: ignore[assignment]


class ResourceOut(_PartOut):
    category: str


class ResourceIn(In):
    name: str = Field(..., min_length=1, max_length=200)
    description: str | None = Field(None, max_length=TEXT)
    category: str = Field(None, max_length=40, description=VOCABULARY + " (resource_kinds); default compute")  # type: ignore[assignment]


class ResourcePatch(ResourceIn):
    name: str = Field(None, min_length=1, max_length=200)  # type: ignore[assignment]


# ---------------------------------------------------------------------------------------------- suppliers


class SupplierOut(SupplierRefOut):
    description: str
    contact: str
    contract_ref: str
    contract_ends: date | None
    components: int = Field(..., description="How many components of the organization's systems it supplies")
    created_at: datetime
    updated_at: datetime


class SupplierIn(In):
    name: str = Field(..., min_length=1, max_length=200)
    description: str | None = Field(None, max_length=TEXT)
    contact: str | None = Field(None, max_length=200)
    contract_ref: str | None = Field(None, max_length=200)
    contract_ends: Date | None = None


class SupplierPatch(SupplierIn):
    name: str = Field(None, min_length=1, max_length=200)  # type: ignore[assignment]
