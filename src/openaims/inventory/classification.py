"""EU AI Act classification of an AI system (Art. 5, 6, 50 and Chapter V; legal requirements under 4.1).

The questions and their options come from the EU AI Act catalog (`catalog/data/frameworks/eu-ai-act.yaml`):
the Art. 5 practices, the Annex III points, the Art. 6(3) conditions and the Art. 50 cases are its nodes,
and which obligations follow is read from their annotations (`roles`, `applies_to_risk_class`, `route`,
`annex_iii_points`, `trigger`, `systemic_risk`, `condition`). Only the order of the decision is code:
prohibited → high-risk (Annex I, then Annex III unless an Art. 6(3) derogation holds) → transparency →
minimal, with general-purpose AI model duties beside it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from pydantic import BaseModel, ConfigDict, ValidationError

from openaims.audittrail.services import record_event
from openaims.catalog.models import CatalogNode, Framework
from openaims.inventory.models import AISystem, Classification, RiskClass
from openaims.inventory.services import SYSTEM_TERMS
from openaims.inventory.vocabulary import vocabulary
from openaims.lib.errors import Forbidden, ServiceError
from openaims.tenancy.models import Tenant
from openaims.tenancy.roles import Perm

EU_AI_ACT = "urn:openaims:framework:eu-ai-act"
PREFIX = "urn:openaims:eu-ai-act:"
NOT_LOADED = "the EU AI Act catalog is not loaded; run `aims catalog load` first"

# Where each question's options sit in the catalog: the law's own articles, found by URN or route.
ART_5 = PREFIX + "art-5"
ANNEX_III = PREFIX + "annex-iii"
ART_50 = PREFIX + "art-50"
ART_51 = PREFIX + "art-51"
ART_53 = PREFIX + "art-53"
ART_55 = PREFIX + "art-55"
ROUTE_ANNEX_I = "annex_i"
ROUTE_ANNEX_III = "annex_iii"
ROUTE_DEROGATION = "annex_iii_derogation"

ACTION_CLASSIFY = "classify"


# --- the catalog, as the wizard reads it -------------------------------------------------------------


@dataclass(frozen=True)
class Node:
    urn: str
    parent: str | None
    ref_id: str
    kind: str
    title: str
    description: str
    guidance: str
    annotations: dict
    assessable: bool

    @property
    def condition(self) -> str:
        return self.annotations.get("condition", "")


@dataclass
class EuCatalog:
    """The loaded EU AI Act nodes (not retired) in catalog order, with the wizard's questions."""

    content_hash: str
    version: int
    nodes: dict[str, Node]
    children: dict[str | None, list[str]] = field(default_factory=dict)

    def __post_init__(self):
        for node in self.nodes.values():
            self.children.setdefault(node.parent, []).append(node.urn)

    def get(self, urn: str | None) -> Node | None:
        return self.nodes.get(urn) if urn else None

    def kids(self, urn: str) -> list[Node]:
        return [self.nodes[u] for u in self.children.get(urn, [])]

    def is_within(self, urn: str, ancestor: str) -> bool:
        current = self.get(urn)
        while current is not None:
            if current.urn == ancestor:
                return True
            current = self.get(current.parent)
        return False

    def article_of(self, urn: str) -> Node | None:
        """The article (or annex) a node belongs to, for grouping; a node without one is its own group."""
        current = self.get(urn)
        while current is not None:
            if current.kind in ("article", "annex"):
                return current
            current = self.get(current.parent)
        return self.get(urn)

    def by_route(self, route: str) -> Node | None:
        return next((n for n in self.nodes.values() if n.annotations.get("route") == route and not n.assessable), None)

    @cached_property
    def questions(self) -> list[Question]:
        return _build_questions(self)

    @cached_property
    def options(self) -> dict[str, list[str]]:
        """Answer key → the URNs it accepts, in catalog order."""
        return {q.key: [o.urn for o in q.all_options] for q in self.questions if q.kind == "multi"}

    @cached_property
    def obligation_nodes(self) -> list[Node]:
        """Nodes that carry a duty: annotated with roles and a class or route, and either assessable or a leaf.

        Route provisions (Art. 6(1)-(3)) describe how a system is classified; the reasoning cites them.
        """
        found = []
        for node in self.nodes.values():
            a = node.annotations
            if not a.get("roles") or not (a.get("applies_to_risk_class") or a.get("route")):
                continue
            leaf = not self.children.get(node.urn)
            if node.assessable or (leaf and not a.get("route")):
                found.append(node)
        return found


