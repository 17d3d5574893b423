"""Hostile and broken XLSX files: bounded before and while they are read, every problem one clear line.

The workbooks are built part by part (tests/inventory/workbooks.py), as a careless or hostile producer
would write them; limits are lowered through settings so each case stays small and fast.
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from typer.testing import CliRunner

from openaims.cli import app
from openaims.inventory.imports import RowsRejected, systems_import
from openaims.inventory.models import AISystem
from openaims.lib.errors import ServiceError
from tests.inventory import workbooks

HEADER = ["name", "purpose", "role", "technique"]
ROWS = [HEADER, *([f"System {i}", "Does a thing", "provider", "ml"] for i in range(1, 6))]
INVALID = "this file is not a valid workbook: "


def broken_sheet() -> bytes:
    members = workbooks.parts(ROWS)
    members["xl/worksheets/sheet1.xml"] = members["xl/worksheets/sheet1.xml"][:-40]  # cut mid-element
    return workbooks.pack(members)


def run(cast, content, name="systems.xlsx", **options):
    return systems_import(actor=cast.tenant("owner"), content=content, file_name=name, **options)


def refusal(cast, content, name="systems.xlsx") -> ServiceError:
    with pytest.raises(ServiceError) as caught:
        run(cast, content, name)
    assert not isinstance(caught.value, RowsRejected) and caught.value.code == "invalid_file"
    assert "\n" not in caught.value.message
    assert not AISystem.objects.filter(organization=cast.org).exists()
    return caught.value


def test_it_reads_every_row_whatever_the_declared_dimension_says(cast):
    stale = workbooks.xlsx(ROWS, dimension="A1:D2")  # the producer forgot to update it: one row declared

    report = run(cast, stale)

    assert report.rows == 5 and len(report.created) == 5


def test_it_refuses_a_workbook_that_unpacks_past_the_limit_before_reading_it(cast, settings):
    settings.AIMS_IMPORT_XLSX_MAX_UNPACKED_BYTES = 1024 * 1024
    huge = workbooks.xlsx([HEADER, ["x" * (2 * 1024 * 1024), "Does", "provider", "ml"]])
    assert len(huge) < 20_000  # a few KB on the wire, megabytes once unpacked

    message = refusal(cast, huge).message

    assert "unpacks to more than 1 MB" in message


def test_it_refuses_a_zip_bomb_of_padding(cast, settings):
    settings.AIMS_IMPORT_XLSX_MAX_UNPACKED_BYTES = 1024 * 1024
    bomb = workbooks.xlsx(ROWS, padding=3 * 1024 * 1024)

    assert "unpacks to more than 1 MB" in refusal(cast, bomb).message


def test_it_refuses_an_archive_that_understates_its_sizes(cast, settings):
    settings.AIMS_IMPORT_XLSX_MAX_UNPACKED_BYTES = 1024 * 1024
    liar = workbooks.understate_sizes(
        workbooks.xlsx(ROWS, padding=3 * 1024 * 1024), "xl/worksheets/sheet1.xml", size=2_000
    )

    assert refusal(cast, liar).message.startswith(INVALID)


def test_it_refuses_a_cell_longer_than_the_limit_while_reading(cast, settings):
    settings.AIMS_IMPORT_MAX_CELL_CHARS = 100

    message = refusal(cast, workbooks.xlsx([HEADER, ["Long", "y" * 101, "provider", "ml"]])).message

    assert "cell B2 has more than 100 characters" in message
    csv = b"name,purpose,role,technique\nLong," + b"y" * 101 + b",provider,ml\n"
    assert "cell B2 has more than 100 characters" in refusal(cast, csv, "systems.csv").message


def test_it_refuses_rows_past_the_limit_while_reading(cast, settings):
    settings.AIMS_IMPORT_MAX_ROWS = 3

    assert "more than 3 rows" in refusal(cast, workbooks.xlsx(ROWS)).message


def test_a_cell_far_to_the_right_does_not_widen_every_row_in_memory(cast):
    members = workbooks.parts(ROWS)
    far = "".join(f'<row r="{r}"><c r="XFD{r}" t="s"><v>0</v></c></row>' for r in range(7, 300))
    members["xl/worksheets/sheet1.xml"] = members["xl/worksheets/sheet1.xml"].replace(
        b"</sheetData>", far.encode() + b"</sheetData>"
    )

    assert "row 7 has values beyond column GR" in refusal(cast, workbooks.pack(members)).message

    blank_far = workbooks.parts(ROWS)
    blank_far["xl/worksheets/sheet1.xml"] = blank_far["xl/worksheets/sheet1.xml"].replace(
        b'<row r="2">', b'<row r="2"><c r="XFD2"/>'
    )
    assert len(run(cast, workbooks.pack(blank_far)).created) == 5  # an empty (formatted) cell out there is fine


def test_it_refuses_a_sheet_that_claims_rows_past_the_end_of_a_spreadsheet(cast):
    members = workbooks.parts(ROWS)
    sheet = members["xl/worksheets/sheet1.xml"].replace(b'<row r="6">', b'<row r="99999999999">')
    members["xl/worksheets/sheet1.xml"] = sheet.replace(b'r="A6"', b'r="A99999999999"')

    assert refusal(cast, workbooks.pack(members)).message.startswith(INVALID)


@pytest.mark.parametrize(
    ("content", "name", "reason"),
    [
        (broken_sheet(), "systems.xlsx", ""),
        (workbooks.xlsx(ROWS)[:600], "systems.xlsx", "it is not a complete ZIP archive"),
        (b"PK\x03\x04not really a zip", "systems.xlsx", "it is not a complete ZIP archive"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "photo.xlsx", "it is not a ZIP archive"),
        (workbooks.pack({"readme.txt": b"hello"}), "notes.xlsx", ""),
    ],
    ids=["broken-sheet-xml", "truncated", "zip-header-only", "renamed-png", "zip-of-something-else"],
)
def test_it_maps_every_parse_error_to_one_line(cast, content, name, reason):
    message = refusal(cast, content, name).message

    assert message.startswith(INVALID) and reason in message


def test_it_refuses_xml_entities_in_a_workbook(cast):
    members = workbooks.parts(ROWS)
    members["xl/sharedStrings.xml"] = (
        b'<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
        + members["xl/sharedStrings.xml"].replace(b"<t>System 1</t>", b"<t>&b;</t>")
    )

    assert refusal(cast, workbooks.pack(members)).message.startswith(INVALID)


def test_the_import_page_shows_a_broken_workbook_on_the_form(cast, client_for):
    upload = SimpleUploadedFile("systems.xlsx", broken_sheet())
    url = reverse("inventory:import_systems", args=[cast.org.slug])

    response = client_for(cast.users["owner"]).post(url, {"file": upload})

    assert response.status_code == 400
    assert INVALID in response.content.decode()
    assert not AISystem.objects.exists()


def test_the_api_answers_400_for_a_broken_workbook(cast, api_for):
    api = api_for(cast.users["owner"], cast.org)
    upload = SimpleUploadedFile("systems.xlsx", broken_sheet())

    response = api.client.post("/api/v1/orgs/acme/systems/import", {"file": upload}, headers=api.headers)

    error = response.json()["error"]
    assert response.status_code == 400 and error["code"] == "invalid_file" and error["message"].startswith(INVALID)


def test_the_command_line_says_it_in_one_line_without_a_traceback(cast, tmp_path):
    (tmp_path / "systems.xlsx").write_bytes(broken_sheet())

    result = CliRunner().invoke(app, ["inventory", "import", str(tmp_path / "systems.xlsx"), "--org", "acme"])

    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.exception  # not a crash
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: systems.xlsx: {INVALID}"), result.stderr
    assert "Traceback" not in result.output
