"""Which object types have a history page and comments, and how to find one inside a tenant.

Each app registers its auditable models in AppConfig.ready(); later capabilities add theirs the same
way, and the generic history page and the comments API work for them without change.
"""

from __future__ import annotations

from collections.abc import Callable
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
