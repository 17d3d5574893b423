"""Audited links between two objects (a control and a requirement, a risk and a control…): one idiom.

`link(...)` creates the link row unless it exists and records the event only when it did not, so
linking twice changes nothing; `unlink(...)` deletes it and records the event only when there was one.
The event is filed under `owner` (the object whose history shows the link) with `{key: [None, shown]}`
or `{key: [shown, None]}` as its change.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import models, transaction

from openaims.audittrail.services import record_event
from openaims.tenancy.models import Tenant

L = TypeVar("L", bound=models.Model)


def link(
    *, actor: Tenant, owner: Any, model: type[L], values: dict[str, Any], action: str, key: str, shown: str
) -> tuple[L, bool]:
    """Returns (link, created)."""
    with transaction.atomic():
        row, created = model._default_manager.get_or_create(organization=owner.organization, **values)
        if created:
            record_event(
                actor=actor, organization=owner.organization, obj=owner, action=action, changes={key: [None, shown]}
            )
    return row, created


def unlink(
    *, actor: Tenant, owner: Any, model: type[models.Model], values: dict[str, Any], action: str, key: str, shown: str
) -> bool:
    """Returns whether there was a link."""
    with transaction.atomic():
        deleted, _ = model._default_manager.filter(**values).delete()
        if deleted:
            record_event(
                actor=actor, organization=owner.organization, obj=owner, action=action, changes={key: [shown, None]}
            )
    return bool(deleted)
