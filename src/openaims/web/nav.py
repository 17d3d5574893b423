"""Navigation organized by the standard's clauses. Apps register their pages; empty sections are hidden.

Nothing here links to a page that does not exist: a section appears once some app registers an
item in it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

SECTIONS: list[tuple[str, str]] = [
    ("dashboard", "Dashboard"),
    ("catalog", "Library"),
    ("inventory", "Inventory"),
    ("4", "Context (4)"),
    ("5", "Leadership (5)"),
    ("6", "Planning (6)"),
    ("7", "Support (7)"),
    ("8", "Operation (8)"),
    ("9", "Performance evaluation (9)"),
    ("10", "Improvement (10)"),
    ("settings", "Settings"),
]
_SECTION_KEYS = {key for key, _ in SECTIONS}


@dataclass(frozen=True)
class NavItem:
    section: str
    label: str
    url: Callable  # (tenant) -> str
    perm: str
    clause: str | None
    order: int


_items: list[NavItem] = []


def register(
    section: str, label: str, url: Callable, *, perm: str = "read", clause: str | None = None, order: int = 50
) -> None:
    if section not in _SECTION_KEYS:
        raise ValueError(f"unknown navigation section {section!r}")
    if any(item.section == section and item.label == label for item in _items):
        return  # ready() may run twice in some test set-ups
    _items.append(NavItem(section, label, url, perm, clause, order))


def build(tenant, current_path: str) -> list[dict]:
    root = f"/o/{tenant.organization.slug}/"
    sections = []
    for key, title in SECTIONS:
        entries = []
        for item in sorted((i for i in _items if i.section == key), key=lambda i: (i.order, i.label)):
            if not tenant.can(item.perm):
                continue
            url = item.url(tenant)
            entries.append(
                {
                    "label": item.label,
                    "url": url,
                    "clause": item.clause,
                    "active": current_path == url or (url != root and current_path.startswith(url)),
                }
            )
        if entries:
            sections.append({"key": key, "title": title, "items": entries})
    return sections