_CACHE: dict[str, EuCatalog] = {}


def eu_catalog() -> EuCatalog | None:
    """The EU AI Act catalog, or None when it is not loaded. Kept in memory per content hash (one query)."""
    framework = Framework.objects.filter(urn=EU_AI_ACT).values("pk", "content_hash", "version").first()
    if framework is None:
        return None
    cached = _CACHE.get(framework["content_hash"])
    if cached is not None:
        return cached
    rows = (
        CatalogNode.objects.filter(framework_id=framework["pk"], retired=False)
        .order_by("order")
        .values_list(
            "urn", "parent__urn", "ref_id", "kind", "title", "description", "guidance", "annotations", "assessable"
        )
    )
    nodes = {row[0]: Node(*row[:7], annotations=row[7] or {}, assessable=row[8]) for row in rows}
    catalog = EuCatalog(content_hash=framework["content_hash"], version=framework["version"], nodes=nodes)
    _CACHE.clear()  # one content version at a time is enough
    _CACHE[framework["content_hash"]] = catalog
    return catalog


def require_catalog() -> EuCatalog:
    catalog = eu_catalog()
    if catalog is None:
        raise ServiceError(NOT_LOADED, code="catalog_not_loaded")
    return catalog


# --- the questions ----------------------------------------------------------------------------------


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


# --- the decision -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    result: str  # a RiskClass value
    reasoning: list[dict]  # {step, finding, urn}
    obligations: list[str]
    transparency: list[str]
    gpai: bool
    routes: tuple[str, ...] = ()


def operator_roles(role_key: str) -> set[str]:
    """The EU AI Act operator roles (Art. 3) of the organization's register role."""
    role = vocabulary().role(role_key)
    return set(role.eu_ai_act) if role else set()


def _names(catalog: EuCatalog, urns: Iterable[str]) -> str:
    parts = []
    for urn in urns:
        node = catalog.get(urn)
        parts.append(f"{node.ref_id} ({node.title})" if node else urn)
    return "; ".join(parts)


def classify(answers: Answers, catalog: EuCatalog, *, roles: Iterable[str], role_label: str = "") -> Result:
    """Decide the risk class for `answers` (already cleaned) and list the obligations for operator `roles`."""
    roles = set(roles)
    reasoning: list[dict] = []

    def say(step: str, finding: str, urn: str | None = None):
        reasoning.append({"step": step, "finding": finding, "urn": urn})

    operators = f"an EU AI Act {' and '.join(sorted(roles))}" if roles else "no EU AI Act operator role"
    who = f"{role_label}, {operators}" if role_label else operators
    say("Role", f"The organization's role for this system is {who}; obligations are listed for that role.")

    routes: set[str] = set()
    transparency: list[str] = []
    gpai = answers.gpai_model

    # 1. Art. 5: a prohibited practice ends the classification.
    if answers.prohibited_practices:
        for urn in answers.prohibited_practices:
            node = catalog.get(urn)
            say(
                "Prohibited practice",
                f"{node.ref_id}: {_practice_title(node)}. The system may not be placed on the market, put into "
                "service or used in the EU.",
                urn,
            )
        result = RiskClass.PROHIBITED
    else:
        say("Prohibited practice", "None of the Art. 5(1) practices applies.", ART_5)
        result = _high_risk_or_lower(answers, catalog, roles, routes, transparency, say)

    # 6. General-purpose AI models: Chapter V duties beside the system's class, for the model's provider.
    if gpai and result != RiskClass.PROHIBITED:
        _gpai_reasoning(answers, catalog, roles, say)

    obligations = _obligations(answers, catalog, result=result, roles=roles, routes=routes, transparency=transparency)
    say("Result", _summary(result, answers, catalog, routes, transparency, gpai, len(obligations)))
    return Result(
        result=str(result),
        reasoning=reasoning,
        obligations=obligations,
        transparency=transparency if result != RiskClass.PROHIBITED else [],
        gpai=gpai,
        routes=tuple(sorted(routes)),
    )


