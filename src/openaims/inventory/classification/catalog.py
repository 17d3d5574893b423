"""The EU AI Act catalog as the classification wizard reads it: its nodes, URNs and routes (one query, cached)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from openaims.catalog.models import CatalogNode, Framework
from openaims.inventory.classification.nodes import EU_AI_ACT, NOT_LOADED, Node
from openaims.inventory.classification.questions import Question, _build_questions
from openaims.lib.errors import ServiceError


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


def catalog_loaded() -> bool:
    """Whether the EU AI Act catalog is loaded (one query, without reading its nodes)."""
    return Framework.objects.filter(urn=EU_AI_ACT).exists()


def require_catalog() -> EuCatalog:
    catalog = eu_catalog()
    if catalog is None:
        raise ServiceError(NOT_LOADED, code="catalog_not_loaded")
    return catalog
