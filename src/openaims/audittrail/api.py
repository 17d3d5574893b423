from __future__ import annotations

from datetime import date
from typing import Any

from django.http import StreamingHttpResponse
from ninja import Router, Schema

from openaims.api.auth import tenant_for
from openaims.api.schemas import ERRORS, Date, Page, paginate_queryset
from openaims.audittrail import registry
from openaims.audittrail.chain import verify_chain
from openaims.audittrail.selectors import EventFilter, event_dict, events_for_organization, export_jsonl
from openaims.comments.models import Comment
from openaims.tenancy.access import ApiRequest
from openaims.tenancy.roles import Perm

router = Router(tags=["audit trail"])


class EventOut(Schema):
    seq: int
    organization_id: int | None
    occurred_at: str
    occurred_at_us: int
    actor_id: int | None
    actor: str
    actor_kind: str  # "user", "system" (the organization's system actor) or "" for nobody
    object_type: str
    object_id: str
    object_repr: str
    action: str
    changes: dict[str, Any]
    changes_canonical: str
    context: dict[str, Any]
    context_canonical: str
    prev_hash: str
    hash: str


class VerifyOut(Schema):
    ok: bool
    checked: int
    head_seq: int
    head_hash: str
    problem: str | None
    seq: int | None
    reason: str | None


class CommentOut(Schema):
    id: int
    author: str
    body: str
    created_at: str


class HistoryOut(Schema):
    object_type: str
    object_id: str
    events: list[EventOut]
    comments: list[CommentOut]


def _filter(
    action: str, object_type: str, object_id: str, actor: str, since: date | None, until: date | None
) -> EventFilter:
    return EventFilter(
        action=action, object_type=object_type, object_id=object_id, actor=actor, since=since, until=until
    )


@router.get("/orgs/{org}/audit/events", response={200: Page[EventOut], **ERRORS})
def events_list(
    request: ApiRequest,
    org: str,
    action: str = "",
    object_type: str = "",
    object_id: str = "",
    actor: str = "",
    since: Date | None = None,
    until: Date | None = None,
    page: int = 1,
    page_size: int = 100,
) -> dict[str, Any]:
    tenant = tenant_for(request, org, Perm.AUDIT_LOG)
    events = events_for_organization(tenant.organization, _filter(action, object_type, object_id, actor, since, until))
    return paginate_queryset(events, page, page_size, event_dict)


@router.get(
    "/orgs/{org}/audit/events.jsonl",
    response={200: None, **ERRORS},
    summary="Export events as JSON Lines (oldest first)",
)
def events_export(
    request: ApiRequest,
    org: str,
    action: str = "",
    object_type: str = "",
    object_id: str = "",
    actor: str = "",
    since: Date | None = None,
    until: Date | None = None,
) -> StreamingHttpResponse:
    tenant = tenant_for(request, org, Perm.AUDIT_LOG)
    events = events_for_organization(tenant.organization, _filter(action, object_type, object_id, actor, since, until))
    response = StreamingHttpResponse(export_jsonl(events), content_type="application/x-ndjson")
    response["Content-Disposition"] = f'attachment; filename="audit-{tenant.organization.slug}.jsonl"'
    return response


@router.get("/orgs/{org}/audit/verify", response={200: VerifyOut, **ERRORS}, summary="Walk the hash chain")
def audit_verify(request: ApiRequest, org: str) -> dict[str, Any]:
    tenant = tenant_for(request, org, Perm.AUDIT_LOG)
    result = verify_chain(tenant.organization.pk)
    return {
        "ok": result.ok,
        "checked": result.checked,
        "head_seq": result.head_seq,
        "head_hash": result.head_hash,
        "problem": result.problem,
        "seq": result.seq,
        "reason": result.reason,
    }


@router.get(
    "/orgs/{org}/history/{object_type}/{object_id}",
    response={200: HistoryOut, **ERRORS},
    summary="An object's history and comments",
)
def history(request: ApiRequest, org: str, object_type: str, object_id: str) -> dict[str, Any]:
    tenant = tenant_for(request, org, Perm.READ)
    kind, obj = registry.resolve(tenant, object_type, object_id)
    events = events_for_organization(tenant.organization, EventFilter(object_type=kind.label, object_id=str(obj.pk)))
    comments = Comment.objects.for_object(tenant.organization, kind.label, obj.pk).select_related("author")
    return {
        "object_type": kind.label,
        "object_id": str(obj.pk),
        "events": [event_dict(e) for e in events[:500]],
        "comments": [
            {"id": c.pk, "author": c.author.username, "body": c.body, "created_at": c.created_at.isoformat()}
            for c in comments
        ],
    }
