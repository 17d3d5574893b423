"""Importing AI systems from CSV and XLSX: every row checked first, all rows or none, every bad row reported."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook, load_workbook

from openaims.audittrail.models import AuditEvent
from openaims.inventory import imports
from openaims.inventory.imports import RowsRejected, systems_import
from openaims.inventory.models import AISystem
from openaims.lib.errors import ServiceError
from tests.inventory.conftest import make_system

HEADER = ["name", "purpose", "role", "technique", "criticality"]


def csv_bytes(*rows, header=HEADER, delimiter=",") -> bytes:
    lines = [delimiter.join(header), *(delimiter.join(row) for row in rows)]
    return ("\n".join(lines) + "\n").encode("utf-8")


def xlsx_bytes(rows) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def run(cast, content, **options):
    return systems_import(actor=cast.tenant("owner"), content=content, **options)


def names(cast) -> list[str]:
    return list(AISystem.objects.filter(organization=cast.org).order_by("number").values_list("name", flat=True))


def test_it_imports_every_row_of_a_csv_file_with_an_audit_event_each(cast):
    content = csv_bytes(
        ["Chat assistant", "Answers customer questions", "deployer", "llm", "low"],
        ["Fraud scoring", "Flags suspicious payments", "provider", "ml", "high"],
        ["Invoice rules", "Routes invoices", "user", "rules", ""],
    )

    report = run(cast, content, file_name="systems.csv")

    assert report.created == ["AIS-1", "AIS-2", "AIS-3"] and not report.dry_run
    assert names(cast) == ["Chat assistant", "Fraud scoring", "Invoice rules"]
    third = AISystem.objects.get(organization=cast.org, number=3)
    assert (third.role, third.technique, third.criticality, third.stage) == ("user", "rules", "medium", "inception")
    events = AuditEvent.objects.filter(organization=cast.org)
    assert events.filter(object_type="inventory.aisystem", action="create").count() == 3
    summary = events.get(action="import_systems")
    assert summary.changes_dict["file"] == [None, "systems.csv"] and summary.changes_dict["created"] == [None, 3]
    assert "3 rows are valid; systems were 3 created" in report.summary()


def test_it_imports_an_xlsx_workbook_with_typed_cells_and_gaps(cast):
    content = xlsx_bytes(
        [
            ["Name", "Purpose", "Role", "Technique", "Personal data", "Geography"],
            ["Triage", "Sorts tickets", "Deployer", "LLM / generative AI", True, "EU"],
            [None, None, None, None, None, None],
            ["Forecast", "Predicts demand", "developer", "ml", 0, 2024],
        ]
    )

    report = run(cast, content)

    assert report.created == ["AIS-1", "AIS-2"]
    triage, forecast = AISystem.objects.filter(organization=cast.org).order_by("number")
    assert (triage.role, triage.technique, triage.personal_data) == ("deployer", "llm", True)
    assert (forecast.personal_data, forecast.geography) == (False, "2024")


def test_it_imports_nothing_and_reports_every_bad_row(cast):
    content = csv_bytes(
        ["Good one", "Does a thing", "provider", "ml", "low"],  # row 2
        ["No purpose", "", "provider", "ml", "low"],  # row 3
        ["Good two", "Does another", "deployer", "rules", "high"],  # row 4
        ["Odd role", "Does a thing", "landlord", "ml", "low"],  # row 5
        ["Odd technique", "Does a thing", "provider", "magic", "extreme"],  # row 6: two problems
        ["Good three", "Does a third", "user", "hybrid", ""],  # row 7
    )

    with pytest.raises(RowsRejected) as caught:
        run(cast, content)

    errors = [(e.row, e.field, e.message) for e in caught.value.errors]
    assert [(row, field) for row, field, _ in errors] == [
        (3, "purpose"),
        (5, "role"),
        (6, "technique"),
        (6, "criticality"),
    ]
    assert "purpose is required" in errors[0][2]
    assert "unknown role 'landlord'" in errors[1][2] and "provider" in errors[1][2]
    assert caught.value.message == "3 of 6 rows have problems; nothing was imported"
    assert caught.value.status == 422
    assert caught.value.details[0] == {"row": 3, "field": "purpose", "column": "purpose", "message": errors[0][2]}
    assert names(cast) == []
    assert not AuditEvent.objects.filter(organization=cast.org, object_type="inventory.aisystem").exists()


def test_it_refuses_the_same_name_twice_in_one_file(cast):
    content = csv_bytes(
        ["Chatbot", "Answers questions", "deployer", "llm", "low"],
        ["Other", "Something", "deployer", "llm", "low"],
        ["CHATBOT ", "Answers again", "deployer", "llm", "low"],
    )

    with pytest.raises(RowsRejected) as caught:
        run(cast, content)

    (error,) = caught.value.errors
    assert (error.row, error.field) == (4, "name") and "also on row 2" in error.message
    assert names(cast) == []


def test_it_refuses_a_name_already_in_the_register_unless_told_to_update(cast):
    existing = make_system(cast, name="Credit scoring", criticality="high")
    content = csv_bytes(
        ["credit scoring", "Scores consumer credit applications", "provider", "ml", "critical"],
        ["New one", "Does a thing", "provider", "ml", "low"],
    )

    with pytest.raises(RowsRejected) as caught:
        run(cast, content)
    (error,) = caught.value.errors
    assert error.row == 2 and f"a system named 'Credit scoring' exists ({existing.ref})" in error.message
    assert names(cast) == ["Credit scoring"]

    report = run(cast, content, update_existing=True)

    assert report.updated == [existing.ref] and report.created == ["AIS-2"]
    existing.refresh_from_db()
    assert existing.criticality == "critical" and existing.name == "credit scoring"
    assert AuditEvent.objects.filter(object_type="inventory.aisystem", object_id=str(existing.pk), action="update")

    again = run(cast, csv_bytes(["credit scoring", "", "", "", "critical"]), update_existing=True)
    assert again.unchanged == [existing.ref] and again.updated == [] and again.created == []


def test_it_reads_header_spellings_labels_semicolons_and_owners(cast):
    header = [
        "System name",
        "PURPOSE",
        "Our role",
        "AI technique",
        "Human oversight",
        "Personal data",
        "Business owner",
    ]
    content = csv_bytes(
        ["Helpdesk bot", "Answers staff", "Deployer", "LLM / generative AI", "Human in the loop", "yes", "mona"],
        ["Scorer", "Scores leads", "developer", "machine-learning model", "on the loop", "0", "carl@example.org"],
        header=header,
        delimiter=";",
    )

    run(cast, content)

    bot, scorer = AISystem.objects.filter(organization=cast.org).order_by("number").select_related("business_owner")
    assert (bot.role, bot.technique, bot.oversight_mode, bot.personal_data) == ("deployer", "llm", "in_the_loop", True)
    assert bot.business_owner == cast.users["manager"]
    assert (scorer.technique, scorer.oversight_mode, scorer.personal_data) == ("ml", "on_the_loop", False)
    assert scorer.business_owner == cast.users["contributor"]


def test_it_refuses_owners_who_are_not_members_and_unreadable_yes_no(cast):
    content = csv_bytes(
        ["A", "Does a", "provider", "ml", "oscar", "maybe"],
        header=["name", "purpose", "role", "technique", "technical_owner", "personal_data"],
    )

    with pytest.raises(RowsRejected) as caught:
        run(cast, content)

    assert [(e.field, e.message) for e in caught.value.errors] == [
        ("technical_owner", "'oscar' is not a member of the organization (give a username or email)"),
        ("personal_data", "write yes or no, not 'maybe'"),
    ]


def test_a_check_only_run_writes_nothing_but_says_what_would_happen(cast):
    make_system(cast, name="Kept")
    content = csv_bytes(["Kept", "", "", "", "low"], ["Fresh", "Does a thing", "provider", "ml", "low"])

    report = run(cast, content, dry_run=True, update_existing=True)

    assert report.dry_run and report.created == ["AIS-2"] and report.updated == ["AIS-1"]
    assert report.summary().startswith("check only, nothing written: 2 rows are valid; systems would be 1 created")
    assert names(cast) == ["Kept"]
    assert AISystem.objects.get(organization=cast.org).criticality == "high"
    assert not AuditEvent.objects.filter(action="import_systems").exists()


def test_names_of_another_organization_do_not_collide(cast):
    make_system(cast, org=cast.other_org, name="Shared name")

    run(cast, csv_bytes(["Shared name", "Does a thing", "provider", "ml", "low"]))

    assert names(cast) == ["Shared name"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"name,purpose,role,technique\n", "a header but no rows"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "neither UTF-8 text nor an XLSX"),
        (b"%PDF-1.7\n\x00\x01binary", "not a spreadsheet"),
        ("name,purpose\nCaf\xe9,x\n".encode("latin-1"), "neither UTF-8 text nor an XLSX"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "old Excel .xls files are not supported"),
        (b"PK\x03\x04not really a zip", "this file is not a valid workbook: it is not a complete ZIP archive"),
        (b"name,purpose,role,technique,colour\nA,B,provider,ml,red\n", "unknown column(s) 'colour'"),
        (b"name,purpose\nA,B\n", "the file has no role, technique columns (required)"),
        (b"name,purpose,role,technique,,\nA,B,provider,ml,,stray\n", "column F has values but no name"),
        (b"name,Name,purpose,role,technique\nA,A,B,provider,ml\n", "both mean name"),
    ],
)
def test_it_refuses_a_file_it_cannot_use_in_one_clear_line(cast, content, message):
    with pytest.raises(ServiceError) as caught:
        run(cast, content)

    assert message in caught.value.message
    assert not isinstance(caught.value, RowsRejected) and caught.value.code == "invalid_file"
    assert names(cast) == []


def test_it_refuses_files_over_the_size_and_row_limits(cast, settings):
    with pytest.raises(ServiceError, match="larger than 5 MB"):
        run(cast, b"name\n" + b"x" * imports.max_bytes())

    settings.AIMS_IMPORT_MAX_ROWS = 3
    rows = [[f"S{i}", "Does", "provider", "ml", "low"] for i in range(4)]
    with pytest.raises(ServiceError, match="more than 3 rows"):
        run(cast, csv_bytes(*rows))
    assert names(cast) == []


def test_the_templates_import_as_they_are_and_list_the_allowed_values(cast):
    assert run(cast, imports.template_csv()).created == ["AIS-1"]

    workbook = load_workbook(io.BytesIO(imports.template_xlsx()))
    assert workbook.sheetnames == ["AI systems", "Allowed values"]
    header = [cell.value for cell in workbook["AI systems"][1]]
    assert header == list(imports.COLUMNS)
    allowed = {(row[0], row[2]) for row in workbook["Allowed values"].iter_rows(min_row=2, values_only=True)}
    assert ("technique", "llm") in allowed and ("oversight_mode", "in_the_loop") in allowed
    assert ("personal_data", "yes") in allowed

    AISystem.objects.filter(organization=cast.org).delete()
    assert run(cast, imports.template_xlsx()).created == ["AIS-2"], "a number is never handed out twice"


def test_xlsx_rows_are_numbered_as_the_spreadsheet_shows_them(cast):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["name", "purpose", "role", "technique"])
    sheet.append(["Fine", "Does a thing", "provider", "ml"])
    sheet["A6"], sheet["B6"], sheet["C6"], sheet["D6"] = "Late", "Does a thing", "provider", "quantum"
    out = io.BytesIO()
    workbook.save(out)

    with pytest.raises(RowsRejected) as caught:
        run(cast, out.getvalue())

    assert [(e.row, e.column) for e in caught.value.errors] == [(6, "technique")]
