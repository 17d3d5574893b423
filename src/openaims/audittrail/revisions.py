"""Claiming the next revision of an edited object, or refusing a stale edit with what changed since.

Every event recorded for a `Revisioned` object notes the object's revision in its context
(`record_event` does it), so "what changed since revision N" is the object's events whose revision is
above N — who made the last one, when, and the fields each changed, read from the trail itself.
"""

from __future__ import annotations

import json
from typing import Any

from django.db import transaction
from django.db.models import Q

from openaims.audittrail import registry
from openaims.audittrail.models import AuditEvent
from openaims.audittrail.services import canonical_json, object_type_of, revised_key
from openaims.lib.concurrency import Revisioned, StaleEdit


def claim_revision(obj: Revisioned, expected: int | None) -> int:
    """Inside the service's transaction, before writing: lock the row, refuse a stale edit, move the counter.

    `expected` None means the caller does not care (CLI, imports, an API client without If-Match).
    The row lock makes the check and the increment one step under concurrent requests on PostgreSQL
    (a second editor holding the same revision waits, then sees the new one and is refused); SQLite
    writers are serialised by their IMMEDIATE transactions. Sets and returns `obj.revision`.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("claim_revision must run inside the service's transaction.atomic()")
    model = type(obj)
    current = model._default_manager.select_for_update().filter(pk=obj.pk).values_list("revision", flat=True).get()
    if expected is not None and expected != current:
        raise stale_edit(obj, expected, current)
    model._default_manager.filter(pk=obj.pk).update(revision=current + 1)
    obj.revision = current + 1
    return obj.revision


def stale_edit(obj: Revisioned, expected: int, current: int) -> StaleEdit:
    """The refusal for an editor who opened `expected` while the object is at `current`."""
    label = object_type_of(obj)
    key = revised_key(obj)
    # Its own events, and those filed under another object that name it (canonical JSON: an exact substring).
    mine = Q(object_type=label, object_id=str(obj.pk)) | Q(context__contains=canonical_json({"revised": key})[1:-1])
    events = AuditEvent.objects.filter(mine).order_by("seq")
    organization_id = getattr(obj, "organization_id", None)
    if organization_id is not None:
        events = events.filter(organization_id=organization_id)
    since = [event for event in events if _revision_of(event, key) > expected]
    first: dict[str, Any] = {}
    last: dict[str, Any] = {}
    for event in since:
        for field, pair in event.changes_dict.items():
            before, after = [*pair, None, None][:2] if isinstance(pair, list) else (None, pair)
            first.setdefault(field, before)
            last[field] = after
    changes = [
        (field_label, first[field], last[field])
        for field, field_label, _before, _after in registry.labelled_changes(
            label, {field: [first[field], last[field]] for field in last}
        )
    ]
    latest = since[-1] if since else None
    return StaleEdit(
        expected=expected,
        current=current,
        changed_by=latest.actor_label if latest else "",
        changed_at=latest.occurred_at if latest else None,
        changes=changes,
    )


def _revision_of(event: AuditEvent, key: str) -> int:
    """The revision of the object named `key` this event left behind; 0 when the event is about another."""
    try:
        context = json.loads(event.context)
    except ValueError:
        return 0
    if not isinstance(context, dict) or context.get("revised", key) != key:
        return 0
    value = context.get("revision")
    return value if isinstance(value, int) else 0
