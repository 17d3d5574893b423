"""The AI system register as CSV or XLSX (A.4.2): every register field, its risk class, stage and part counts.

The renderers take the rows of `selectors.register_rows` (the same filters as the page) and build the
whole file in memory before anything is sent, so a failure never leaves a truncated download.
Vocabulary fields are exported as their labels, owners as usernames.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from openaims.inventory.models import AISystem
from openaims.inventory.selectors import term_labels
from openaims.lib import tables

SHEET_TITLE = "AI system register"


def _user(user) -> str:
    return user.get_username() if user is not None else ""


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable[[AISystem, dict], object]  # (system, its term labels) -> cell value
    width: int
    wrap: bool = False


COLUMNS: tuple[Column, ...] = (
    Column("Ref", lambda s, t: s.ref, 9),
    Column("Name", lambda s, t: s.name, 28, wrap=True),
    Column("Purpose", lambda s, t: s.purpose, 40, wrap=True),
    Column("Intended use", lambda s, t: s.intended_use, 40, wrap=True),
    Column("Foreseeable misuse", lambda s, t: s.foreseeable_misuse, 30, wrap=True),
    Column("Intended users", lambda s, t: s.intended_users, 24, wrap=True),
    Column("Affected persons", lambda s, t: s.affected_persons, 24, wrap=True),
    Column("Our role", lambda s, t: t["role"], 14),
    Column("Business owner", lambda s, t: _user(s.business_owner), 14),
    Column("Technical owner", lambda s, t: _user(s.technical_owner), 14),
    Column("Technique", lambda s, t: t["technique"], 20),
    Column("Automation level", lambda s, t: t["automation_level"], 24, wrap=True),
    Column("Human oversight", lambda s, t: t["oversight_mode"], 18),
    Column("How oversight works", lambda s, t: s.oversight_description, 30, wrap=True),
    Column("Deployment environment", lambda s, t: s.deployment_environment, 30, wrap=True),
    Column("Geography", lambda s, t: s.geography, 14),
    Column("Personal data", lambda s, t: "yes" if s.personal_data else "no", 9),
    Column("Personal data notes", lambda s, t: s.personal_data_notes, 30, wrap=True),
    Column("Criticality", lambda s, t: t["criticality"], 11),
    Column("Life-cycle stage", lambda s, t: t["stage"], 18),
    Column("Risk class", lambda s, t: t["risk_class"], 18),
    Column("Classification to redo", lambda s, t: "yes" if s.classification_stale else "no", 12),
    Column("Models", lambda s, t: s.model_count, 8),
    Column("Datasets", lambda s, t: s.dataset_count, 8),
    Column("Components", lambda s, t: s.component_count, 10),
    Column("Version", lambda s, t: s.version, 8),
    Column("Updated", lambda s, t: timezone.localtime(s.updated_at).strftime("%Y-%m-%d %H:%M"), 16),
)


def table(systems: Iterable[AISystem]) -> tuple[list[str], list[list]]:
    """The header and cell values shared by both formats (systems annotated by `register_rows`)."""
    body = []
    for system in systems:
        labels = term_labels(system)
        body.append([column.value(system, labels) for column in COLUMNS])
    return [column.header for column in COLUMNS], body


def systems_csv(systems: Iterable[AISystem], title: str) -> bytes:
    return tables.table_csv(*table(systems))


def systems_xlsx(systems: Iterable[AISystem], title: str) -> bytes:
    """One sheet: the header frozen in row 1 with an autofilter over the table, one row per system."""
    header, body = table(systems)
    return tables.table_xlsx(
        sheet_title=SHEET_TITLE,
        header=header,
        body=body,
        widths=[c.width for c in COLUMNS],
        wrap=[c.wrap for c in COLUMNS],
        title=title,
    )


@dataclass(frozen=True)
class ExportFormat:
    key: str  # in the URL: …/systems/export.<key>
    label: str
    content_type: str
    render: Callable[[Iterable[AISystem], str], bytes]


FORMATS: dict[str, ExportFormat] = {
    "csv": ExportFormat("csv", "CSV", "text/csv; charset=utf-8", systems_csv),
    "xlsx": ExportFormat(
        "xlsx", "Excel (XLSX)", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", systems_xlsx
    ),
}


def filename(slug: str, key: str, when: datetime | None = None) -> str:
    when = timezone.localtime(when or timezone.now())
    return f"ai-systems-{slug}-{when:%Y-%m-%d}.{key}"
