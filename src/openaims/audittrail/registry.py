"""Which object types have a history page and comments, and how to find one inside a tenant.

Each app registers its auditable models in AppConfig.ready(); later capabilities add theirs the same
way, and the generic history page and the comments API work for them without change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import models
from django.http import Http404

if TYPE_CHECKING:
    from openaims.tenancy.models import Tenant

# (tenant, object_id) -> the object; raises Http404 outside the tenant.
Lookup = Callable[["Tenant", str], models.Model]
# (tenant, obj) -> URL of the object's own page; obj is the lookup's result, typed by each app as its model.
UrlOf = Callable[["Tenant", Any], str]


@dataclass(frozen=True)
class ObjectType:
    label: str  # app_label.modelname, as stored in AuditEvent.object_type
    title: str
    lookup: Lookup
    url: UrlOf | None = None


_types: dict[str, ObjectType] = {}


def register(label: str, title: str, lookup: Lookup, url: UrlOf | None = None) -> None:
    _types[label] = ObjectType(label, title, lookup, url)


# --- Labels for people: the history shows "Data and concept drift", not "sections.ml_classifier.drift" ---

_field_labels: dict[str, dict[str, str]] = {}
_field_resolvers: dict[str, Callable[[str], str | None]] = {}
_action_labels: dict[str, dict[str, str]] = {}
COMMON_ACTIONS = {"create": "Created", "update": "Changed", "delete": "Deleted"}


def register_labels(
    label: str,
    *,
    fields: dict[str, str] | None = None,
    actions: dict[str, str] | None = None,
    resolve: Callable[[str], str | None] | None = None,
) -> None:
    """Say how the fields and actions of an object type read in its history.

    `resolve(field)` names fields that are data rather than code (an assessment's sections come from
    a template file); it returns None for fields it does not know.
    """
    _field_labels.setdefault(label, {}).update(fields or {})
    _action_labels.setdefault(label, {}).update(actions or {})
    if resolve is not None:
        _field_resolvers[label] = resolve


def _humanize(name: str) -> str:
    words = name.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def field_label(label: str, field: str) -> str:
    known = _field_labels.get(label, {})
    if field in known:
        return known[field]
    resolver = _field_resolvers.get(label)
    found = resolver(field) if resolver else None
    if found:
        return found
    return " / ".join(_humanize(part) for part in field.split("."))


def action_label(label: str, action: str) -> str:
    return _action_labels.get(label, {}).get(action) or COMMON_ACTIONS.get(action) or _humanize(action)


def labelled_changes(label: str, changes: dict[str, Any]) -> list[tuple[str, str, object, object]]:
    """[(field, label, before, after)] for a history entry; values that did not change are left out."""
    rows: list[tuple[str, str, object, object]] = []
    for field, pair in changes.items():
        before, after = [*pair, None, None][:2] if isinstance(pair, list) else (None, pair)
        if before == after:
            continue
        rows.append((field, field_label(label, field), before, after))
    return rows


def any_action_label(action: str) -> str:
    """An action's label whatever the object type (for a filter listing actions of every type)."""
    for labels in _action_labels.values():
        if action in labels:
            return labels[action]
    return COMMON_ACTIONS.get(action) or _humanize(action)


def type_title(label: str) -> str:
    """What people call an object type ("Risk", "AI system"); the stored label when nothing registered it."""
    kind = _types.get(label)
    return kind.title if kind else label


def label_events(events: Iterable[Any]) -> None:
    """Attach `action_label`, `labelled_changes` and `type_title` to each event, for history and log pages."""
    for event in events:
        event.action_label = action_label(event.object_type, event.action)
        event.labelled_changes = labelled_changes(event.object_type, event.changes_dict)
        event.type_title = type_title(event.object_type)


def get(label: str) -> ObjectType:
    if label not in _types:
        raise Http404("Unknown object type")
    return _types[label]


def all_types() -> list[ObjectType]:
    return sorted(_types.values(), key=lambda t: t.title)


def resolve(tenant: Tenant, label: str, object_id: str) -> tuple[ObjectType, models.Model]:
    kind = get(label)
    if not str(object_id).isdigit():
        raise Http404("No such object")
    return kind, kind.lookup(tenant, str(object_id))
