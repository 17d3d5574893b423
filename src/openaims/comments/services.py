from __future__ import annotations

from django.db import models, transaction

from openaims.accounts.models import User
from openaims.audittrail.services import object_type_of, record_event
from openaims.comments.models import Comment
from openaims.lib.errors import ServiceError
from openaims.tenancy.models import Organization

MAX_COMMENT = 10_000


def comment_add(*, actor: User, organization: Organization, target: models.Model, body: str) -> Comment:
    """Add a comment to `target` (an object already resolved inside the organization)."""
    body = (body or "").strip()
    if not body:
        raise ServiceError("a comment cannot be empty", field="body")
    if len(body) > MAX_COMMENT:
        raise ServiceError(f"a comment can be at most {MAX_COMMENT} characters", field="body")
    with transaction.atomic():
        comment = Comment.objects.create(
            organization=organization,
            object_type=object_type_of(target),
            object_id=str(target.pk),
            author=actor,
            body=body,
        )
        # The event is filed under the commented object, so it shows in that object's history.
        record_event(
            actor=actor,
            organization=organization,
            obj=target,
            action="comment",
            changes={"comment": [None, body[:500]]},
        )
    return comment
