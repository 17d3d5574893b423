"""Risk criteria as data (6.1.1): likelihood and consequence scales, the matrix of levels, the appetite.

Consequences are rated per dimension (6.1.2 d) 1): for the organization, for individuals, for societies —
the dimensions are data, each with its own wording of the one consequence scale. An assessment records
a value per dimension; the consequence that enters the matrix is the highest of them (a risk is as bad
as its worst consequence for anyone). Criteria stored before dimensions existed read as having the
three default dimensions, each worded like their single consequence scale (which spoke for "people,
society and the organization" at once), so published versions stay byte-for-byte as they were.

The shape is checked with pydantic before anything uses it: the shipped default
(`data/criteria-default.yaml`), a draft a manager saves, a version read back from the database. The
checks go beyond types — the matrix covers every cell with a known level and never gets milder as
likelihood or consequence grow; the appetite names a rule for every level, and a level above
appetite never needs less authority to accept than a lower one — so matrix arithmetic can trust it.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from openaims.lib.errors import ServiceError

DEFAULT_FILE = Path(__file__).resolve().parent / "data" / "criteria-default.yaml"
FILE_FORMAT = "openaims-risk-criteria/1"

# Authority to accept a residual risk, weakest first. Auditors and viewers never accept risk.
ACCEPTING_ROLES = ("contributor", "manager", "owner")
ROLE_AUTHORITY = {"viewer": 0, "auditor": 0, "contributor": 1, "manager": 2, "owner": 3}
AcceptRole = Literal["contributor", "manager", "owner"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class ScaleLevel(_Strict):
    value: int = Field(ge=1, le=10)
    name: str = Field(min_length=1, max_length=60)
    description: str = Field("", max_length=1000)


class ConsequenceDimension(_Strict):
    """Whom a consequence falls on (6.1.2 d) 1)), with the consequence scale worded for them."""

    key: str = Field(pattern=r"^[a-z][a-z0-9_]{0,19}$", description="Stable key, e.g. 'individuals'; stored on risks.")
    name: str = Field(min_length=1, max_length=60)
    description: str = Field("", max_length=1000)
    scale: list[ScaleLevel] = Field(min_length=2, max_length=10, description="One entry per consequence value.")


DEFAULT_DIMENSIONS = (
    ("organization", "For the organization", "Its objectives, operations, finances, legal position and reputation."),
    ("individuals", "For individuals", "People affected by the AI system: health, safety, rights, money, chances."),
    ("societies", "For societies", "Groups, communities and society at large: fairness, trust, environment."),
)


def _legacy_dimensions(consequence: list) -> list[dict]:
    """Dimensions for criteria stored before they existed: each worded like the single consequence scale."""
    return [
        {"key": key, "name": name, "description": text, "scale": consequence} for key, name, text in DEFAULT_DIMENSIONS
    ]


def map_by_rank(value: int, from_size: int, to_size: int) -> int:
    """A value of a 1..from_size scale on a 1..to_size scale, by rank: the ends map onto the ends and the
    steps between proportionally, rounded half up (a 4-point scale on a 5-point one: 1→1, 2→2, 3→4, 4→5)."""
    if from_size <= 1 or to_size <= 1:
        return 1
    position = (value - 1) / (from_size - 1)
    return min(to_size, max(1, int(position * (to_size - 1) + 1.5)))


class RiskLevel(_Strict):
    key: str = Field(pattern=r"^[a-z][a-z0-9_]{0,19}$", description="Stable key, e.g. 'high'; stored on risks.")
    name: str = Field(min_length=1, max_length=40)
    description: str = Field("", max_length=1000)
    color: str = Field("#777777", pattern=r"^#[0-9a-fA-F]{6}$")

    @property
    def text_color(self) -> str:
        """Black or white, whichever reads better on `color` (WCAG relative luminance)."""
        channels = [int(self.color[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
        return "#000000" if luminance > 0.179 else "#ffffff"


class AppetiteRule(_Strict):
    level: str
    within_appetite: bool
    accept_role: AcceptRole | None = Field(
        description="The least role the risk owner must hold to accept a residual risk of this level; "
        "null: it may not be accepted."
    )


class CriteriaData(_Strict):
    """One complete set of risk criteria. `matrix[l - 1][c - 1]` is the level key of likelihood l, consequence c."""

    name: str = Field("", max_length=120)
    likelihood: list[ScaleLevel] = Field(min_length=2, max_length=10)
    consequence: list[ScaleLevel] = Field(min_length=2, max_length=10)
    consequence_dimensions: list[ConsequenceDimension] = Field(min_length=1, max_length=6)
    levels: list[RiskLevel] = Field(min_length=2, max_length=6, description="Lowest first.")
    matrix: list[list[str]]
    appetite: list[AppetiteRule]

    @model_validator(mode="before")
    @classmethod
    def _legacy(cls, raw):
        if isinstance(raw, dict) and "consequence_dimensions" not in raw and isinstance(raw.get("consequence"), list):
            raw = {**raw, "consequence_dimensions": _legacy_dimensions(raw["consequence"])}
        return raw

    @model_validator(mode="after")
    def _consistent(self) -> CriteriaData:
        for axis in ("likelihood", "consequence"):
            scale = getattr(self, axis)
            values = [level.value for level in scale]
            if values != list(range(1, len(scale) + 1)):
                raise ValueError(f"the {axis} scale must number its levels 1, 2, 3 … in order")
            names = [level.name.casefold() for level in scale]
            if len(set(names)) != len(names):
                raise ValueError(f"two {axis} levels have the same name")
        dimension_keys = [dimension.key for dimension in self.consequence_dimensions]
        if len(set(dimension_keys)) != len(dimension_keys):
            raise ValueError("two consequence dimensions have the same key")
        for dimension in self.consequence_dimensions:
            if [level.value for level in dimension.scale] != list(range(1, len(self.consequence) + 1)):
                raise ValueError(
                    f"consequence dimension {dimension.key!r} must word each consequence value 1 … "
                    f"{len(self.consequence)} once, in order"
                )
        keys = [level.key for level in self.levels]
        if len(set(keys)) != len(keys):
            raise ValueError("two risk levels have the same key")
        rank = {key: index for index, key in enumerate(keys)}
        if len(self.matrix) != len(self.likelihood):
            raise ValueError(f"the matrix needs one row per likelihood level ({len(self.likelihood)})")
        for li, row in enumerate(self.matrix, start=1):
            if len(row) != len(self.consequence):
                raise ValueError(
                    f"matrix row for likelihood {li} needs one level per consequence level ({len(self.consequence)})"
                )
            for ci, key in enumerate(row, start=1):
                if key not in rank:
                    raise ValueError(f"matrix cell likelihood {li}, consequence {ci}: unknown level {key!r}")
        for li in range(len(self.likelihood)):
            for ci in range(len(self.consequence)):
                here = rank[self.matrix[li][ci]]
                if li and rank[self.matrix[li - 1][ci]] > here:
                    raise ValueError(
                        f"matrix cell likelihood {li + 1}, consequence {ci + 1} is milder than the cell below it: "
                        "a level may not drop as likelihood grows"
                    )
                if ci and rank[self.matrix[li][ci - 1]] > here:
                    raise ValueError(
                        f"matrix cell likelihood {li + 1}, consequence {ci + 1} is milder than the cell to its left: "
                        "a level may not drop as consequence grows"
                    )
        rules = [rule.level for rule in self.appetite]
        if sorted(rules) != sorted(keys) or len(set(rules)) != len(rules):
            raise ValueError("the appetite needs exactly one rule per risk level")
        by_level = {rule.level: rule for rule in self.appetite}
        ordered = [by_level[key] for key in keys]
        above = False
        authority = 0
        for rule in ordered:
            if rule.within_appetite and above:
                raise ValueError(f"level {rule.level!r} is within appetite although a lower level is not")
            above = above or not rule.within_appetite
            if rule.within_appetite and rule.accept_role is None:
                raise ValueError(f"level {rule.level!r} is within appetite, so some role must be able to accept it")
            needed = ROLE_AUTHORITY[rule.accept_role] if rule.accept_role else 99
            if needed < authority:
                raise ValueError(f"level {rule.level!r} needs less authority to accept than a lower level")
            authority = needed
        if not ordered[0].within_appetite:
            raise ValueError(f"the lowest level ({ordered[0].level!r}) must be within appetite")
        return self

    # --- arithmetic ---------------------------------------------------------------------------------

    @property
    def size(self) -> tuple[int, int]:
        return len(self.likelihood), len(self.consequence)

    def check_scores(self, likelihood: int, consequence: int, *, what: str = "") -> None:
        prefix = f"{what} " if what else ""
        n, m = self.size
        if not 1 <= likelihood <= n:
            raise ServiceError(f"{prefix}likelihood must be between 1 and {n}", field=f"{what}_likelihood".lstrip("_"))
        if not 1 <= consequence <= m:
            raise ServiceError(
                f"{prefix}consequence must be between 1 and {m}", field=f"{what}_consequence".lstrip("_")
            )

    @property
    def dimension_keys(self) -> list[str]:
        return [dimension.key for dimension in self.consequence_dimensions]

    def dimension(self, key: str) -> ConsequenceDimension | None:
        return next((d for d in self.consequence_dimensions if d.key == key), None)

    def consequences(
        self, single: int | None, per_dimension: dict[str, int] | None, *, what: str, partial: bool = False
    ) -> dict[str, int]:
        """The consequence per dimension from either one value (it holds for every dimension) or a value per
        dimension (every dimension rated, unless `partial`: a derived assessment rates only what its source rated).
        """
        field = f"{what}_consequence"
        if per_dimension:
            unknown = sorted(set(per_dimension) - set(self.dimension_keys))
            if unknown:
                raise ServiceError(
                    f"{what} consequence: unknown dimension {unknown[0]!r} (known: {', '.join(self.dimension_keys)})",
                    field=field,
                )
            missing = [key for key in self.dimension_keys if per_dimension.get(key) is None]
            if missing and not partial:
                name = next(d.name.lower() for d in self.consequence_dimensions if d.key == missing[0])
                raise ServiceError(f"rate the {what} consequence {name}", field=f"{field}_{missing[0]}")
            values = {key: per_dimension[key] for key in self.dimension_keys if per_dimension.get(key) is not None}
            if not values:
                raise ServiceError(f"rate the {what} consequence", field=field)
            if single is not None and single != max(values.values(), default=single):
                raise ServiceError(
                    f"{what} consequence {single} is not the highest of the values per dimension", field=field
                )
        elif single is not None:
            if not isinstance(single, int) or not 1 <= single <= len(self.consequence):
                raise ServiceError(f"{what} consequence must be between 1 and {len(self.consequence)}", field=field)
            values = dict.fromkeys(self.dimension_keys, single)
        else:
            raise ServiceError(f"rate the {what} consequence", field=field)
        m = len(self.consequence)
        for key, value in values.items():
            if not isinstance(value, int) or not 1 <= value <= m:
                raise ServiceError(f"{what} consequence: values between 1 and {m}", field=f"{field}_{key}")
        return values

    @staticmethod
    def consequence_of(values: dict[str, int]) -> int:
        """The consequence that enters the matrix: the highest over the dimensions."""
        return max(values.values())

    def level_key(self, likelihood: int, consequence: int) -> str:
        self.check_scores(likelihood, consequence)
        return self.matrix[likelihood - 1][consequence - 1]

    def level(self, key: str) -> RiskLevel | None:
        return next((level for level in self.levels if level.key == key), None)

    def rank(self, key: str) -> int:
        """1 for the lowest level; 0 for a key these criteria do not know (e.g. from an older version)."""
        for index, level in enumerate(self.levels, start=1):
            if level.key == key:
                return index
        return 0

    def rule(self, key: str) -> AppetiteRule | None:
        return next((rule for rule in self.appetite if rule.level == key), None)

    def within_appetite(self, key: str) -> bool:
        rule = self.rule(key)
        return bool(rule and rule.within_appetite)

    def scale_name(self, axis: str, value: int | None) -> str:
        scale = self.likelihood if axis == "likelihood" else self.consequence
        if value is None or not 1 <= value <= len(scale):
            return ""
        return scale[value - 1].name

    # --- storage ------------------------------------------------------------------------------------

    def as_json(self) -> dict:
        return self.model_dump(mode="json")

    def content_hash(self) -> str:
        canonical = json.dumps(self.as_json(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()


def _first_problem(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(part) for part in err.get("loc", ()))
    message = err.get("msg", "invalid").removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


def parse_criteria(content: dict) -> CriteriaData:
    """Validated criteria from a dict (a draft, an API body, a stored version); ServiceError on the first problem."""
    if not isinstance(content, dict):
        raise ServiceError("risk criteria must be an object")
    try:
        return CriteriaData.model_validate(content)
    except ValidationError as exc:
        raise ServiceError(f"the risk criteria are not valid: {_first_problem(exc)}", field="criteria") from None


def load_criteria_file(path: Path) -> CriteriaData:
    """A criteria YAML file (the shipped default, or a file an administrator prepared), checked whole."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ServiceError(f"{path.name}: cannot read risk criteria: {exc}") from None
    if not isinstance(raw, dict) or raw.get("format") != FILE_FORMAT:
        raise ServiceError(f"{path.name}: not a risk criteria file (format: {FILE_FORMAT} expected)")
    body = {key: value for key, value in raw.items() if key != "format"}
    try:
        return parse_criteria(body)
    except ServiceError as exc:
        raise ServiceError(f"{path.name}: {exc.message}") from None


@cache
def default_criteria() -> CriteriaData:
    """The criteria an organization starts from (parsed once per process)."""
    return load_criteria_file(DEFAULT_FILE)
