"""The shape of catalog files, checked before anything is loaded (pydantic models, no extra keys allowed)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

URN_PATTERN = r"^urn:openaims:[a-z0-9][a-z0-9.\-]*(:[a-z0-9][a-z0-9._\-]*)+$"
Urn = Field(pattern=URN_PATTERN, max_length=200)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class NodeIn(_Strict):
    urn: str = Urn
    parent: str | None = Field(default=None, pattern=URN_PATTERN)
    ref_id: str = Field(default="", max_length=60)
    kind: str = Field(min_length=1, max_length=40, pattern=r"^[a-z_]+$")
    title: str = Field(min_length=1, max_length=300)
    description: str = ""
    guidance: str = ""
    typical_evidence: list[str] = []
    annotations: dict = {}
    assessable: bool = False


class DateIn(_Strict):
    key: str = Field(pattern=r"^[a-z0-9][a-z0-9_\-]*$", max_length=80)
    date: date
    label: str = Field(min_length=1, max_length=300)
    applies_to: list[str] = []


class FrameworkFile(_Strict):
    format: Literal["openaims-catalog/1"]
    type: Literal["framework"]
    urn: str = Urn
    urn_prefix: str = Field(pattern=r"^urn:openaims:[a-z0-9][a-z0-9.\-]*:$", description="Every node URN starts so.")
    ref_id: str = Field(min_length=1, max_length=80)
    name: str = Field(min_length=1, max_length=200)
    version: int = Field(ge=1)
    publisher: str = ""
    description: str = ""
    copyright: str = Field(min_length=1)
    source: str = ""
    dates: list[DateIn] = []
    nodes: list[NodeIn] = Field(min_length=1)


class RelationIn(_Strict):
    source: str = Urn
    target: str = Urn
    relation: Literal["equal", "subset", "superset", "intersect"]
    rationale: str = ""


class CrosswalkFile(_Strict):
    format: Literal["openaims-catalog/1"]
    type: Literal["crosswalk"]
    urn: str = Urn
    name: str = Field(min_length=1, max_length=200)
    version: int = Field(ge=1)
    source_framework: str = Urn
    target_framework: str = Urn
    official: bool = False
    note: str = ""
    relations: list[RelationIn] = Field(min_length=1)
