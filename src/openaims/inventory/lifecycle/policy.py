"""An organization's gate policy: which gate items each life-cycle stage asks for (its own, or the data default)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.db import transaction
from django.utils import timezone

from openaims.audittrail.services import Action, diff, record_event
from openaims.inventory.lifecycle.items import _items
from openaims.inventory.models import (
    GatePolicy,
)
from openaims.inventory.vocabulary import lifecycle
from openaims.lib.errors import Forbidden, ServiceError
from openaims.tenancy.models import Membership
from openaims.tenancy.roles import Perm, effective_role, has_perm


def gated_stages() -> list[str]:
    """Every stage but the first: systems start there, so it has no gate."""
    return lifecycle().keys[1:]


def gate_policy_for(organization) -> dict[str, list[str]]:
    """{stage: [item key, ...]} for every gated stage: the organization's policy, else the data defaults."""
    row = GatePolicy.objects.filter(organization=organization).values_list("items", flat=True).first()
    source = row if isinstance(row, dict) else lifecycle().default_gates
    return {stage: list(source.get(stage, ())) for stage in gated_stages()}


def unknown_default_items() -> list[str]:
    """Problems for `aims catalog check`: keys in lifecycle.yaml's default gates that no app registered."""
    return [
        f"lifecycle.yaml: default gate of {stage} names {key!r}, which no installed capability provides"
        for stage, keys in lifecycle().default_gates.items()
        for key in keys
        if key not in _items
    ]


def _ordered(keys: Iterable[str]) -> list[str]:
    """Registered items in registry order, then unknown ones as given; no duplicates."""
    keys = list(dict.fromkeys(keys))
    known = [key for key in _items if key in keys]
    return known + [key for key in keys if key not in _items]


def _role(actor, organization, token=None) -> str | None:
    membership = Membership.objects.filter(organization=organization, user=actor).only("role").first()
    if membership is None:
        return None
    return effective_role(membership.role, token.role if token is not None else None)


def gate_policy_update(*, actor, organization, items: Mapping[str, Iterable[str]], token=None) -> dict[str, list[str]]:
    """Set which items each stage asks for (owners and managers); returns the policy now in force.

    Stages left out ask for nothing. A key must be a registered item, or one the stage already
    asks for (so an item whose app is not installed yet survives an edit of the other items).
    """
    if not has_perm(_role(actor, organization, token) or "", Perm.APPROVE):
        raise Forbidden("only owners and managers change the life-cycle gates")
    if not isinstance(items, Mapping):
        raise ServiceError("items must map each stage to a list of gate item keys", field="items")
    stages = gated_stages()
    first = lifecycle().keys[0]
    with transaction.atomic():
        policy = GatePolicy.objects.select_for_update().filter(organization=organization).first()
        before = gate_policy_for(organization)
        cleaned: dict[str, list[str]] = {}
        for stage, keys in items.items():
            if stage == first:
                raise ServiceError(f"{lifecycle().label(first)} is where systems start; it has no gate", field="items")
            if stage not in stages:
                raise ServiceError(f"unknown life-cycle stage {stage!r}; use one of {', '.join(stages)}", field="items")
            if isinstance(keys, str) or not isinstance(keys, Iterable):
                raise ServiceError(f"{stage}: give a list of gate item keys", field="items")
            keys = [str(key) for key in keys]
            unknown = [key for key in keys if key not in _items and key not in before[stage]]
            if unknown:
                raise ServiceError(
                    f"{stage}: unknown gate item(s) {', '.join(unknown)}; available: {', '.join(_items)}",
                    field="items",
                )
            cleaned[stage] = _ordered(keys)
        after = {stage: cleaned.get(stage, []) for stage in stages}
        changes = diff(before, after)
        if not changes:
            return after
        if policy is None:
            policy = GatePolicy.objects.create(organization=organization, items=after, updated_by=actor)
            action = Action.CREATE
        else:
            policy.items = after
            policy.updated_by = actor
            policy.updated_at = timezone.now()
            policy.save(update_fields=["items", "updated_by", "updated_at"])
            action = Action.UPDATE
        record_event(actor=actor, organization=organization, obj=policy, action=action, changes=changes)
    return after
