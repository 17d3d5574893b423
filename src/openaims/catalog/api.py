from __future__ import annotations

from ninja import Router, Schema

from openaims.api.auth import tenant_for
from openaims.api.schemas import ERRORS, Page, paginate_queryset
from openaims.catalog import selectors
from openaims.tenancy.roles import Perm

router = Router(tags=["catalog"])


class FrameworkOut(Schema):
    slug: str
    urn: str
    ref_id: str
    name: str
    version: int
    publisher: str
    copyright: str
    nodes: int
    assessable: int


class NodeOut(Schema):
    urn: str
    parent: str | None
    ref_id: str
    kind: str
    title: str
    description: str
    guidance: str
    typical_evidence: list[str]
    assessable: bool
    depth: int


class MappingOut(Schema):
    framework: str
    urn: str
    ref_id: str
    title: str
    relation: str
    rationale: str
    crosswalk: str
    official: bool


class NodeDetailOut(NodeOut):
    framework: str
    mappings: list[MappingOut]


def _node(node) -> dict:
    return {
        "urn": node.urn,
        "parent": node.parent.urn if node.parent_id else None,
        "ref_id": node.ref_id,
        "kind": node.kind,
        "title": node.title,
        "description": node.description,
        "guidance": node.guidance,
        "typical_evidence": node.typical_evidence,
        "assessable": node.assessable,
        "depth": node.depth,
    }


@router.get("/orgs/{org}/catalog/frameworks", response={200: list[FrameworkOut], **ERRORS})
def frameworks(request, org: str):
    tenant_for(request, org, Perm.READ)
    return [
        {
            "slug": selectors.framework_slug(f),
            "urn": f.urn,
            "ref_id": f.ref_id,
            "name": f.name,
            "version": f.version,
            "publisher": f.publisher,
            "copyright": f.copyright,
            "nodes": f.node_count,
            "assessable": f.assessable_count,
        }
        for f in selectors.frameworks_with_counts()
    ]


@router.get("/orgs/{org}/catalog/frameworks/{framework}/nodes", response={200: Page[NodeOut], **ERRORS})
def framework_nodes(
    request, org: str, framework: str, q: str = "", kind: str = "", page: int = 1, page_size: int = 200
):
    tenant_for(request, org, Perm.READ)
    nodes = selectors.framework_nodes(selectors.get_framework(framework), q=q, kind=kind).select_related("parent")
    return paginate_queryset(nodes, page, page_size, _node)


@router.get("/orgs/{org}/catalog/nodes/{urn}", response={200: NodeDetailOut, **ERRORS})
def node_detail(request, org: str, urn: str):
    tenant_for(request, org, Perm.READ)
    node = selectors.get_node(urn)
    return {
        **_node(node),
        "framework": selectors.framework_slug(node.framework),
        "mappings": [
            {
                "framework": selectors.framework_slug(m["other"].framework),
                "urn": m["other"].urn,
                "ref_id": m["other"].ref_id,
                "title": m["other"].title,
                "relation": m["relation"],
                "rationale": m["rationale"],
                "crosswalk": m["crosswalk"].name,
                "official": m["crosswalk"].official,
            }
            for m in selectors.node_mappings(node)
        ],
    }
