"""The register's CSV and XLSX exports: every register field, risk class, stage, part counts; the page's filters."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from openaims.inventory.exports import COLUMNS
from openaims.inventory.models import AISystem
from openaims.inventory.services import SYSTEM_FIELDS, part_create
from openaims.tenancy.selectors import tenant_of
from tests.inventory.conftest import add_model, make_system


def export(name="csv"):
    return reverse("inventory:systems_export", args=["acme", name])


@pytest.fixture
def register(cast):
    owner, carl = cast.users["owner"], cast.users["contributor"]
    credit = make_system(
        cast,
        business_owner=owner,
        technical_owner=carl,
        geography="EU",
        personal_data=True,
        oversight_mode="in_the_loop",
        automation_level="assistive",
    )
    add_model(cast, credit, name="scorer", version="1")
    add_model(cast, credit, name="scorer", version="2")
    part_create(actor=tenant_of(owner), system=credit, kind="dataset", name="Loans 2020-2024")
    part_create(actor=tenant_of(owner), system=credit, kind="component", name="Bureau API")
    chatbot = make_system(cast, name="=HYPERLINK(evil)", purpose="Answers questions", role="deployer", technique="llm")
    AISystem.objects.filter(pk=chatbot.pk).update(risk_class="limited_risk")  # set-up only
    make_system(cast, org=cast.other_org, name="Globex system")
    return {"credit": credit, "chatbot": chatbot}


def read_csv(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8"))))


def test_it_exports_the_register_as_csv(cast, client_for, register):
    response = client_for(cast.users["viewer"]).get(export("csv"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="ai-systems-acme-' in response["Content-Disposition"]
    rows = read_csv(response)
    assert [r["Ref"] for r in rows] == ["AIS-1", "AIS-2"]  # not Globex's
    credit = rows[0]
    assert credit["Name"] == "Credit scoring"
    assert credit["Our role"] == "Provider" and credit["Technique"] == "Machine-learning model"
    assert credit["Business owner"] == "alice" and credit["Technical owner"] == "carl"
    assert credit["Human oversight"] == "Human in the loop" and credit["Geography"] == "EU"
    assert credit["Personal data"] == "yes" and credit["Criticality"] == "High"
    assert credit["Life-cycle stage"] == "Inception" and credit["Risk class"] == "Not classified"
    assert (credit["Models"], credit["Datasets"], credit["Components"]) == ("2", "1", "1")
    assert rows[1]["Risk class"] == "Limited risk (transparency)"


def test_it_never_lets_a_cell_run_as_a_formula(cast, client_for, register):
    rows = read_csv(client_for(cast.users["viewer"]).get(export("csv")))
    assert rows[1]["Name"] == "'=HYPERLINK(evil)"

    response = client_for(cast.users["viewer"]).get(export("xlsx"))
    sheet = load_workbook(io.BytesIO(response.content)).active
    cell = sheet.cell(row=3, column=2)
    assert cell.value == "=HYPERLINK(evil)" and cell.data_type == "s"


def test_it_covers_every_register_field():
    headers = {c.header for c in COLUMNS}
    assert len(headers) == len(COLUMNS)
    # One column per register field, plus the derived ones.
    assert len(COLUMNS) >= len(SYSTEM_FIELDS) + 6
    for needed in ("Risk class", "Life-cycle stage", "Models", "Datasets", "Components"):
        assert needed in headers


def test_it_exports_the_register_as_xlsx_with_a_frozen_filtered_header(cast, client_for, register):
    response = client_for(cast.users["viewer"]).get(export("xlsx"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref.startswith("A1:") and sheet.auto_filter.ref.endswith("3")
    header = [cell.value for cell in sheet[1]]
    assert header == [c.header for c in COLUMNS]
    row = dict(zip(header, [cell.value for cell in sheet[2]], strict=True))
    assert row["Ref"] == "AIS-1" and row["Models"] == 2 and row["Risk class"] == "Not classified"


def test_it_exports_what_the_filters_select(cast, client_for, register):
    client = client_for(cast.users["viewer"])
    assert [r["Ref"] for r in read_csv(client.get(export("csv"), {"technique": "llm"}))] == ["AIS-2"]
    assert [r["Ref"] for r in read_csv(client.get(export("csv"), {"q": "credit"}))] == ["AIS-1"]
    assert [r["Ref"] for r in read_csv(client.get(export("csv"), {"sort": "-ref"}))] == ["AIS-2", "AIS-1"]
    sheet = load_workbook(io.BytesIO(client.get(export("xlsx"), {"risk_class": "limited_risk"}).content)).active
    assert sheet.max_row == 2 and sheet.cell(row=2, column=1).value == "AIS-2"


def test_it_answers_404_for_an_unknown_format(cast, client_for, register):
    assert client_for(cast.users["viewer"]).get(export("pdf")).status_code == 404


def test_an_empty_register_exports_the_header_only(cast, client_for):
    rows = client_for(cast.users["viewer"]).get(export("csv")).content.decode().splitlines()
    assert len(rows) == 1 and rows[0].startswith("Ref,Name,Purpose")
