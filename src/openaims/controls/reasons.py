"""Who can give a reason to include a control in the SoA (6.1.3): today risk treatments, later other apps.

Controls sits below risk, so it never imports risk: the risk app registers a provider in its
AppConfig.ready(). A provider is `provide(organization, control=None) -> iterable of (control_id, label)`,
read in one query (only that control's rows when `control` is given); each label becomes one line of the
control's SoA row ("Risk treatment: …").
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Protocol


class Provider(Protocol):
    def __call__(self, organization: object, control: object | None = None) -> Iterable[tuple[int, str]]: ...


_treatments: dict[str, Provider] = {}


def register_treatment(key: str, provide: Provider) -> None:
    """Add a source of risk treatments that select controls; registering a key twice replaces it."""
    _treatments[key] = provide


def treatments_by_control(organization, control=None) -> dict[int, list[str]]:
    """Every registered treatment label per control id (one query per provider); with `control`, its own only."""
    found: dict[int, list[str]] = defaultdict(list)
    for key in sorted(_treatments):
        for control_id, label in _treatments[key](organization, control):
            found[control_id].append(label)
    return found
