"""Tables as the registers export them: CSV, and one-sheet XLSX (bold frozen header, autofilter, column
widths, landscape print fitted to the page width). In both, user text can never become a formula."""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

# What a cell of an exported table may hold (openpyxl writes each of these natively).
CellValue = str | int | float | Decimal | datetime.date | None

# Spreadsheet programs run a CSV cell starting with one of these as a formula ("CSV injection"); some read the
# fullwidth forms (U+FF1D, U+FF0B, U+FF0D, U+FF20) as their ASCII twins, and some skip leading blanks first.
_FORMULA_START = ("=", "+", "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_GUARDED_START = ("'", "\t", "\r", "\n")


def csv_safe(value: CellValue) -> CellValue:
    """Text a spreadsheet would run, with an apostrophe in front. Text that already starts with an apostrophe
    gets one too, so removing exactly one leading apostrophe always gives back what was written."""
    if isinstance(value, str) and (value.startswith(_GUARDED_START) or value.lstrip().startswith(_FORMULA_START)):
        return "'" + value
    return value


def table_csv(header: Sequence[str], body: Iterable[Sequence[CellValue]]) -> bytes:
    """Plain UTF-8 with CRLF line ends and one header row; empty cells for None."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for values in body:
        writer.writerow([csv_safe(v) for v in values])
    return buffer.getvalue().encode("utf-8")


_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="EEF1F5")
_TOP = Alignment(vertical="top")
_TOP_WRAP = Alignment(vertical="top", wrap_text=True)


def table_xlsx(
    *,
    sheet_title: str,
    header: Sequence[str],
    body: Iterable[Sequence[CellValue]],
    widths: Sequence[int],
    wrap: Sequence[bool],
    title: str = "",
    description: str = "",
) -> bytes:
    """The table as workbook bytes; `widths` and `wrap` give each column's width and whether it wraps."""
    workbook = Workbook()
    sheet = workbook.active
    assert isinstance(sheet, Worksheet)  # a new workbook starts with one plain worksheet; narrows the type
    sheet.title = sheet_title
    for col, text in enumerate(header, start=1):
        cell = sheet.cell(row=1, column=col, value=text)
        cell.font, cell.fill, cell.alignment = _HEADER_FONT, _HEADER_FILL, _TOP_WRAP
    row_number = 1
    for row_number, values in enumerate(body, start=2):
        for col, value in enumerate(values, start=1):
            if isinstance(value, str):
                value = ILLEGAL_CHARACTERS_RE.sub("", value)
            cell = sheet.cell(row=row_number, column=col, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # user text starting with "=" stays text, never a formula
            cell.alignment = _TOP_WRAP if wrap[col - 1] else _TOP
    for col, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(col)].width = width
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(header))}{row_number}"
    sheet.print_title_rows = "1:1"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    workbook.properties.title = title or sheet_title
    workbook.properties.creator = "OpenAIMS"
    if description:
        workbook.properties.description = description
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
