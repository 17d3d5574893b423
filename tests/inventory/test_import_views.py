"""The import and MLflow pages: upload, row-error table, check-only run, templates, sync report."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from openaims.inventory.models import AIModel, AISystem
from tests.inventory.conftest import make_system

GOOD = b"name,purpose,role,technique\nChatbot,Answers questions,deployer,llm\nScorer,Scores leads,provider,ml\n"
BAD = (
    b"name,purpose,role,technique\n"
    b"Chatbot,Answers questions,deployer,llm\n"
    b"Scorer,,provider,ml\n"
    b"Router,Routes mail,landlord,ml\n"
)


def upload(content: bytes, name="systems.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/csv")


def page(cast):
    return reverse("inventory:import_systems", args=[cast.org.slug])


def test_it_shows_the_form_the_templates_and_the_allowed_values(cast, client_for):
    response = client_for(cast.users["contributor"]).get(page(cast))

    html = response.content.decode()
    assert response.status_code == 200
    assert 'enctype="multipart/form-data"' in html and "Check only" in html
    assert reverse("inventory:import_template", args=["acme", "xlsx"]) in html
    assert "LLM / generative AI" in html  # the allowed values, with labels
    assert reverse("inventory:mlflow_sync", args=["acme"]) not in html  # a contributor cannot sync


def test_it_imports_a_good_file_and_returns_to_the_register(cast, client_for):
    client = client_for(cast.users["contributor"])

    response = client.post(page(cast), {"file": upload(GOOD)})

    assert response.status_code == 302 and response["Location"] == reverse("inventory:systems", args=["acme"])
    assert list(AISystem.objects.filter(organization=cast.org).values_list("name", flat=True)) == ["Chatbot", "Scorer"]
    assert AISystem.objects.get(name="Chatbot").created_by == cast.users["contributor"]
    follow = client.get(response["Location"])
    assert "Import of systems.csv: 2 rows are valid; systems were 2 created." in follow.content.decode()


def test_it_lists_every_bad_row_and_writes_nothing(cast, client_for):
    response = client_for(cast.users["owner"]).post(page(cast), {"file": upload(BAD)})

    html = response.content.decode()
    assert response.status_code == 400
    assert "2 of 3 rows have problems; nothing was imported" in html
    assert 'data-testid="row-errors"' in html
    assert '<td class="num">3</td><td>purpose</td><td>purpose is required</td>' in html
    assert '<td class="num">4</td><td>role</td><td>unknown role &#x27;landlord&#x27;' in html
    assert not AISystem.objects.filter(organization=cast.org).exists()


def test_a_check_only_upload_reports_and_writes_nothing(cast, client_for):
    response = client_for(cast.users["owner"]).post(page(cast), {"file": upload(GOOD), "dry_run": "on"})

    assert response.status_code == 200
    assert "Check passed: nothing was written" in response.content.decode()
    assert not AISystem.objects.filter(organization=cast.org).exists()


def test_an_existing_name_is_refused_unless_update_is_ticked(cast, client_for):
    make_system(cast, name="Chatbot", criticality="low")
    client = client_for(cast.users["owner"])

    refused = client.post(page(cast), {"file": upload(GOOD)})
    assert (
        refused.status_code == 400 and "a system named &#x27;Chatbot&#x27; exists (AIS-1)" in refused.content.decode()
    )

    accepted = client.post(page(cast), {"file": upload(GOOD), "update_existing": "on"})
    assert accepted.status_code == 302
    assert AISystem.objects.get(name="Chatbot").technique == "llm"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00binary", "neither UTF-8 text nor an XLSX workbook"),
        (b"name,colour\nA,red\n", "unknown column(s) &#x27;colour&#x27;"),
    ],
)
def test_it_shows_a_file_it_cannot_use_on_the_form(cast, client_for, content, message):
    response = client_for(cast.users["owner"]).post(page(cast), {"file": upload(content)})

    assert response.status_code == 400 and message in response.content.decode()


def test_it_asks_for_a_file(cast, client_for):
    response = client_for(cast.users["owner"]).post(page(cast), {})

    assert response.status_code == 400 and "This field is required." in response.content.decode()


def test_it_serves_the_templates(cast, client_for):
    client = client_for(cast.users["viewer"])

    csv = client.get(reverse("inventory:import_template", args=["acme", "csv"]))
    assert csv.status_code == 200 and csv["Content-Type"].startswith("text/csv")
    assert csv.content.decode("utf-8-sig").startswith("name,purpose,intended_use,")
    assert 'filename="ai-systems-import-template.csv"' in csv["Content-Disposition"]

    xlsx = client.get(reverse("inventory:import_template", args=["acme", "xlsx"]))
    assert load_workbook(io.BytesIO(xlsx.content)).sheetnames == ["AI systems", "Allowed values"]

    assert client.get(reverse("inventory:import_template", args=["acme", "ods"])).status_code == 404


# --- MLflow -----------------------------------------------------------------------------------------


def mlflow_page(cast):
    return reverse("inventory:mlflow_sync", args=[cast.org.slug])


def test_the_mlflow_page_offers_the_sync_to_approvers_only(cast, client_for):
    make_system(cast)
    manager = client_for(cast.users["manager"]).get(mlflow_page(cast)).content.decode()
    contributor = client_for(cast.users["contributor"]).get(mlflow_page(cast)).content.decode()

    assert 'data-testid="mlflow-form"' in manager and "AIS-1 Credit scoring" in manager
    assert 'data-testid="mlflow-form"' not in contributor and "An owner or manager runs the sync" in contributor
    assert client_for(cast.users["contributor"]).post(mlflow_page(cast), {"tracking_uri": "x"}).status_code == 403


def test_the_mlflow_page_refuses_local_stores_by_default(cast, client_for, tmp_path, settings):
    settings.AIMS_MLFLOW_LOCAL_STORES = False

    response = client_for(cast.users["owner"]).post(mlflow_page(cast), {"tracking_uri": tmp_path.as_uri()})

    assert response.status_code == 400
    assert "is a store on this server" in response.content.decode()


def test_the_mlflow_page_shows_bad_mapping_lines_on_the_form(cast, client_for):
    response = client_for(cast.users["owner"]).post(
        mlflow_page(cast), {"tracking_uri": "https://mlflow.example.org", "mapping": "model = AIS-42"}
    )

    assert response.status_code == 400
    assert "mapping line 1: no system &#x27;AIS-42&#x27;" in response.content.decode()


def test_the_mlflow_page_syncs_a_real_store_when_the_server_allows_it(
    cast, client_for, tmp_path, settings, monkeypatch
):
    tracking = pytest.importorskip("mlflow.tracking")
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    settings.AIMS_MLFLOW_LOCAL_STORES = True
    system = make_system(cast)
    uri = (tmp_path / "mlruns").as_uri()
    client = tracking.MlflowClient(tracking_uri=uri, registry_uri=uri)
    client.create_registered_model("scorer")
    client.create_model_version("scorer", source="s3://bucket/scorer/1")

    response = client_for(cast.users["manager"]).post(
        mlflow_page(cast), {"tracking_uri": uri, "mapping": f"scorer = {system.ref}"}
    )

    html = response.content.decode()
    assert response.status_code == 200 and 'data-testid="mlflow-report"' in html
    assert "1 created, 0 updated, 0 unchanged, 0 skipped" in html
    assert AIModel.objects.get(system=system).uri == "s3://bucket/scorer/1"
