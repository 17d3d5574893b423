"""The decision: EU AI Act classification from the answers, with its reasoning and obligations.

Only the order of the decision is code: prohibited → high-risk (Annex I, then Annex III unless an Art. 6(3)
derogation holds) → transparency → minimal, with general-purpose AI model duties beside it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from openaims.inventory.classification.catalog import EuCatalog
from openaims.inventory.classification.nodes import (
    ANNEX_III,
    ART_5,
    ART_50,
    ART_53,
    ART_55,
    ROUTE_ANNEX_I,
    ROUTE_ANNEX_III,
    ROUTE_DEROGATION,
)
from openaims.inventory.classification.questions import Answers, _practice_title
from openaims.inventory.models import RiskClass
from openaims.inventory.vocabulary import vocabulary


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
    """Steps 2-5 of the wizard: Annex I, Annex III with the Art. 6(3) derogation, then Art. 50 transparency."""
    annex_i = catalog.by_route(ROUTE_ANNEX_I)
    annex_i_ref = annex_i.ref_id if annex_i else "Art. 6(1)"
    high = _annex_i(answers, annex_i, annex_i_ref, routes, say)
    high = _annex_iii(answers, catalog, roles, routes, say, high=high, annex_i_ref=annex_i_ref)
    _transparency(answers, catalog, transparency, say)
    if high:
        return RiskClass.HIGH_RISK
    return RiskClass.LIMITED_RISK if transparency else RiskClass.MINIMAL


def _annex_i(answers: Answers, annex_i, annex_i_ref: str, routes: set, say) -> bool:
    high = False
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

    return high


def _annex_iii(
    answers: Answers, catalog: EuCatalog, roles: set, routes: set, say, *, high: bool, annex_i_ref: str
) -> bool:
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

    return high


def _transparency(answers: Answers, catalog: EuCatalog, transparency: list, say) -> None:
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
