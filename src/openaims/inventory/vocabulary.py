"""The register's vocabulary and life-cycle data (data/*.yaml), validated once and cached.

Values such as an AI system's role or technique are stored as keys; the forms, filters, API and
imports accept exactly the keys these files define, so adding one is a data change, not a migration.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

DATA = Path(__file__).parent / "data"


class Term(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str = Field(min_length=1)
    description: str = ""


class Role(Term):
    eu_ai_act: tuple[str, ...] = ()

    @field_validator("eu_ai_act")
    @classmethod
    def _known_operator_roles(cls, value):
        allowed = {"provider", "deployer", "importer", "distributor"}
        unknown = set(value) - allowed
        if unknown:
            raise ValueError(f"unknown EU AI Act operator role(s) {sorted(unknown)}; use {sorted(allowed)}")
        return value


def _unique(terms):
    keys = [t.key for t in terms]
    dupes = sorted({k for k in keys if keys.count(k) > 1})
    if dupes:
        raise ValueError(f"duplicate keys {dupes}")
    return terms


class Vocabulary(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    format: str = Field(pattern=r"^openaims-vocabulary/1$")
    version: int
    roles: tuple[Role, ...]
    techniques: tuple[Term, ...]
    automation_levels: tuple[Term, ...]
    oversight_modes: tuple[Term, ...]
    criticality: tuple[Term, ...]
    dataset_purposes: tuple[Term, ...]
    component_kinds: tuple[Term, ...]
    resource_kinds: tuple[Term, ...]

    @field_validator("*")
    @classmethod
    def _no_duplicates(cls, value):
        if isinstance(value, tuple):
            return _unique(value)
        return value

    def choices(self, name: str) -> list[tuple[str, str]]:
        return [(t.key, t.label) for t in getattr(self, name)]

    def keys(self, name: str) -> set[str]:
        return {t.key for t in getattr(self, name)}

    def label(self, name: str, key: str) -> str:
        return next((t.label for t in getattr(self, name) if t.key == key), key)

    def role(self, key: str) -> Role | None:
        return next((r for r in self.roles if r.key == key), None)


class GateEntry(BaseModel):
    """A gate item that applies only to some systems: `when: {risk_class: [high_risk]}`."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    item: str
    when: dict[str, tuple[str, ...]] = Field(default_factory=dict)


class Lifecycle(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    format: str = Field(pattern=r"^openaims-lifecycle/1$")
    version: int
    stages: tuple[Term, ...]
    default_gates: dict[str, tuple[str | GateEntry, ...]]

    @model_validator(mode="after")
    def _gates_name_stages(self):
        _unique(self.stages)
        keys = {s.key for s in self.stages}
        unknown = set(self.default_gates) - keys
        if unknown:
            raise ValueError(f"default_gates names unknown stages {sorted(unknown)}")
        if self.stages and self.stages[0].key in self.default_gates and self.default_gates[self.stages[0].key]:
            raise ValueError("the first stage is where systems start; it cannot have a gate")
        return self

    @property
    def keys(self) -> list[str]:
        return [s.key for s in self.stages]

    def index(self, key: str) -> int:
        return self.keys.index(key)

    def label(self, key: str) -> str:
        return next((s.label for s in self.stages if s.key == key), key)

    def choices(self) -> list[tuple[str, str]]:
        return [(s.key, s.label) for s in self.stages]


def _read(path: Path, model):
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(f"{path.name}: cannot read: {exc}") from None
    try:
        return model.model_validate(raw)
    except Exception as exc:  # pydantic's message names the field
        raise ValueError(f"{path.name}: {exc}") from None


@cache
def vocabulary() -> Vocabulary:
    return _read(DATA / "vocabulary.yaml", Vocabulary)


@cache
def lifecycle() -> Lifecycle:
    return _read(DATA / "lifecycle.yaml", Lifecycle)
