"""Reads for the classification pages and the API: what changed since, obligations grouped, answers for people."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from openaims.inventory.classification.catalog import EuCatalog
from openaims.inventory.classification.engine import _names
from openaims.inventory.models import AISystem, Classification
from openaims.inventory.services import SYSTEM_TERMS
from openaims.inventory.vocabulary import vocabulary


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