def _gpai_reasoning(answers: Answers, catalog: EuCatalog, roles: set, say) -> None:
    art53, art55 = catalog.get(ART_53), catalog.get(ART_55)
    if "provider" not in roles:
        say(
            "General-purpose AI model",
            "A general-purpose AI model is involved, but its Chapter V duties fall on the model's provider, "
            "not on this organization's role.",
            art53.urn if art53 else None,
        )
        return
    finding = (
        f"The organization provides a general-purpose AI model: {art53.ref_id if art53 else 'Chapter V'} duties apply"
    )
    if answers.systemic_risk and art55:
        say(
            "General-purpose AI model",
            f"{finding}, and {art55.ref_id} duties for a model with systemic risk.",
            art55.urn,
        )
    else:
        say("General-purpose AI model", finding + ".", art53.urn if art53 else None)


def _high_risk_or_lower(answers: Answers, catalog: EuCatalog, roles: set, routes: set, transparency: list, say) -> str:
    high = False
    annex_i = catalog.by_route(ROUTE_ANNEX_I)
    annex_i_ref = annex_i.ref_id if annex_i else "Art. 6(1)"
    # 2. Annex I: a safety component of (or itself) a product needing third-party conformity assessment.
    if answers.annex_i_safety_component and answers.annex_i_third_party_assessment:
        routes.add(ROUTE_ANNEX_I)
        high = True
        say(
            "Annex I product",
            f"High-risk under {annex_i_ref}: the system is, or is a safety component of, an Annex I product that "
            "needs third-party conformity assessment.",
            annex_i.urn if annex_i else None,
        )
    elif answers.annex_i_safety_component:
        say(
            "Annex I product",
            "Part of an Annex I product that needs no third-party conformity assessment: "
            f"not high-risk under {annex_i_ref}.",
            annex_i.urn if annex_i else None,
        )
    else:
        say(
            "Annex I product",
            "Not a product, or a safety component of a product, under Annex I legislation.",
            annex_i.urn if annex_i else None,
        )

    # 3-4. Annex III, unless an Art. 6(3) condition holds and the system does not profile people.
    annex_iii_route = catalog.by_route(ROUTE_ANNEX_III)
    derogation = catalog.by_route(ROUTE_DEROGATION)
    derogation_ref = derogation.ref_id if derogation else "Art. 6(3)"
    conditions = _names(catalog, answers.derogation_conditions)
    conditions += " holds" if len(answers.derogation_conditions) == 1 else " hold"
    if answers.annex_iii_points:
        for urn in answers.annex_iii_points:
            node = catalog.get(urn)
            say("Annex III use case", f"The intended use falls under {node.ref_id}: {node.title}.", urn)
            if node.annotations.get("fria_required_for_all_deployers") and "deployer" in roles:
                say(
                    "Annex III use case",
                    f"For {node.ref_id} every deployer carries out a fundamental rights impact assessment before "
                    "first use, whatever kind of organization it is.",
                    urn,
                )
        if answers.derogation_conditions and answers.profiles_natural_persons:
            routes.add(ROUTE_ANNEX_III)
            high = True
            say(
                "Art. 6(3) derogation",
                f"The system profiles natural persons, so the {derogation_ref} derogation cannot apply even though "
                f"{conditions}: it stays high-risk.",
                derogation.urn if derogation else None,
            )
        elif answers.derogation_conditions:
            if high:
                say(
                    "Art. 6(3) derogation",
                    f"{derogation_ref} only lifts the Annex III route; "
                    f"the system is high-risk under {annex_i_ref} anyway.",
                    derogation.urn if derogation else None,
                )
            else:
                routes.add(ROUTE_DEROGATION)
                say(
                    "Art. 6(3) derogation",
                    f"Not high-risk: {conditions} and the system does not "
                    "profile natural persons. The provider documents this assessment before the system is placed on "
                    "the market or put into service, and registers it; the duties of this route are listed below.",
                    derogation.urn if derogation else None,
                )
        else:
            routes.add(ROUTE_ANNEX_III)
            high = True
            say(
                "Art. 6(3) derogation",
                f"No {derogation_ref} condition holds: high-risk under "
                f"{annex_iii_route.ref_id if annex_iii_route else 'Art. 6(2)'}.",
                annex_iii_route.urn if annex_iii_route else None,
            )
    else:
        say("Annex III use case", "No Annex III use case applies.", ANNEX_III)
        if answers.derogation_conditions:
            say(
                "Art. 6(3) derogation",
                f"{derogation_ref} conditions were ticked, but they only matter for an Annex III system.",
                derogation.urn if derogation else None,
            )

    # 5. Art. 50: transparency duties stack on top of any class below prohibited.
    if answers.transparency_cases:
        for urn in answers.transparency_cases:
            node = catalog.get(urn)
            transparency.append(urn)
            say(
                "Transparency",
                f"{node.ref_id}: {node.annotations.get('trigger', node.title)} — {node.title}.",
                urn,
            )
    else:
        say("Transparency", "No Art. 50 transparency case applies.", ART_50)

    if high:
        return RiskClass.HIGH_RISK
    return RiskClass.LIMITED_RISK if transparency else RiskClass.MINIMAL


