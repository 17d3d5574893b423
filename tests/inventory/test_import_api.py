"""POST /orgs/{org}/systems/import (multipart) and /systems/mlflow-sync: counts, row errors in `details`."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from openaims.inventory.models import AIModel, AISystem
from tests.inventory.conftest import make_system

URL = "/api/v1/orgs/acme/systems/import"
SYNC = "/api/v1/orgs/acme/systems/mlflow-sync"
GOOD = b"name,purpose,role,technique\nChatbot,Answers questions,deployer,llm\nScorer,Scores leads,provider,ml\n"


def post_file(api, content: bytes, query: str = "", name: str = "systems.csv"):
    upload = SimpleUploadedFile(name, content, content_type="text/csv")
    return api.client.post(URL + query, {"file": upload}, headers=api.headers)


def test_it_imports_a_file_and_answers_with_the_counts(cast, api_for):
    response = post_file(api_for(cast.users["contributor"], cast.org), GOOD)

    assert response.status_code == 201, response.content
    assert response.json() == {
        "rows": 2,
        "dry_run": False,
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "systems": {"created": ["AIS-1", "AIS-2"], "updated": [], "unchanged": []},
    }
    assert AISystem.objects.filter(organization=cast.org).count() == 2


def test_a_dry_run_answers_200_and_writes_nothing(cast, api_for):
    response = post_file(api_for(cast.users["owner"], cast.org), GOOD, "?dry_run=true")

    assert response.status_code == 200 and response.json()["dry_run"] is True and response.json()["created"] == 2
    assert not AISystem.objects.filter(organization=cast.org).exists()


def test_bad_rows_answer_422_with_every_row_in_the_details(cast, api_for):
    content = b"name,purpose,role,technique\nA,Does,provider,ml\nB,,provider,ml\nC,Does,provider,magic\n"

    response = post_file(api_for(cast.users["owner"], cast.org), content)

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_rows"
    assert error["message"] == "2 of 3 rows have problems; nothing was imported"
    assert [(d["row"], d["field"]) for d in error["details"]] == [(3, "purpose"), (4, "technique")]
    assert not AISystem.objects.filter(organization=cast.org).exists()


def test_existing_names_are_updated_only_when_asked(cast, api_for):
    make_system(cast, name="Scorer", technique="rules")
    api = api_for(cast.users["owner"], cast.org)

    assert post_file(api, GOOD).status_code == 422
    response = post_file(api, GOOD, "?update_existing=true")

    assert response.status_code == 201 and response.json()["systems"]["updated"] == ["AIS-1"]
    assert AISystem.objects.get(organization=cast.org, name="Scorer").technique == "ml"


def test_a_file_it_cannot_use_or_no_file_answers_400(cast, api_for):
    api = api_for(cast.users["owner"], cast.org)

    unknown = post_file(api, b"name,colour\nA,red\n").json()["error"]
    assert unknown["code"] == "invalid_file" and "unknown column(s) 'colour'" in unknown["message"]

    missing = api.post(URL)
    assert missing.status_code == 400 and missing.json()["error"]["details"][0]["field"] == "file"


def test_the_mlflow_sync_refuses_local_stores_unless_the_server_allows_them(cast, api_for, tmp_path, settings):
    settings.AIMS_MLFLOW_LOCAL_STORES = False

    response = api_for(cast.users["manager"], cast.org).post(SYNC, json={"tracking_uri": tmp_path.as_uri()})

    assert response.status_code == 400
    assert "is a store on this server" in response.json()["error"]["message"]
    assert response.json()["error"]["details"][0]["field"] == "tracking_uri"


def test_the_mlflow_sync_names_unknown_systems_and_fields(cast, api_for):
    api = api_for(cast.users["owner"], cast.org)

    unknown = api.post(SYNC, json={"tracking_uri": "https://mlflow.example.org", "system": "AIS-5"})
    assert unknown.status_code == 400 and "no system 'AIS-5'" in unknown.json()["error"]["message"]
    typo = api.post(SYNC, json={"tracking_url": "https://mlflow.example.org"})
    assert typo.status_code == 422


def test_the_mlflow_sync_cannot_target_another_organizations_system(cast, api_for, settings):
    theirs = make_system(cast, org=cast.other_org, name="Theirs")  # AIS-1 of globex only

    response = api_for(cast.users["owner"], cast.org).post(
        SYNC, json={"tracking_uri": "https://mlflow.example.org", "mapping": {"m": theirs.ref}}
    )

    assert response.status_code == 400 and "no system 'AIS-1'" in response.json()["error"]["message"]


def test_the_mlflow_sync_reads_a_real_store_and_answers_with_the_report(cast, api_for, tmp_path, settings, monkeypatch):
    tracking = pytest.importorskip("mlflow.tracking")
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    settings.AIMS_MLFLOW_LOCAL_STORES = True
    system = make_system(cast)
    uri = (tmp_path / "mlruns").as_uri()
    client = tracking.MlflowClient(tracking_uri=uri, registry_uri=uri)
    client.create_registered_model("scorer", tags={"openaims.system": system.ref})
    client.create_model_version("scorer", source="s3://bucket/scorer/1")
    client.create_registered_model("orphan")
    client.create_model_version("orphan", source="s3://bucket/orphan/1")
    api = api_for(cast.users["owner"], cast.org)

    first = api.post(SYNC, json={"tracking_uri": uri})
    second = api.post(SYNC, json={"tracking_uri": uri})

    assert first.status_code == 200, first.content
    body = first.json()
    assert (body["created"], body["skipped"], body["registry"]) == (1, 1, uri)
    assert {(i["name"], i["outcome"], i["system"]) for i in body["items"]} == {
        ("scorer", "created", "AIS-1"),
        ("orphan", "skipped", ""),
    }
    assert (second.json()["created"], second.json()["unchanged"]) == (0, 1)
    assert AIModel.objects.filter(system=system).count() == 1
