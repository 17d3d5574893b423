from __future__ import annotations

from django.shortcuts import render

from openaims.catalog import selectors
from openaims.lib.htmx import is_htmx
from openaims.lib.pagination import paginate, query_without_page
from openaims.tenancy.access import tenant_view
from openaims.tenancy.roles import Perm


@tenant_view(Perm.READ)
def frameworks_view(request):
    frameworks = [(f, selectors.framework_slug(f)) for f in selectors.frameworks_with_counts()]
    return render(request, "catalog/frameworks.html", {"frameworks": frameworks})


@tenant_view(Perm.READ)
def framework_view(request, framework: str):
    fw = selectors.get_framework(framework)
    q, kind = request.GET.get("q", "").strip(), request.GET.get("kind", "").strip()
    nodes = selectors.framework_nodes(fw, q=q, kind=kind)
    context = {
        "framework": fw,
        "slug": framework,
        "q": q,
        "kind": kind,
        "kinds": selectors.node_kinds(fw),
        "page": paginate(request, nodes, per_page=200),
        "query": query_without_page(request),
        "searching": bool(q or kind),
        "dates": list(fw.dates.all()),
    }
    template = "catalog/_nodes.html" if is_htmx(request) else "catalog/framework.html"
    return render(request, template, context)


@tenant_view(Perm.READ)
def node_view(request, urn: str):
    node = selectors.get_node(urn)
    return render(
        request,
        "catalog/node.html",
        {
            "node": node,
            "slug": selectors.framework_slug(node.framework),
            "ancestors": selectors.node_ancestors(node),
            "children": node.children.filter(retired=False).order_by("order"),
            "mappings": selectors.node_mappings(node),
        },
    )
