"""Reads of the audit trail for pages, the API and exports."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from openaims.audittrail.models import AuditEvent, AuditEventQuerySet

if TYPE_CHECKING:
    from openaims.tenancy.models import Organization


@dataclass
class EventFilter:
    action: str = ""
    object_type: str = ""
    object_id: str = ""
    actor: str = ""
    since: date | None = None
    until: date | None = None

    @classmethod
    def from_query(cls, params: Mapping[str, str]) -> EventFilter:
        def day(name: str) -> date | None:
            try:
                return date.fromisoformat(params.get(name, ""))
            except ValueError:
                return None

        return cls(
            action=params.get("action", "").strip(),
            object_type=params.get("object_type", "").strip(),
            object_id=params.get("object_id", "").strip(),
            actor=params.get("actor", "").strip(),
            since=day("since"),
            until=day("until"),
        )


def _day_us(day: date, end: bool) -> int:
    moment = timezone.make_aware(datetime.combine(day, time.max if end else time.min))
    return int(moment.timestamp() * 1_000_000)


def events_for_organization(organization: Organization, flt: EventFilter | None = None) -> AuditEventQuerySet:
    events = AuditEvent.objects.for_organization(organization)
    flt = flt or EventFilter()
    if flt.action:
        events = events.filter(action=flt.action)
    if flt.object_type:
        events = events.filter(object_type=flt.object_type)
    if flt.object_id:
        events = events.filter(object_id=flt.object_id)
    if flt.actor:
        events = events.filter(actor_label__iexact=flt.actor)
    if flt.since:
        events = events.filter(occurred_at_us__gte=_day_us(flt.since, end=False))
    if flt.until:
        events = events.filter(occurred_at_us__lte=_day_us(flt.until, end=True))
    return events.order_by("-seq")


def event_dict(event: AuditEvent) -> dict[str, Any]:
    """The exported form of an event: every hashed field, so a reader can re-verify the chain offline."""
    return {
        "seq": event.seq,
        "organization_id": event.organization_id,
        "occurred_at": event.occurred_at.isoformat(),
        "occurred_at_us": event.occurred_at_us,
        "actor_id": event.actor_id,
        "actor": event.actor_label,
        "actor_kind": event.actor_kind,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "object_repr": event.object_repr,
        "action": event.action,
        "changes": json.loads(event.changes),
        "changes_canonical": event.changes,
        "context": json.loads(event.context),
        "context_canonical": event.context,
        "prev_hash": event.prev_hash,
        "hash": event.hash,
    }


def export_jsonl(events: AuditEventQuerySet) -> Iterator[str]:
    """JSON Lines, oldest first, streamed in chunks so an export of millions of events stays small in memory."""
    for event in events.order_by("seq").iterator(chunk_size=2000):
        yield json.dumps(event_dict(event), ensure_ascii=False, separators=(",", ":")) + "\n"


def recent_events(organization: Organization, limit: int = 10) -> list[AuditEvent]:
    return list(AuditEvent.objects.for_organization(organization).order_by("-seq")[:limit])


def distinct_values(organization: Organization, field: str) -> list[str]:
    return list(
        AuditEvent.objects.for_organization(organization).order_by(field).values_list(field, flat=True).distinct()
    )
