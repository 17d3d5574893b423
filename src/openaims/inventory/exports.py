"""The AI system register as CSV or XLSX (A.4.2): every register field, its risk class, stage and part counts.

The renderers take the rows of `selectors.register_rows` (the same filters as the page) and build the
whole file in memory before anything is sent, so a failure never leaves a truncated download.
Vocabulary fields are exported as their labels, owners as usernames.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from openaims.inventory.models import AISystem
from openaims.inventory.selectors import term_labels

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


# Spreadsheet programs run a CSV cell starting with one of these as a formula ("CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_safe(value):
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def systems_csv(systems: Iterable[AISystem], title: str) -> bytes:
    header, body = table(systems)
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for values in body:
        writer.writerow([_csv_safe(v) for v in values])
    return buffer.getvalue().encode("utf-8")


_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="EEF1F5")
_TOP = Alignment(vertical="top")
_TOP_WRAP = Alignment(vertical="top", wrap_text=True)


def systems_xlsx(systems: Iterable[AISystem], title: str) -> bytes:
    """One sheet: the header frozen in row 1 with an autofilter over the table, one row per system."""
    header, body = table(systems)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET_TITLE
    for col, text in enumerate(header, start=1):
        cell = sheet.cell(row=1, column=col, value=text)
        cell.font, cell.fill, cell.alignment = _HEADER_FONT, _HEADER_FILL, _TOP_WRAP
    for row_number, values in enumerate(body, start=2):
        for col, (column, value) in enumerate(zip(COLUMNS, values, strict=True), start=1):
            if isinstance(value, str):
                value = ILLEGAL_CHARACTERS_RE.sub("", value)
            cell = sheet.cell(row=row_number, column=col, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # user text starting with "=" stays text, never a formula
            cell.alignment = _TOP_WRAP if column.wrap else _TOP
    for col, column in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(col)].width = column.width
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{len(body) + 1}"
    sheet.print_title_rows = "1:1"
    sheet.page_setup.orientation = "landscape"
    workbook.properties.title = title
    workbook.properties.creator = "OpenAIMS"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


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
