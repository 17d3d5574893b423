"""Recording audit events. Every service that writes calls `record_event` inside its transaction."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeAlias

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, connection, models, transaction
from django.db.backends.utils import CursorWrapper

from openaims.audittrail.chain import chain_key, event_hash
from openaims.audittrail.context import current as current_context
from openaims.audittrail.models import AuditChainHead, AuditEvent
from openaims.lib.concurrency import Revisioned

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser

    from openaims.tenancy.models import Organization, Tenant

# Who did it: a Tenant (a person or the organization's system actor), a user (account events outside any
# organization), or nobody (an anonymous failed login, seeding).
Actor: TypeAlias = "Tenant | AbstractBaseUser | AnonymousUser | None"
# One event's column values in `_FIELDS` order.
_Row = tuple[Any, ...]

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class Action:
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


# What json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, cls=DjangoJSONEncoder)
# builds on every call; the encoder keeps no state between calls.
_JSON = DjangoJSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_json(value: Any) -> str:
    return _JSON.encode(value)


def _clean(text: str, limit: int) -> str:
    text = str(text)
    if text.isascii() and text.isprintable():  # no control character: nothing to replace
        return text[:limit]
    return _CONTROL.sub(" ", text)[:limit]


def object_type_of(obj: models.Model) -> str:
    return obj._meta.label_lower


def revised_key(obj: models.Model) -> str:
    """How an event's context names the edited object when the event is filed under another one."""
    return f"{object_type_of(obj)}:{obj.pk}"


def snapshot(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """The audited fields of an object, foreign keys as their ids, ready for `diff`."""
    values = {}
    for name in fields:
        model_field = obj._meta.get_field(name)
        assert isinstance(model_field, models.Field)  # audited fields are the model's own, not reverse relations
        values[name] = getattr(obj, model_field.attname)
    return values


def fk_label(value: Any) -> Any:
    """How a snapshot names a related object: a user by username, a named row by its name, else as is.

    The one form every app's audited state uses for foreign keys, so the trail reads well to an auditor
    without a lookup table (ids are in the object's own events).
    """
    if value is None:
        return None
    if hasattr(value, "get_username"):
        return value.get_username()
    if hasattr(value, "pk") and hasattr(value, "name"):
        return value.name
    return value


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """{field: [before, after]} for the fields whose value differs; a missing value and "" count as equal."""
    keys = list(dict.fromkeys([*before, *after]))

    def value(side: Mapping[str, Any], key: str) -> Any:
        found = side.get(key)
        return None if found == "" else found

    return {key: [value(before, key), value(after, key)] for key in keys if value(before, key) != value(after, key)}


@dataclass
class EventSpec:
    object_type: str
    object_id: str
    object_repr: str
    action: str
    changes: dict[str, Any] = field(default_factory=dict)
    actor: Actor = None


def _locked_head(organization_id: int | None) -> AuditChainHead:
    key = chain_key(organization_id)
    head = AuditChainHead.objects.select_for_update().filter(chain=key).first()
    if head is None:
        try:
            with transaction.atomic():
                AuditChainHead.objects.create(chain=key)
        except IntegrityError:
            pass  # another writer created it first; the locked read below waits for it
        head = AuditChainHead.objects.select_for_update().get(chain=key)
    return head


# The columns of an event in the order `_values` produces them, for the bulk INSERT.
_FIELDS = (
    "organization",
    "seq",
    "occurred_at_us",
    "actor",
    "actor_label",
    "object_type",
    "object_id",
    "object_repr",
    "action",
    "changes",
    "context",
    "prev_hash",
    "hash",
)


SYSTEM_ACTOR_LABEL = "system"


def actor_columns(actor: Any) -> tuple[int | None, str]:
    """(actor id, actor label) for a Tenant, a user, or None.

    A person is their user id and username. The organization's system actor (`Tenant.system`) has no user:
    its id is empty and its label "system" — a pair no older event has (they carried either a user or an
    empty label), so the kind is read from hashed columns and the canonical form did not change.
    """
    if getattr(actor, "kind", None) == "system":
        return None, SYSTEM_ACTOR_LABEL
    user = getattr(actor, "user", actor) if hasattr(actor, "kind") else actor  # a Tenant acts as its user
    if user is None or not getattr(user, "pk", None):
        return None, ""
    return user.pk, _clean(user.get_username(), 150)


def _values(head: AuditChainHead, organization_id: int | None, spec: EventSpec, context: str, now_us: int) -> _Row:
    """The next event's column values (in `_FIELDS` order), its hash chained onto `head`, which advances."""
    actor_id, actor_label = actor_columns(spec.actor)
    object_type = _clean(spec.object_type, 100)
    object_id = _clean(spec.object_id, 64)
    object_repr = _clean(spec.object_repr, 200)
    action = _clean(spec.action, 40)
    changes = canonical_json(spec.changes)
    prev_hash = head.last_hash
    digest = event_hash(
        organization_id,
        now_us,
        actor_id,
        actor_label,
        object_type,
        object_id,
        object_repr,
        action,
        changes,
        context,
        prev_hash,
    )
    head.last_seq += 1
    head.last_hash = digest
    return (
        organization_id,
        head.last_seq,
        now_us,
        actor_id,
        actor_label,
        object_type,
        object_id,
        object_repr,
        action,
        changes,
        context,
        prev_hash,
        digest,
    )


def _build(head: AuditChainHead, organization_id: int | None, spec: EventSpec, context: str, now_us: int) -> AuditEvent:
    values = _values(head, organization_id, spec, context, now_us)
    return AuditEvent(**{_field(name).attname: value for name, value in zip(_FIELDS, values, strict=True)})


def _field(name: str) -> models.Field[Any, Any]:
    model_field = AuditEvent._meta.get_field(name)
    assert isinstance(model_field, models.Field)  # every name in _FIELDS is a column of AuditEvent
    return model_field


def _column(name: str) -> str:
    column = _field(name).column
    assert column is not None  # concrete fields always have one
    return column


def _inserter(cursor: CursorWrapper) -> Callable[[list[_Row]], None]:
    """A function that inserts a batch of `_values` rows: COPY on PostgreSQL, one prepared INSERT elsewhere."""
    quote = connection.ops.quote_name
    table = quote(AuditEvent._meta.db_table)
    columns = ", ".join(quote(_column(name)) for name in _FIELDS)
    raw = getattr(cursor, "cursor", None)
    if raw is not None and connection.vendor == "postgresql" and hasattr(raw, "copy"):  # psycopg 3

        def copy(batch: list[_Row]) -> None:
            with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as out:
                for row in batch:
                    out.write_row(row)

        return copy
    query = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(_FIELDS))})"
    return lambda batch: cursor.executemany(query, batch)