def _active_classes(result: str, transparency: list, gpai: bool) -> set[str]:
    if result == RiskClass.PROHIBITED:
        return {"all", "prohibited"}
    active = {"all"}
    if result == RiskClass.HIGH_RISK:
        active.add("high_risk")
    if transparency:
        active.add("limited_risk")
    if gpai:
        active.add("gpai")
    return active


def _obligations(answers: Answers, catalog: EuCatalog, *, result, roles, routes, transparency) -> list[str]:
    """The catalog duties for this outcome and role, in catalog order (see the catalog header for the annotations)."""
    active = _active_classes(result, transparency, answers.gpai_model)
    # Option nodes (an Art. 5 practice, an Art. 50 case) apply only when chosen.
    chosen = {*answers.prohibited_practices, *transparency}
    options = {u for key in ("prohibited_practices", "transparency_cases") for u in catalog.options.get(key, [])}
    points = answers.annex_iii_points if ROUTE_ANNEX_III in routes else []
    found = []
    for node in catalog.obligation_nodes:
        a = node.annotations
        if not roles & set(a.get("roles", ())):
            continue
        if a.get("systemic_risk") and not (answers.gpai_model and answers.systemic_risk):
            continue
        if node.urn in options and node.urn not in chosen:
            continue
        route = a.get("route")
        if route:
            if route not in routes or result == RiskClass.PROHIBITED:
                continue
        elif not active & set(a.get("applies_to_risk_class", ())):
            continue
        scope = a.get("annex_iii_points")
        if scope and not any(catalog.is_within(p, s) for p in points for s in scope):
            continue
        found.append(node.urn)
    return found


def _summary(result, answers, catalog, routes, transparency, gpai, count) -> str:
    label = RiskClass(result).label
    if result == RiskClass.PROHIBITED:
        why = _refs(catalog, answers.prohibited_practices)
    elif result == RiskClass.HIGH_RISK:
        parts = []
        if ROUTE_ANNEX_I in routes:
            parts.append("Art. 6(1), Annex I product")
        if ROUTE_ANNEX_III in routes:
            parts.append("Art. 6(2), " + _refs(catalog, answers.annex_iii_points))
        why = "; ".join(parts)
    elif result == RiskClass.LIMITED_RISK:
        why = _refs(catalog, transparency)
    else:
        why = "no prohibited practice, high-risk use or transparency case"
    extras = []
    if ROUTE_DEROGATION in routes:
        extras.append("Annex III derogation under Art. 6(3) to document")
    if transparency and result == RiskClass.HIGH_RISK:
        extras.append("transparency duties of " + _refs(catalog, transparency))
    if gpai:
        extras.append("general-purpose AI model")
    text = f"{label} ({why})"
    if extras:
        text += "; " + "; ".join(extras)
    return f"{text}. {count} obligation(s) apply for this role."


def _refs(catalog: EuCatalog, urns: Iterable[str]) -> str:
    return ", ".join(catalog.get(u).ref_id if catalog.get(u) else u for u in urns)


# --- the service ------------------------------------------------------------------------------------


def classification_inputs(system: AISystem) -> dict:
    return {field: getattr(system, field) for field in AISystem.CLASSIFICATION_INPUTS}


def classification_record(*, actor: Tenant, system: AISystem, answers: Mapping[str, Any] | Answers) -> Classification:
    """Classify a system under the EU AI Act from the wizard's answers; the run is kept and becomes current."""
    if system.organization_id != actor.organization.pk or not actor.can(Perm.WRITE) or actor.user is None:
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
            created_by=actor.user,
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


