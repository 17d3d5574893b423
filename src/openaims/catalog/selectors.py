"""Reads of the catalog for pages, the API and (later) the SoA and coverage views."""

from __future__ import annotations

from django.db.models import Count, Q
from django.http import Http404

from openaims.catalog.models import CatalogNode, CrosswalkRelation, Framework

FRAMEWORK_URN_PREFIX = "urn:openaims:framework:"


def framework_slug(framework: Framework) -> str:
    return framework.urn.removeprefix(FRAMEWORK_URN_PREFIX)


def frameworks_with_counts():
    return Framework.objects.annotate(
        node_count=Count("nodes", filter=Q(nodes__retired=False)),
        assessable_count=Count("nodes", filter=Q(nodes__retired=False, nodes__assessable=True)),
    ).order_by("name")


def get_framework(slug: str) -> Framework:
    framework = Framework.objects.filter(urn=FRAMEWORK_URN_PREFIX + slug).first()
    if framework is None:
        raise Http404("No such framework")
    return framework


def framework_nodes(framework: Framework, *, q: str = "", kind: str = ""):
    nodes = CatalogNode.objects.filter(framework=framework, retired=False)
    if q:
        nodes = nodes.filter(Q(ref_id__icontains=q) | Q(title__icontains=q) | Q(description__icontains=q))
    if kind:
        nodes = nodes.filter(kind=kind)
    return nodes.order_by("order")


def node_kinds(framework: Framework) -> list[str]:
    return list(
        CatalogNode.objects.filter(framework=framework, retired=False)
        .order_by("kind")
        .values_list("kind", flat=True)
        .distinct()
    )


def get_node(urn: str) -> CatalogNode:
    node = CatalogNode.objects.select_related("framework", "parent").filter(urn=urn).first()
    if node is None:
        raise Http404("No such catalog node")
    return node


def node_ancestors(node: CatalogNode) -> list[CatalogNode]:
    chain, current = [], node.parent
    while current is not None:
        chain.append(current)
        current = current.parent
    return list(reversed(chain))


def node_mappings(node: CatalogNode) -> list[dict]:
    """Crosswalk relations in both directions, each as seen from this node."""
    out = []
    relations = CrosswalkRelation.objects.select_related("crosswalk", "source__framework", "target__framework").filter(
        Q(source=node) | Q(target=node)
    )
    for relation in relations:
        forward = relation.source_id == node.pk
        out.append(
            {
                "other": relation.target if forward else relation.source,
                "relation": relation.relation if forward else _inverse(relation.relation),
                "rationale": relation.rationale,
                "crosswalk": relation.crosswalk,
            }
        )
    return sorted(out, key=lambda m: (m["other"].framework.name, m["other"].order))


def _inverse(relation: str) -> str:
    return {"subset": "superset", "superset": "subset"}.get(relation, relation)


def frameworks_with_controls() -> list[Framework]:
    """Frameworks that offer controls an organization can adopt, by name."""
    return list(Framework.objects.filter(nodes__kind="control", nodes__retired=False).distinct().order_by("name"))


def framework_loaded(urn: str) -> bool:
    return Framework.objects.filter(urn=urn).exists()


def search_assessable(q: str, *, exclude=(), limit: int = 25) -> list[CatalogNode]:
    """Assessable, current nodes whose id or title contains `q` (or whose URN is `q`), with their framework."""
    return list(
        CatalogNode.objects.filter(retired=False, assessable=True)
        .filter(Q(ref_id__icontains=q) | Q(title__icontains=q) | Q(urn=q))
        .exclude(pk__in=exclude)
        .select_related("framework")
        .order_by("framework__name", "order")[:limit]
    )
