from __future__ import annotations

from django.http import StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone

from openaims.audittrail import registry
from openaims.audittrail.chain import verify_chain
from openaims.audittrail.history import history_context
from openaims.audittrail.selectors import EventFilter, distinct_values, events_for_organization, export_jsonl
from openaims.lib.htmx import is_htmx
from openaims.lib.pagination import paginate, query_without_page
from openaims.tenancy.access import TenantRequest, tenant_view
from openaims.tenancy.roles import Perm


@tenant_view(Perm.AUDIT_LOG)
def log_view(request: TenantRequest) -> HttpResponseBase:
    org = request.tenant.organization
    flt = EventFilter.from_query(request.GET)
    page = paginate(request, events_for_organization(org, flt).select_related(None), per_page=50)
    registry.label_events(page.object_list)
    context = {
        "page": page,
        "filter": flt,
        "query": query_without_page(request),
        "actions": [(action, registry.any_action_label(action)) for action in distinct_values(org, "action")],
        "object_types": [(label, registry.type_title(label)) for label in distinct_values(org, "object_type")],
    }
    template = "audittrail/_event_rows.html" if is_htmx(request) else "audittrail/log.html"
    return render(request, template, context)


@tenant_view(Perm.AUDIT_LOG)
def export_view(request: TenantRequest) -> HttpResponseBase:
    org = request.tenant.organization
    events = events_for_organization(org, EventFilter.from_query(request.GET))
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    response = StreamingHttpResponse(export_jsonl(events), content_type="application/x-ndjson")
    response["Content-Disposition"] = f'attachment; filename="audit-{org.slug}-{stamp}.jsonl"'
    return response


@tenant_view(Perm.AUDIT_LOG)
def verify_view(request: TenantRequest) -> HttpResponseBase:
    result = verify_chain(request.tenant.organization.pk)
    return render(request, "audittrail/_verify.html", {"result": result})


@tenant_view(Perm.READ)
def history_view(request: TenantRequest, object_type: str, object_id: str) -> HttpResponseBase:
    """The history of one object: every audit event filed under it, and its comments."""
    context = history_context(request, request.tenant, object_type, object_id)
    template = "audittrail/_history.html" if is_htmx(request) else "audittrail/history.html"
    return render(request, template, context)
