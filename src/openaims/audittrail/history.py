"""One object's history (its audit events and comments) as page context: the history page and the History tab of an
object page (e.g. the AI system's) render `audittrail/_history.html` from it."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from openaims.audittrail import registry
from openaims.audittrail.selectors import EventFilter, events_for_organization
from openaims.comments.forms import CommentForm
from openaims.comments.models import Comment
from openaims.lib.pagination import paginate
from openaims.tenancy.models import Tenant
from openaims.tenancy.roles import Perm

PER_PAGE = 50


def history_context(request: HttpRequest, tenant: Tenant, object_type: str, object_id: str) -> dict[str, Any]:
    """Events filed under the object (paginated by `?page=`), its comments and the comment form; 404 for an object
    the tenant cannot see (registry.resolve)."""
    kind, obj = registry.resolve(tenant, object_type, object_id)
    events = events_for_organization(tenant.organization, EventFilter(object_type=kind.label, object_id=str(obj.pk)))
    page = paginate(request, events, per_page=PER_PAGE)
    registry.label_events(page.object_list)
    return {
        "kind": kind,
        "obj": obj,
        "page": page,
        "comments": Comment.objects.for_object(tenant.organization, kind.label, obj.pk).select_related("author"),
        "object_url": kind.url(tenant, obj) if kind.url else None,
        "comment_form": CommentForm() if tenant.can(Perm.COMMENT) else None,
    }
