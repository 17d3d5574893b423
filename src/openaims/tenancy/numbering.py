"""Per-organization numbers (AIS-3, R-12, IA-2, SoA v4) from one allocator, safe under concurrent creates.

`next_number(organization, kind)` locks the organization's counter row for that kind inside the
caller's transaction, so two requests never get the same number and a rolled-back create leaves no
gap in what was committed. The first use creates the row in a savepoint: on PostgreSQL a concurrent
first insert waits for the other transaction and then fails on the unique constraint, after which
the row it made is locked and used.
"""

from __future__ import annotations

from django.apps.registry import Apps
from django.db import IntegrityError, transaction
from django.db.models import Max

from openaims.tenancy.models import NumberCounter, Organization


def next_number(organization: Organization, kind: str) -> int:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_number must run inside the caller's transaction.atomic()")
    counters = NumberCounter.objects.select_for_update().filter(organization=organization, kind=kind)
    counter = counters.first()
    if counter is None:
        try:
            with transaction.atomic():
                NumberCounter.objects.create(organization=organization, kind=kind, last=0)
        except IntegrityError:
            pass  # another transaction created it first; lock theirs below
        counter = counters.get()
    counter.last += 1
    counter.save(update_fields=["last"])
    return counter.last


def next_numbers(organization: Organization, kind: str, count: int) -> int:
    """Reserve `count` consecutive numbers (bulk imports); returns the first."""
    first = next_number(organization, kind)
    if count > 1:
        NumberCounter.objects.filter(organization=organization, kind=kind).update(last=first + count - 1)
    return first


def counters_from_existing(apps: Apps, model_label: str, kind: str, field: str = "number") -> None:
    """For a data migration: start each organization's counter at the highest number already used."""
    Counter = apps.get_model("tenancy", "NumberCounter")
    Model = apps.get_model(model_label)
    for row in Model.objects.values("organization_id").annotate(m=Max(field)).order_by():
        if row["m"]:
            Counter.objects.update_or_create(
                organization_id=row["organization_id"], kind=kind, defaults={"last": row["m"]}
            )
