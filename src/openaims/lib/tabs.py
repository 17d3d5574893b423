"""Tabs of an object page (templates/components/tabs.html): each tab is its own URL, so a tab works without JavaScript,
can be bookmarked and is what the back button returns to; with htmx only the tab region is swapped."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Tab:
    key: str
    label: str
    url: str
    count: int | None = None
    current: bool = False


def tab_list(current: str, tabs: list[tuple[str, str, str, int | None]]) -> list[Tab]:
    """(key, label, url, count) rows as Tabs, the one named `current` marked; an unknown `current` is a bug."""
    keys = [key for key, *_ in tabs]
    if current not in keys:
        raise ValueError(f"no tab {current!r} among {keys}")
    return [Tab(key, label, url, count, key == current) for key, label, url, count in tabs]
