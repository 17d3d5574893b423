"""Dashboard tiles: apps add the figures they own (open risks, overdue reviews, SoA coverage…) to the dashboard.

Like `web.nav`, this module imports nothing of ours, so every app may register from its AppConfig.ready():
`register(key, build, order=)`, where `build(tenant) -> Tile | None` reads its figure in a fixed number of queries
(None hides the tile, e.g. when the member may not see it). Every tile says what its number means
(`definition`, shown by templates/components/metric_definition.html).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Tile:
    label: str
    figure: int | str
    definition: str
    url: str | None = None
    note: str = ""
    computed: str = ""
    source: str = ""
    tone: str = ""  # "" or "warn": the figure needs attention


@dataclass(frozen=True)
class _Entry:
    key: str
    build: Callable[[Any], Tile | None]
    order: int


_tiles: dict[str, _Entry] = {}


def register(key: str, build: Callable[[Any], Tile | None], *, order: int = 50) -> None:
    _tiles[key] = _Entry(key, build, order)


def build_all(tenant: Any) -> list[Tile]:
    """The tiles this member sees, in order."""
    built = (entry.build(tenant) for entry in sorted(_tiles.values(), key=lambda e: (e.order, e.key)))
    return [tile for tile in built if tile is not None]
