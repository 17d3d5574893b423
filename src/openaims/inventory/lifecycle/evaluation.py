"""Evaluating gates: which items a system passes for a stage, for one system or a whole page in fixed queries."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from openaims.inventory.lifecycle.items import GateResult, _items
from openaims.inventory.lifecycle.policy import _ordered, condition_text, gate_policy_for, gated_stages
from openaims.inventory.models import (
    AISystem,
)
from openaims.inventory.vocabulary import lifecycle
from openaims.lib.errors import ServiceError

logger = logging.getLogger(__name__)
RETIREMENT = "retirement"


@dataclass
class ItemStatus:
    """One gate item's answer for one system."""

    key: str
    label: str
    description: str
    available: bool  # False: no capability registered this key (shown, never blocks)
    ok: bool
    detail: str
    condition: str = ""  # e.g. "Only for high-risk systems"
    applies: bool = True  # False: the condition does not hold for this system (shown, never blocks)

    @property
    def blocking(self) -> bool:
        return self.available and self.applies and not self.ok

    def as_missing(self) -> dict:
        return {"key": self.key, "label": self.label, "detail": self.detail}


@dataclass
class GateStatus:
    """A stage's gate for one system: every item it asks for and whether the system may enter."""

    stage: str
    label: str
    items: list[ItemStatus] = field(default_factory=list)

    @property
    def missing(self) -> list[dict]:
        return [item.as_missing() for item in self.items if item.blocking]

    @property
    def ready(self) -> bool:
        return not any(item.blocking for item in self.items)


def _unavailable(key: str) -> ItemStatus:
    return ItemStatus(key, key.replace("_", " ").capitalize(), "", False, False, "Not available yet; does not block.")


def evaluate_systems(
    systems: Sequence[AISystem], stages: Iterable[str] | None = None, *, policy: Mapping[str, list[str]]
) -> dict[int, dict[str, GateStatus]]:
    """{system pk: {stage: GateStatus}} for many systems of one organization.

    Each item's preload runs once for all systems and each check once per system, whatever the
    number of stages asking for it: a few queries in all, not one per system, part or item.
    """
    stages = list(stages) if stages is not None else gated_stages()
    keys = _ordered(key for stage in stages for key in policy.get(stage, ()))
    items = [_items[key] for key in keys if key in _items]
    for system in systems:
        system.__dict__.pop("_gate_facts", None)  # answers are for now, not from an earlier evaluation
    conditions = getattr(policy, "conditions", {})

    def applies(system, stage: str, key: str) -> bool:
        when = conditions.get(stage, {}).get(key) or {}
        return all(str(getattr(system, name, "")) in values for name, values in when.items())

    # An item is checked only for the systems some stage asks it of: a high-risk-only item costs nothing
    # (no preload, no check) on a page of systems that are not high-risk.
    needed = {
        item.key: [
            s for s in systems if any(applies(s, st, item.key) for st in stages if item.key in policy.get(st, ()))
        ]
        for item in items
    }
    by_preload: dict[Callable, dict[int, AISystem]] = {}
    for item in items:
        if item.preload is not None:
            by_preload.setdefault(item.preload, {}).update((s.pk, s) for s in needed[item.key])
    for preload, wanted in by_preload.items():
        if wanted:
            preload(list(wanted.values()))
    answers: dict[int, dict[str, ItemStatus]] = {system.pk: {} for system in systems}
    for item in items:
        for system in needed[item.key]:
            try:
                result = item.check(system)
            except Exception:  # one capability's broken check must not take the system page down
                logger.exception("gate item %s failed for system %s", item.key, system.pk)
                result = GateResult(False, "Could not be checked (the error is in the server log).")
            answers[system.pk][item.key] = ItemStatus(
                item.key, item.label, item.description, True, bool(result.ok), result.detail
            )

    def status(system, stage: str, key: str) -> ItemStatus:
        when = conditions.get(stage, {}).get(key)
        text = condition_text(when or {})
        if when and not applies(system, stage, key):
            item = _items.get(key)
            base = ItemStatus(key, item.label, item.description, True, True, "") if item else _unavailable(key)
            return replace(base, condition=text, applies=False, detail=f"{text}: not required for this system.")
        found = answers[system.pk].get(key) or _unavailable(key)
        return replace(found, condition=text) if text else found

    return {
        system.pk: {
            stage: GateStatus(
                stage, lifecycle().label(stage), [status(system, stage, key) for key in policy.get(stage, ())]
            )
            for stage in stages
        }
        for system in systems
    }


def evaluate_gate(system: AISystem, stage: str, *, policy: Mapping[str, list[str]] | None = None) -> GateStatus:
    policy = gate_policy_for(system.organization_id) if policy is None else policy
    return evaluate_systems([system], [stage], policy=policy)[system.pk][stage]


def next_stage(stage: str) -> str | None:
    keys = lifecycle().keys
    index = keys.index(stage) if stage in keys else -1
    return keys[index + 1] if 0 <= index < len(keys) - 1 else None


def transition_kind(from_stage: str, to_stage: str) -> str:
    """'forward', 'retire', 'back' or 'reactivate' (leaving retirement), or raises ServiceError."""
    keys = lifecycle().keys
    if to_stage not in keys:
        raise ServiceError(f"unknown life-cycle stage {to_stage!r}; use one of {', '.join(keys)}", field="to_stage")
    if to_stage == from_stage:
        raise ServiceError(f"the system is already in {lifecycle().label(to_stage)}", field="to_stage")
    if from_stage == RETIREMENT and from_stage in keys:
        return "reactivate"
    if to_stage == RETIREMENT:
        return "retire"
    if from_stage in keys and keys.index(to_stage) < keys.index(from_stage):
        return "back"
    if to_stage == next_stage(from_stage):
        return "forward"
    following = next_stage(from_stage)
    raise ServiceError(
        f"a system moves one stage at a time: from {lifecycle().label(from_stage)} the next stage is "
        f"{lifecycle().label(following) if following else 'none'}",
        field="to_stage",
    )
