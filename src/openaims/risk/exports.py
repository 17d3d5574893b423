"""The risk register as CSV and XLSX (6.1.2, 6.1.3): one row per risk, whatever the register's filters kept.

Rows come from `selectors.export_risks` (every link prefetched); files are built whole in memory, so a
failure never leaves a truncated download.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from openaims.lib import tables
from openaims.risk.models import RiskStatus, TreatmentOption
from openaims.risk.selectors import Levels

SHEET_TITLE = "AI risk register"
_STATUS = dict(RiskStatus.choices)
_TREATMENT = dict(TreatmentOption.choices)


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable
    width: int
    wrap: bool = False


def _level(levels: Levels, key: str) -> str:
    level = levels.get(key)
    return level.name if level else ""


def _lines(items) -> str:
    return "\n".join(items)


def columns(levels: Levels) -> tuple[Column, ...]:
    return (
        Column("Risk", lambda r: r.ref, 8),
        Column("Title", lambda r: r.title, 36, wrap=True),
        Column("Description", lambda r: r.description, 40, wrap=True),
        Column(
            "AI systems",
            lambda r: _lines(f"{s.ref} {s.name}" for s in r.system_list) if r.system_list else "Organization-wide",
            28,
            wrap=True,
        ),
        Column(
            "Risk sources",
            lambda r: _lines([*(f"{n.ref_id} {n.title}" for n in r.source_refs), r.other_sources]).strip(),
            30,
            wrap=True,
        ),
        Column(
            "Objectives",
            lambda r: _lines([*(f"{n.ref_id} {n.title}" for n in r.objective_refs), r.other_objectives]).strip(),
            30,
            wrap=True,
        ),
        Column("Existing controls", lambda r: r.existing_controls, 30, wrap=True),
        Column("Inherent likelihood", lambda r: r.inherent_likelihood, 10),
        Column("Inherent consequence", lambda r: r.inherent_consequence, 11),
        Column("Inherent level", lambda r: _level(levels, r.inherent_level), 10),
        Column("Treatment option", lambda r: _TREATMENT.get(r.treatment_option, ""), 14),
        Column("Treatment plan", lambda r: r.treatment_plan, 36, wrap=True),
        Column(
            "Actions",
            lambda r: _lines(
                f"{a.title} — {a.owner or 'no owner'}, "
                f"due {a.due_date.isoformat() if a.due_date else '—'}, {a.status_label}"
                for a in r.action_rows
            ),
            40,
            wrap=True,
        ),
        Column("Selected controls", lambda r: _lines(r.control_refs), 14, wrap=True),
        Column("Residual likelihood", lambda r: r.residual_likelihood, 10),
        Column("Residual consequence", lambda r: r.residual_consequence, 11),
        Column("Residual level", lambda r: _level(levels, r.residual_level), 10),
        Column("Owner", lambda r: r.owner.get_username() if r.owner_id else "", 14),
        Column("Status", lambda r: _STATUS.get(r.status, r.status), 14),
        Column(
            "Accepted by",
            lambda r: f"{r.acceptance.accepted_by} on {r.acceptance.accepted_at:%Y-%m-%d}" if r.acceptance else "",
            20,
        ),
        Column("Review date", lambda r: r.review_date.isoformat() if r.review_date else "", 11),
        Column("Review overdue", lambda r: "yes" if r.is_overdue else "", 8),
        Column("Criteria version", lambda r: r.criteria_number, 8),
    )


def table(risks: list, levels: Levels) -> tuple[list[str], list[list]]:
    cols = columns(levels)
    return [c.header for c in cols], [[c.value(risk) for c in cols] for risk in risks]


def register_csv(risks: list, levels: Levels) -> bytes:
    return tables.table_csv(*table(risks, levels))


_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="EEF1F5")
_TOP_WRAP = Alignment(vertical="top", wrap_text=True)


def register_xlsx(risks: list, levels: Levels, *, organization: str = "") -> bytes:
    """One sheet, header frozen with an autofilter; user text is always stored as text, never as a formula.

    Written in openpyxl's write-only mode: a full register of tens of thousands of risks stays fast.
    """
    cols = columns(levels)
    header, body = table(risks, levels)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(SHEET_TITLE)
    for col, column in enumerate(cols, start=1):
        sheet.column_dimensions[get_column_letter(col)].width = column.width
    sheet.freeze_panes = "C2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(cols))}{len(body) + 1}"
    sheet.print_title_rows = "1:1"
    sheet.page_setup.orientation = "landscape"
    head = []
    for text in header:
        cell = WriteOnlyCell(sheet, value=text)
        cell.font, cell.fill, cell.alignment = _HEADER_FONT, _HEADER_FILL, _TOP_WRAP
        head.append(cell)
    sheet.append(head)
    wraps = [column.wrap for column in cols]
    for values in body:
        row = []
        for wrap, value in zip(wraps, values, strict=True):
            if isinstance(value, str):
                cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value))
                cell.data_type = "s"  # "=…" stays text, never a formula
                if wrap and "\n" in value:
                    cell.alignment = _TOP_WRAP
                row.append(cell)
            else:
                row.append(value)
        sheet.append(row)
    workbook.properties.title = f"{SHEET_TITLE} — {organization}" if organization else SHEET_TITLE
    workbook.properties.creator = "OpenAIMS"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
