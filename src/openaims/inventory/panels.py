"""Panels that other apps add to an AI system's page (risks, impact assessments, later monitoring…).

Inventory does not import the apps built on it: each registers `register(key, template, build)` in its
AppConfig.ready(), where `build(tenant, system) -> dict` reads what its panel shows in a fixed number
of queries; the template receives it as `panel`. `tab` names the system page tab that shows the panel: a tab of its
own (e.g. "risks", "assessments": `TABS` gives their labels) or "overview".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Panel:
    key: str
    template: str
    build: Callable
    order: int
    tab: str = "overview"


_panels: dict[str, Panel] = {}


# Tabs a panel may ask for, besides "overview", in page order after the inventory's own (parts, controls).
TABS: dict[str, str] = {"risks": "Risks", "assessments": "Assessments"}


def register(key: str, template: str, build: Callable, *, order: int = 50, tab: str = "overview") -> None:
    if tab != "overview" and tab not in TABS:
        raise ValueError(f"unknown system page tab {tab!r}")
    _panels[key] = Panel(key, template, build, order, tab)


def tabs() -> list[str]:
    """The extra tabs some registered panel fills, in `TABS` order."""
    used = {p.tab for p in _panels.values()}
    return [key for key in TABS if key in used]


def build_all(tenant, system, *, tab: str | None = None) -> list[dict]:
    """The registered panels (those of one tab when `tab` is given), each built."""
    return [
        {"key": p.key, "template": p.template, "panel": p.build(tenant, system)}
        for p in sorted(_panels.values(), key=lambda p: (p.order, p.key))
        if tab is None or p.tab == tab
    ]
