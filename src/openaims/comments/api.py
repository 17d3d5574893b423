from __future__ import annotations

from typing import Any

from ninja import Router, Schema, Status
from pydantic import Field

from openaims.api.auth import tenant_for
from openaims.api.schemas import Error
from openaims.audittrail import registry
from openaims.comments.services import MAX_COMMENT, comment_add
from openaims.tenancy.access import ApiRequest
from openaims.tenancy.roles import Perm

router = Router(tags=["comments"])


class CommentIn(Schema):
    body: str = Field(..., min_length=1, max_length=MAX_COMMENT)


class CommentCreated(Schema):
    id: int
    author: str
    body: str
    created_at: str


@router.post(
    "/orgs/{org}/comments/{object_type}/{object_id}",
    response={201: CommentCreated, 400: Error, 401: Error, 403: Error, 404: Error, 422: Error},
)
def comments_add(
    request: ApiRequest, org: str, object_type: str, object_id: str, payload: CommentIn
) -> Status[dict[str, Any]]:
    tenant = tenant_for(request, org, Perm.COMMENT)
    _kind, obj = registry.resolve(tenant, object_type, object_id)
    comment = comment_add(actor=tenant.user, organization=tenant.organization, target=obj, body=payload.body)
    return Status(
        201,
        {
            "id": comment.pk,
            "author": tenant.user.username,
            "body": comment.body,
            "created_at": comment.created_at.isoformat(),
        },
    )
