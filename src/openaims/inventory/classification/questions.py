"""The wizard's questions, built from the EU AI Act catalog's nodes, and the validated answers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, ValidationError

from openaims.inventory.classification.nodes import (
    ANNEX_III,
    ART_5,
    ART_50,
    ART_51,
    ART_53,
    PREFIX,
    ROUTE_ANNEX_I,
    ROUTE_DEROGATION,
    Node,
)
from openaims.lib.errors import ServiceError

if TYPE_CHECKING:  # the catalog builds its questions from this module
    from openaims.inventory.classification.catalog import EuCatalog


@dataclass(frozen=True)
class Option:
    urn: str
    ref_id: str
    title: str
    description: str
    hint: str = ""  # e.g. the trigger of an Art. 50 duty


@dataclass(frozen=True)
class Group:
    ref_id: str
    title: str
    options: list[Option]


@dataclass(frozen=True)
class Question:
    """One answer key. `multi` questions take catalog URNs from `options`/`groups`; `bool` ones true/false."""

    key: str
    step: int
    kind: str  # multi | bool
    label: str
    help: str = ""
    source: str = ""  # URN of the catalog node the question comes from
    options: list[Option] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)

    @property
    def all_options(self) -> list[Option]:
        return [*self.options, *(o for g in self.groups for o in g.options)]


STEPS = {
    1: "Prohibited practices",
    2: "Product safety (Annex I)",
    3: "High-risk use cases (Annex III)",
    4: "Derogation for Annex III systems",
    5: "Transparency",
    6: "General-purpose AI model",
}


def _option(node: Node, *, title: str | None = None, hint: str = "") -> Option:
    return Option(node.urn, node.ref_id, title or node.title, node.description, hint)


def _practice_title(node: Node) -> str:
    # Catalog titles say what the organization does not do ("No social scoring ..."); the question asks
    # whether the system does it.
    title = node.title
    return title[3].upper() + title[4:] if title.startswith("No ") and len(title) > 4 else title


def _build_questions(catalog: EuCatalog) -> list[Question]:
    """The wizard's questions, step by step; a step whose catalog nodes are missing asks nothing."""
    steps = (
        _step_prohibited_practices,
        _step_annex_i,
        _step_annex_iii,
        _step_derogation,
        _step_transparency,
        _step_gpai,
    )
    return [question for step in steps for question in step(catalog)]


def _step_prohibited_practices(catalog: EuCatalog) -> list[Question]:
    """Step 1: the Art. 5 practices."""
    questions: list[Question] = []
    art5 = catalog.get(ART_5)
    if art5:
        questions.append(
            Question(
                "prohibited_practices",
                1,
                "multi",
                f"Does the system do any of the practices banned by {art5.ref_id}?",
                art5.guidance,
                art5.urn,
                options=[_option(n, title=_practice_title(n)) for n in catalog.kids(ART_5)],
            )
        )
    return questions


def _step_annex_i(catalog: EuCatalog) -> list[Question]:
    """Step 2: a product or safety component under Annex I legislation."""
    questions: list[Question] = []
    annex_i = catalog.by_route(ROUTE_ANNEX_I)
    if annex_i:
        questions += [
            Question(
                "annex_i_safety_component",
                2,
                "bool",
                "The system is a product, or a safety component of a product, covered by the Union "
                f"harmonisation legislation listed in Annex I ({annex_i.ref_id}).",
                annex_i.description,
                annex_i.urn,
            ),
            Question(
                "annex_i_third_party_assessment",
                2,
                "bool",
                "That product has to undergo a third-party conformity assessment under that legislation.",
                "",
                annex_i.urn,
            ),
        ]
    return questions


def _step_annex_iii(catalog: EuCatalog) -> list[Question]:
    """Step 3: the Annex III uses, grouped by area."""
    questions: list[Question] = []
    annex_iii = catalog.get(ANNEX_III)
    if annex_iii:
        groups = []
        for area in catalog.kids(ANNEX_III):
            points = catalog.kids(area.urn)
            # An area without lettered points (critical infrastructure) is itself the use case.
            options = [_option(p) for p in points] if points else [_option(area)]
            groups.append(Group(area.ref_id, area.title, options))
        questions.append(
            Question(
                "annex_iii_points",
                3,
                "multi",
                f"Is the system intended for one of the uses listed in {annex_iii.ref_id}?",
                annex_iii.description,
                annex_iii.urn,
                groups=groups,
            )
        )
    return questions


