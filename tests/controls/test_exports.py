"""SoA exports: the files re-read with the libraries a user's tools would use, and the downloads."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import date

import pytest
from django.core.serializers.json import DjangoJSONEncoder
from django.urls import reverse
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from openaims.controls import exports
from openaims.controls.models import Control
from openaims.controls.selectors import soa_rows
from openaims.controls.services import (
    control_create_custom,
    control_update,
    controls_adopt_catalog,
    evidence_create,
)
from openaims.risk.services import risk_create, risk_select_control
from openaims.tenancy.selectors import tenant_of
from tests.catalog.conftest import load_tiny
from tests.controls.helpers import publish_signed

TINY = "urn:openaims:framework:tiny-1"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def row(ref_id: str, **overrides) -> dict:
    data = {
        "ref_id": ref_id,
        "title": f"Control {ref_id}",
        "group": "A Alpha",
        "custom": False,
        "urn": f"urn:openaims:tiny-1:{ref_id.lower()}",
        "owner": "alice",
        "status": "not_started",
        "applicability": "included",
        "justification": "",
        "risks": [],
        "requirements": [],
        "legal": [],
        "evidence_current": 0,
        "evidence_total": 0,
        "flags": [],
    }
    return {**data, **overrides}


ROWS = [
    row("A.1", risks=["Biased decisions", "Drift"], justification="Core duty", evidence_current=1, evidence_total=2),
    row(
        "A.2",
        applicability="excluded",
        risks=["Biased decisions"],
        flags=["excluded_but_selected", "excluded_without_justification"],
    ),
    row("ORG-1", title='=HYPERLINK("http://evil")', custom=True, urn=None, owner=None, group="Custom"),
]
META = exports.SoAMeta(organization="Acme AI", slug="acme")
VERSION_META = exports.SoAMeta(
    organization="Acme AI",
    slug="acme",
    version=3,
    approved_by="mona",
    approved_on=date(2025, 6, 30),
    content_hash="ab" * 32,
    status="signed",
)


def read_xlsx(content: bytes):
    workbook = load_workbook(io.BytesIO(content))
    assert workbook.sheetnames == ["Statement of Applicability"]
    return workbook["Statement of Applicability"]


def test_the_xlsx_has_a_frozen_filtered_header_in_row_1():
    sheet = read_xlsx(exports.soa_xlsx(ROWS, META))
    header = [cell.value for cell in sheet[1]]
    assert header[:3] == ["Control", "Title", "Group"] and "Flags" in header
    assert header == [column.header for column in exports.COLUMNS]
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:{get_column_letter(len(exports.COLUMNS))}{len(ROWS) + 1}"
    assert sheet.max_row == len(ROWS) + 1
    assert sheet[1][0].font.bold


def test_the_xlsx_joins_lists_by_newlines_and_wraps_them():
    sheet = read_xlsx(exports.soa_xlsx(ROWS, META))
    header = [cell.value for cell in sheet[1]]
    cells = {r[0].value: dict(zip(header, r, strict=True)) for r in sheet.iter_rows(min_row=2)}
    flags = cells["A.2"]["Flags"]
    assert flags.value == "Excluded, but a risk treatment selects it\nExcluded without a justification"
    assert flags.alignment.wrap_text
    reasons = cells["A.1"]["Justification (reasons)"]
    assert reasons.value == "Risk treatment: Biased decisions\nRisk treatment: Drift\nReason: Core duty"
    assert reasons.alignment.wrap_text
    assert cells["A.1"]["Applicability"].value == "Included"
    assert cells["A.1"]["Implementation status"].value == "Not started"
    assert (cells["A.1"]["Current evidence"].value, cells["A.1"]["Evidence total"].value) == (1, 2)
    assert cells["ORG-1"]["Source"].value == "Own control" and cells["ORG-1"]["Owner"].value is None
    for letter, column in zip("ABCDEFGHIJKLM", exports.COLUMNS, strict=True):
        assert sheet.column_dimensions[letter].width == column.width


def test_the_xlsx_keeps_user_text_that_looks_like_a_formula_as_text():
    sheet = read_xlsx(exports.soa_xlsx(ROWS, META))
    title = sheet["B4"]
    assert title.value == '=HYPERLINK("http://evil")' and title.data_type == "s"


def test_the_xlsx_drops_characters_a_spreadsheet_cannot_hold():
    sheet = read_xlsx(exports.soa_xlsx([row("A.1", justification="bell\x07 here")], META))
    assert sheet["F2"].value == "Reason: bell here"


def test_an_empty_soa_still_gives_a_header_only_sheet():
    sheet = read_xlsx(exports.soa_xlsx([], META))
    assert sheet.max_row == 1 and sheet.auto_filter.ref == f"A1:{get_column_letter(len(exports.COLUMNS))}1"


def test_the_csv_parses_back_with_one_header_row():
    content = exports.soa_csv(ROWS, META)
    assert not content.startswith(b"\xef\xbb\xbf"), "plain UTF-8, no byte order mark"
    records = list(csv.DictReader(io.StringIO(content.decode("utf-8"))))
    assert [r["Control"] for r in records] == ["A.1", "A.2", "ORG-1"]
    assert records[1]["Flags"].split("\n") == [
        "Excluded, but a risk treatment selects it",
        "Excluded without a justification",
    ]
    assert records[0]["Justification (reasons)"].splitlines()[-1] == "Reason: Core duty"
    # A cell a spreadsheet would run as a formula is neutralized with a leading apostrophe.
    assert records[2]["Title"] == '\'=HYPERLINK("http://evil")'


def test_the_json_parses_back_with_its_metadata_and_the_rows_unchanged():
    document = json.loads(exports.soa_json(ROWS, VERSION_META))
    assert document["organization"] == "Acme AI"
    assert (document["version"], document["approved_by"], document["approved_on"]) == (3, "mona", "2025-06-30")
    assert document["generated_at"] and document["content_hash"] == "ab" * 32
    assert document["rows"] == ROWS


def test_filenames_name_the_organization_and_version():
    assert exports.filename(META, "xlsx") == "soa-acme-current.xlsx"
    assert exports.filename(VERSION_META, "csv") == "soa-acme-v3.csv"


def test_row_from_dict_ignores_keys_it_does_not_know():
    assert exports.row_from_dict({**ROWS[0], "added_later": 1}).reasons[0] == "Risk treatment: Biased decisions"


# --- Downloads ----------------------------------------------------------------------------------


@pytest.fixture
def soa(cast):
    """The tiny catalog adopted plus one own control; A.2 flagged (excluded though a risk selects it)."""
    owner = cast.users["owner"]
    load_tiny()
    controls_adopt_catalog(actor=tenant_of(owner, cast.org), framework_urn=TINY)
    a1, a2 = Control.objects.filter(organization=cast.org).order_by("ref_id")
    control_create_custom(actor=tenant_of(owner, cast.org), ref_id="ORG-1", title="Model cards")
    risk = risk_create(actor=tenant_of(owner, cast.org), title="Biased decisions")
    risk_select_control(actor=tenant_of(owner), risk=risk, control=a2)
    control_update(actor=tenant_of(owner), control=a2, applicability="excluded")
    control_update(actor=tenant_of(owner), control=a1, applicability="included", status="implemented")
    evidence_create(actor=tenant_of(owner, cast.org), title="Report", controls=[a1])
    return cast


def download(client, url: str, filename: str, content_type: str) -> bytes:
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"] == f'attachment; filename="{filename}"'
    return response.content


def test_the_current_soa_downloads_as_xlsx_csv_and_json(soa, client_for):
    client = client_for(soa.users["viewer"])
    controls = Control.objects.filter(organization=soa.org).count()

    sheet = read_xlsx(
        download(client, reverse("controls:soa_export", args=["acme", "xlsx"]), "soa-acme-current.xlsx", XLSX)
    )
    assert sheet.max_row == controls + 1 and sheet.auto_filter.ref == f"A1:M{controls + 1}"
    by_ref = {r[0].value: r for r in sheet.iter_rows(min_row=2)}
    assert "Excluded, but a risk treatment selects it" in by_ref["A.2"][10].value

    text = download(
        client, reverse("controls:soa_export", args=["acme", "csv"]), "soa-acme-current.csv", "text/csv; charset=utf-8"
    )
    assert [r["Control"] for r in csv.DictReader(io.StringIO(text.decode()))] == ["A.1", "A.2", "ORG-1"]

    document = json.loads(
        download(
            client, reverse("controls:soa_export", args=["acme", "json"]), "soa-acme-current.json", "application/json"
        )
    )
    assert document["version"] is None and document["organization"] == "Acme AI"
    assert document["rows"] == json.loads(json.dumps([r.as_dict() for r in soa_rows(soa.org)], cls=DjangoJSONEncoder))

    assert client.get(reverse("controls:soa_export", args=["acme", "docx"])).status_code == 404


def test_a_version_downloads_as_frozen_and_its_hash_can_be_recomputed(soa, client_for):
    owner, manager = soa.users["owner"], soa.users["manager"]
    version = publish_signed(actor=tenant_of(owner, soa.org), approver=manager)
    control_create_custom(actor=tenant_of(owner, soa.org), ref_id="ORG-2", title="Added after v1")
    client = client_for(soa.users["auditor"])

    document = json.loads(
        download(
            client, reverse("controls:version_export", args=["acme", 1, "json"]), "soa-acme-v1.json", "application/json"
        )
    )
    assert (document["version"], document["approved_by"], document["approved_on"]) == (
        1,
        "mona",
        str(version.approved_on),
    )
    payload = json.dumps(document["rows"], sort_keys=True, cls=DjangoJSONEncoder)
    assert hashlib.sha256(payload.encode()).hexdigest() == version.content_hash == document["content_hash"]

    sheet = read_xlsx(
        download(client, reverse("controls:version_export", args=["acme", 1, "xlsx"]), "soa-acme-v1.xlsx", XLSX)
    )
    assert [r[0].value for r in sheet.iter_rows(min_row=2)] == ["A.1", "A.2", "ORG-1"], "ORG-2 came later"

    text = download(
        client,
        reverse("controls:version_export", args=["acme", 1, "csv"]),
        "soa-acme-v1.csv",
        "text/csv; charset=utf-8",
    )
    assert len(list(csv.reader(io.StringIO(text.decode())))) == 4
    assert client.get(reverse("controls:version_export", args=["acme", 2, "csv"])).status_code == 404


def test_the_soa_page_links_every_registered_format(soa, client_for):
    content = client_for(soa.users["viewer"]).get(reverse("controls:soa", args=["acme"])).content.decode()
    for key in exports.FORMATS:
        assert reverse("controls:soa_export", args=["acme", key]) in content


def test_a_format_that_refuses_gets_a_400_page_not_a_broken_file(soa, client_for, monkeypatch):
    from openaims.lib.errors import ServiceError

    def refuse(rows, meta):
        raise ServiceError("this format needs a loaded framework")

    monkeypatch.setitem(exports.FORMATS, "refusing", exports.ExportFormat("refusing", "R", "text/plain", "txt", refuse))
    response = client_for(soa.users["viewer"]).get(reverse("controls:soa_export", args=["acme", "refusing"]))
    assert response.status_code == 400
    assert "Content-Disposition" not in response
    assert b"this format needs a loaded framework" in response.content
