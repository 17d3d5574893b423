"""The gate-item registry: a gate item is a named check on one system (A.6.2).

Inventory registers its own items (`builtin`); later capabilities register theirs from their AppConfig.ready()
with `register_item(key, label, check, preload=)`. A key in a policy that nothing has registered (an app not
installed yet, a typo in data) is shown as "not available yet" and does not block: a gate nobody can satisfy
would stop every system."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from openaims.inventory.models import (
    AISystem,
)


@dataclass(frozen=True)
class GateResult:
    ok: bool
    detail: str = ""


@dataclass(frozen=True)
class GateItem:
    key: str
    label: str
    check: Callable[[AISystem], GateResult]
    description: str = ""
    preload: Callable[[Sequence[AISystem]], None] | None = None


_items: dict[str, GateItem] = {}


def register_item(
    key: str,
    label: str,
    check: Callable[[AISystem], GateResult],
    *,
    description: str = "",
    preload: Callable[[Sequence[AISystem]], None] | None = None,
) -> None:
    """Make a gate item available to gate policies.

    `check(system)` answers for one system. `preload(systems)`, optional, loads what `check` needs
    for many systems at once (see `SystemFact`), so evaluating a gate costs a few queries whatever
    the number of systems or parts. Registering a key again replaces it (ready() may run twice).
    """
    if not key or not key.replace("_", "").isalnum() or not key[0].isalpha() or key != key.lower():
        raise ValueError(f"gate item key {key!r}: use lower-case letters, digits and '_'")
    _items[key] = GateItem(key, label, check, description, preload)


def registered_items() -> list[GateItem]:
    return list(_items.values())


def get_item(key: str) -> GateItem | None:
    return _items.get(key)


class SystemFact:
    """Data some checks need, loaded for many systems in one query and kept on each instance.

    `load(pks) -> {pk: value}`; systems absent from the answer get `default`. Inside an evaluation
    the value comes from the preload; a check called on its own loads it for its one system.
    """

    def __init__(self, name: str, load: Callable[[list[int]], Mapping[int, Any]], default: Any = None):
        self.name = name
        self.load = load
        self.default = default

    def preload(self, systems: Sequence[AISystem]) -> None:
        values = self.load([s.pk for s in systems])
        for system in systems:
            _memo(system)[self.name] = values.get(system.pk, self.default)

    def __call__(self, system: AISystem) -> Any:
        memo = _memo(system)
        if self.name in memo:
            return memo[self.name]
        return self.load([system.pk]).get(system.pk, self.default)


def _memo(system: AISystem) -> dict:
    return system.__dict__.setdefault("_gate_facts", {})