def _step_derogation(catalog: EuCatalog) -> list[Question]:
    """Step 4: the Art. 6(3) conditions, and profiling."""
    questions: list[Question] = []
    derogation = catalog.by_route(ROUTE_DEROGATION)
    if derogation:
        questions += [
            Question(
                "derogation_conditions",
                4,
                "multi",
                f"For an Annex III system: does one of the {derogation.ref_id} conditions hold, so that it does "
                "not materially influence the outcome of decisions?",
                derogation.description,
                derogation.urn,
                options=[_option(n) for n in catalog.kids(derogation.urn)],
            ),
            Question(
                "profiles_natural_persons",
                4,
                "bool",
                "The system profiles natural persons.",
                "Profiling keeps an Annex III system high-risk whatever condition holds.",
                derogation.urn,
            ),
        ]
    return questions


def _step_transparency(catalog: EuCatalog) -> list[Question]:
    """Step 5: the Art. 50 transparency cases."""
    questions: list[Question] = []
    art50 = catalog.get(ART_50)
    if art50:
        cases = [n for n in catalog.kids(ART_50) if n.annotations.get("trigger")]
        questions.append(
            Question(
                "transparency_cases",
                5,
                "multi",
                f"Which {art50.ref_id} transparency cases does the system fall under?",
                art50.description,
                art50.urn,
                options=[_option(n, title=n.annotations["trigger"], hint=f"{n.ref_id} {n.title}") for n in cases],
            )
        )
    return questions


def _step_gpai(catalog: EuCatalog) -> list[Question]:
    """Step 6: general-purpose AI model duties and systemic risk."""
    questions: list[Question] = []
    art53, art51 = catalog.get(ART_53), catalog.get(ART_51)
    if art53:
        questions.append(
            Question(
                "gpai_model",
                6,
                "bool",
                "The organization provides a general-purpose AI model with or inside this system.",
                art53.description,
                art53.urn,
            )
        )
    if art51:
        questions.append(
            Question(
                "systemic_risk",
                6,
                "bool",
                f"The model has systemic risk ({art51.ref_id}).",
                art51.description,
                art51.urn,
            )
        )
    return questions


def questions_as_dict(catalog: EuCatalog) -> dict:
    """The question flow for the API: what to answer, with the catalog's options."""

    def option(o: Option) -> dict:
        return {"urn": o.urn, "ref_id": o.ref_id, "title": o.title, "description": o.description, "hint": o.hint}

    return {
        "catalog_version": catalog.content_hash,
        "steps": [{"number": n, "title": t} for n, t in STEPS.items()],
        "questions": [
            {
                "key": q.key,
                "step": q.step,
                "kind": q.kind,
                "label": q.label,
                "help": q.help,
                "source": q.source,
                "options": [option(o) for o in q.options],
                "groups": [
                    {"ref_id": g.ref_id, "title": g.title, "options": [option(o) for o in g.options]} for g in q.groups
                ],
            }
            for q in catalog.questions
        ],
    }


# --- the answers ------------------------------------------------------------------------------------


class Answers(BaseModel):
    """What the wizard asks. URN lists take the catalog's option URNs (their common prefix may be left out)."""

    model_config = ConfigDict(extra="forbid")

    prohibited_practices: list[str] = []
    annex_i_safety_component: bool = False
    annex_i_third_party_assessment: bool = False
    annex_iii_points: list[str] = []
    derogation_conditions: list[str] = []
    profiles_natural_persons: bool = False
    transparency_cases: list[str] = []
    gpai_model: bool = False
    systemic_risk: bool = False


URN_KEYS = ("prohibited_practices", "annex_iii_points", "derogation_conditions", "transparency_cases")
BOOL_KEYS = tuple(k for k in Answers.model_fields if k not in URN_KEYS)


def clean_answers(raw: Mapping[str, Any] | Answers, catalog: EuCatalog) -> Answers:
    """Check the answers against the catalog; a ServiceError names every unknown key or URN."""
    if isinstance(raw, Answers):
        raw = raw.model_dump()
    if not isinstance(raw, Mapping):
        raise ServiceError("the answers must be an object of answer keys", field="answers")
    try:
        answers = Answers.model_validate(dict(raw))
    except ValidationError as exc:
        problems = [f"{'.'.join(str(p) for p in e['loc']) or 'answers'}: {e['msg']}" for e in exc.errors()]
        raise ServiceError("the answers are not valid: " + "; ".join(problems), field="answers") from None
    cleaned: dict[str, Any] = answers.model_dump()
    for key in URN_KEYS:
        allowed = catalog.options.get(key, [])
        given = [u.strip() if u.strip().startswith("urn:") else PREFIX + u.strip() for u in cleaned[key]]
        unknown = [u for u in dict.fromkeys(given) if u not in allowed]
        if unknown:
            raise ServiceError(
                f"{key.replace('_', ' ')}: unknown URN(s) {', '.join(unknown)}; "
                f"see GET /orgs/{{org}}/eu-ai-act/questions for the options",
                field=key,
            )
        chosen = set(given)
        cleaned[key] = [u for u in allowed if u in chosen]  # catalog order, no duplicates
    return Answers(**cleaned)
