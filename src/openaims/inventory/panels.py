"""Panels that other apps add to an AI system's page (risks, impact assessments, later monitoring…).

Inventory does not import the apps built on it: each registers `register(key, template, build)` in its
AppConfig.ready(), where `build(tenant, system) -> dict` reads what its panel shows in a fixed number
of queries; the template receives it as `panel`.
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


_panels: dict[str, Panel] = {}


def register(key: str, template: str, build: Callable, *, order: int = 50) -> None:
    _panels[key] = Panel(key, template, build, order)


def build_all(tenant, system) -> list[dict]:
    return [
        {"key": p.key, "template": p.template, "panel": p.build(tenant, system)}
        for p in sorted(_panels.values(), key=lambda p: (p.order, p.key))
    ]
