"""Who can give a reason to include a control in the SoA (6.1.3): today risk treatments, later other apps.

Controls sits below risk, so it never imports risk: the risk app registers a provider in its
AppConfig.ready(). A provider is `provide(organization) -> iterable of (control_id, label)`, read in one
query; each label becomes one line of the control's SoA row ("Risk treatment: …").
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable

Provider = Callable[[object], Iterable[tuple[int, str]]]

_treatments: dict[str, Provider] = {}


def register_treatment(key: str, provide: Provider) -> None:
    """Add a source of risk treatments that select controls; registering a key twice replaces it."""
    _treatments[key] = provide


def treatments_by_control(organization) -> dict[int, list[str]]:
    """Every registered treatment label per control id (one query per provider)."""
    found: dict[int, list[str]] = defaultdict(list)
    for key in sorted(_treatments):
        for control_id, label in _treatments[key](organization):
            found[control_id].append(label)
    return found
