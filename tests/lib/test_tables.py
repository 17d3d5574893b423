"""Exported tables never let user text run as a formula: CSV cells get an apostrophe, XLSX cells are text."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
from openpyxl import load_workbook

from openaims.lib.tables import table_csv, table_xlsx

RUNNABLE = [
    "=1+1",
    "+1",
    "-1",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
    "\uff1d1+1",  # fullwidth =, read as = by some spreadsheet programs
    "\uff0bcmd",
    "\uff0d1",
    "\uff20SUM(A1)",
    " =1+1",  # blanks first: some programs trim before they look
    "\u3000=1+1",
    "\u00a0@SUM(A1)",
]
HARMLESS = ["plain", "a-b", "e-mail", "50%", "", "x=1"]


def csv_cells(values) -> list[str]:
    content = table_csv(["value"], [[v] for v in values]).decode("utf-8")
    return [row[0] for row in list(csv.reader(io.StringIO(content, newline="")))[1:]]


@pytest.mark.parametrize("value", RUNNABLE)
def test_a_csv_cell_a_spreadsheet_would_run_starts_with_an_apostrophe(value):
    assert csv_cells([value]) == ["'" + value]


def test_a_leading_apostrophe_is_doubled_so_one_removed_gives_the_text_back():
    assert csv_cells(["'=1+1", "'quoted", "''"]) == ["''=1+1", "''quoted", "'''"]
    assert [cell[1:] for cell in csv_cells(["'quoted", "=1"])] == ["'quoted", "=1"]


def test_other_text_and_numbers_are_left_as_they_are():
    assert csv_cells(HARMLESS) == HARMLESS
    content = table_csv(["n"], [[-5], [2.5]]).decode("utf-8")
    assert content.splitlines()[1:] == ["-5", "2.5"]


def test_an_xlsx_holds_every_such_text_as_text_never_as_a_formula():
    values = [*RUNNABLE, "'quoted"]
    content = table_xlsx(sheet_title="T", header=["value"], body=[[v] for v in values], widths=[10], wrap=[False])

    sheet = load_workbook(io.BytesIO(content)).active
    cells = [sheet.cell(row=i, column=1) for i in range(2, len(values) + 2)]
    assert [c.data_type for c in cells] == ["s"] * len(values)
    assert [c.value for c in cells] == [v.replace("\r", "\n") for v in values]  # XML reads CR as LF
    sheet_xml = zipfile.ZipFile(io.BytesIO(content)).read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in sheet_xml and b"<f " not in sheet_xml  # no formula element anywhere