# --- reads for pages and the API --------------------------------------------------------------------


def _blank(value):
    return None if value in ("", None) else value


def input_changes(system: AISystem, classification: Classification | None) -> list[dict]:
    """What changed in the system's classification inputs since the answers were given."""
    if classification is None:
        return []
    rows = []
    for name in AISystem.CLASSIFICATION_INPUTS:
        before, after = _blank(classification.inputs.get(name)), _blank(getattr(system, name))
        if before == after:
            continue
        terms = SYSTEM_TERMS.get(name)
        if terms:
            before = vocabulary().label(terms, before) if before else None
            after = vocabulary().label(terms, after) if after else None
        label = str(AISystem._meta.get_field(name).verbose_name)
        rows.append({"field": name, "label": label[:1].upper() + label[1:], "before": before, "after": after})
    return rows


def obligation_groups(catalog: EuCatalog | None, urns: Iterable[str]) -> list[dict]:
    """Obligations grouped by article, each with the catalog's condition text; unknown URNs kept as such."""
    groups: dict[str, dict] = {}
    for urn in urns:
        node = catalog.get(urn) if catalog else None
        if node is None:
            group = groups.setdefault(
                "", {"urn": "", "ref_id": "", "title": "No longer in the catalog", "items": [], "single": False}
            )
            group["items"].append(
                {"urn": urn, "ref_id": "", "title": urn, "description": "", "condition": "", "trigger": ""}
            )
            continue
        article = catalog.article_of(urn) or node
        group = groups.setdefault(
            article.urn,
            # `single`: the duty is the article itself (Art. 4), shown once rather than as group and item.
            {"urn": article.urn, "ref_id": article.ref_id, "title": article.title, "items": [], "single": False},
        )
        group["single"] = article.urn == urn and not group["items"]
        group["items"].append(
            {
                "urn": node.urn,
                "ref_id": node.ref_id,
                "title": node.title,
                "description": node.description,
                "condition": node.condition,
                "trigger": node.annotations.get("trigger", ""),
                "systemic_risk": bool(node.annotations.get("systemic_risk")),
            }
        )
    return list(groups.values())


def answer_summary(catalog: EuCatalog | None, answers: Mapping[str, Any]) -> list[dict]:
    """The answers as {label, values} in question order, for pages."""
    if catalog is None:
        return []
    rows = []
    for q in catalog.questions:
        value = answers.get(q.key)
        if q.kind == "multi":
            values = [_names(catalog, [u]) for u in value or []]
            rows.append({"step": q.step, "label": q.label, "values": values or ["None"]})
        else:
            rows.append({"step": q.step, "label": q.label, "values": ["Yes" if value else "No"]})
    return rows


def classification_panel(tenant, system) -> dict:
    """What the system page shows about the classification (template `inventory/_classification_panel.html`)."""
    current: Classification | None = system.classification if system.classification_id else None
    args = [tenant.organization.slug, system.pk]
    panel = {
        "system": system,
        "classification": current,
        "classified": current is not None,
        "result": system.risk_class,
        "result_label": RiskClass(system.risk_class).label,
        "summary": "",
        "reasoning": [],
        "obligation_count": 0,
        "transparency_count": 0,
        "gpai": False,
        "stale": bool(current and system.classification_stale),
        "changes": [],
        "catalog_loaded": True,
        "can_write": tenant.can(Perm.WRITE),
        "wizard_url": reverse("inventory:classification_wizard", args=args),
        "history_url": reverse("inventory:classification_history", args=args),
        "detail_url": "",
    }
    if current is None:
        panel["catalog_loaded"] = Framework.objects.filter(urn=EU_AI_ACT).exists()
        return panel
    reasoning = current.reasoning or []
    panel.update(
        summary=reasoning[-1]["finding"] if reasoning else "",
        reasoning=[r for r in reasoning if r.get("step") not in ("Role", "Result")],
        obligation_count=len(current.obligations or []),
        transparency_count=len(current.transparency or []),
        gpai=current.gpai,
        changes=input_changes(system, current) if panel["stale"] else [],
        detail_url=reverse("inventory:classification_detail", args=[*args, current.pk]),
    )
    return panel