def record_event(
    *,
    actor: Actor,
    organization: Organization | None,
    action: str,
    obj: models.Model | None = None,
    object_type: str | None = None,
    object_id: Any = None,
    object_repr: str | None = None,
    changes: Mapping[str, Any] | None = None,
    revised: Revisioned | None = None,
) -> AuditEvent:
    """Append one event to the organization's chain (or the global chain when organization is None).

    The revision of the edited object (`revised`, by default `obj` when it is `Revisioned`) goes into the
    event's context, so a stale edit can be told what changed since (`audittrail.revisions`); `revised`
    names it when the event is filed under another object (a treatment action's change under its risk).

    `actor` is the acting Tenant (a person or the organization's system actor), or a user for account
    events outside any organization, or None when nobody acts (first user, seeding).

    Must run inside the caller's transaction, so the change and its event commit or vanish together.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("record_event must be called inside the service's transaction.atomic()")
    if obj is not None:
        object_type = object_type or object_type_of(obj)
        object_id = obj.pk if object_id is None else object_id
        object_repr = str(obj) if object_repr is None else object_repr
    if not object_type or object_id is None:
        raise ValueError("record_event needs obj, or object_type and object_id")
    organization_id = organization.pk if organization is not None else None
    head = _locked_head(organization_id)
    spec = EventSpec(str(object_type), str(object_id), object_repr or "", action, dict(changes or {}), actor)
    context: dict[str, Any] = current_context()
    target = revised if revised is not None else obj
    if isinstance(target, Revisioned):  # the revision this event leaves the object at: see audittrail.revisions
        context["revision"] = target.revision
        if target is not obj:
            context["revised"] = revised_key(target)
    event = _build(head, organization_id, spec, canonical_json(context), time.time_ns() // 1000)
    event.save(force_insert=True)
    head.save(update_fields=["last_seq", "last_hash"])
    return event


def record_events_bulk(*, organization: Organization | None, specs: Iterable[EventSpec], batch_size: int = 5000) -> int:
    """Append many events in one transaction (bulk imports, benchmarks); returns how many.

    Rows go in as plain tuples (COPY on PostgreSQL, one prepared INSERT run with `executemany`
    elsewhere), skipping model instances and bulk_create's per-field preparation, which cost several
    times more than the hashing.
    """
    organization_id = organization.pk if organization is not None else None
    context = canonical_json(current_context())
    count = 0
    now = time.time_ns
    with transaction.atomic():
        head = _locked_head(organization_id)
        batch: list[_Row] = []
        with connection.cursor() as cursor:
            insert = _inserter(cursor)
            for spec in specs:
                batch.append(_values(head, organization_id, spec, context, now() // 1000))
                if len(batch) >= batch_size:
                    insert(batch)
                    count += len(batch)
                    batch.clear()
            if batch:
                insert(batch)
                count += len(batch)
        head.save(update_fields=["last_seq", "last_hash"])
    return count
