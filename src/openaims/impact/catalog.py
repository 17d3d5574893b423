"""The impact assessment catalog (data/templates.yaml): elements, per-technique templates, sector
questions, the EU AI Act Art. 27 (FRIA) elements and the impact scale, validated with pydantic.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

DATA = Path(__file__).parent / "data" / "templates.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Element(_Strict):
    id: str
    label: str
    clause: str = ""
    help: str = ""
    prefill: list[str] = Field(default_factory=list)


class Template(_Strict):
    key: str
    label: str
    techniques: list[str] = Field(default_factory=list)
    questions: list[Element] = Field(default_factory=list)


class Sector(_Strict):
    key: str
    label: str
    questions: list[Element] = Field(default_factory=list)


class Point(_Strict):
    value: int
    label: str
    description: str = ""


class Level(_Strict):
    key: str
    label: str
    min: int


class Scale(_Strict):
    severity: list[Point]
    likelihood: list[Point]
    reversibility: list[Point]
    scale: list[Point]
    levels: list[Level]
    raise_when: dict[str, int] = Field(default_factory=dict)
    risk_threshold: str

    @model_validator(mode="after")
    def _check(self):
        keys = [level.key for level in self.levels]
        if self.risk_threshold not in keys:
            raise ValueError(f"risk_threshold {self.risk_threshold!r} is not a level ({', '.join(keys)})")
        if [level.min for level in self.levels] != sorted(level.min for level in self.levels):
            raise ValueError("levels must be listed lowest first")
        return self

    def values(self, dimension: str) -> list[int]:
        return [p.value for p in getattr(self, dimension)]

    def choices(self, dimension: str) -> list[tuple[int, str]]:
        return [(p.value, f"{p.value} — {p.label}") for p in getattr(self, dimension)]

    def label(self, dimension: str, value) -> str:
        return next((p.label for p in getattr(self, dimension) if p.value == value), "")

    def rate(self, severity: int, likelihood: int, reversibility: int = 1, scale: int = 1) -> Level:
        """The level of an impact: by severity times likelihood, one level higher when irreversible or societal."""
        score = severity * likelihood
        index = 0
        for i, level in enumerate(self.levels):
            if score >= level.min:
                index = i
        raises = self.raise_when
        if ("reversibility" in raises and reversibility >= raises["reversibility"]) or (
            "scale" in raises and scale >= raises["scale"]
        ):
            index = min(index + 1, len(self.levels) - 1)
        return self.levels[index]

    def rank(self, key: str) -> int:
        return next(i for i, level in enumerate(self.levels) if level.key == key)

    def is_high(self, level_key: str) -> bool:
        return self.rank(level_key) >= self.rank(self.risk_threshold)


class ImpactCatalog(_Strict):
    format: str
    version: int
    elements: list[Element]
    templates: list[Template]
    sectors: list[Sector]
    fria: list[Element]
    scale: Scale
    review_months: int = 12

    @model_validator(mode="after")
    def _unique(self):
        ids = [e.id for e in self.elements]
        ids += [q.id for t in self.templates for q in t.questions]
        ids += [q.id for s in self.sectors for q in s.questions]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"element ids used twice: {', '.join(duplicates)}")
        return self

    def template(self, key: str) -> Template | None:
        return next((t for t in self.templates if t.key == key), None)

    def sector(self, key: str) -> Sector | None:
        return next((s for s in self.sectors if s.key == key), None)

    def template_for_technique(self, technique: str) -> Template:
        return next((t for t in self.templates if technique in t.techniques), self.templates[0])

    def field_label(self, field: str) -> str | None:
        """How a history entry names `sections.<id>` or `fria.<id>`: the element's label (None when unknown)."""
        group, _, element = field.partition(".")
        if group == "fria":
            found = next((e.label for e in self.fria if e.id == element), None)
            return f"FRIA: {found}" if found else None
        if group != "sections":
            return None
        everything = [*self.elements, *(q for t in self.templates for q in t.questions)]
        everything += [q for s in self.sectors for q in s.questions]
        return next((e.label for e in everything if e.id == element), None)

    def elements_for(self, template_key: str, sector_key: str = "") -> list[Element]:
        template = self.template(template_key)
        sector = self.sector(sector_key)
        return [*self.elements, *(template.questions if template else []), *(sector.questions if sector else [])]


@cache
def impact_catalog() -> ImpactCatalog:
    return ImpactCatalog.model_validate(yaml.safe_load(DATA.read_text(encoding="utf-8")))
