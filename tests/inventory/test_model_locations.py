"""A model's location (where the artefact lives) may be a web address or a store URI, never a script or a file."""

from __future__ import annotations

import pytest
from django.urls import reverse

from openaims.inventory.mlflow_sync import mlflow_sync
from openaims.inventory.models import AIModel
from openaims.inventory.services import part_create
from openaims.lib.errors import ServiceError
from tests.inventory.conftest import make_system

HOSTILE = ["javascript:alert(1)", "data:text/html,x", "file:///srv/models/scorer.pkl", "vbscript:x"]


@pytest.fixture
def system(cast):
    return make_system(cast)


@pytest.mark.parametrize("uri", HOSTILE)
def test_the_service_refuses_a_location_that_is_a_script_or_a_file(cast, system, uri):
    with pytest.raises(ServiceError, match="locations are not accepted") as caught:
        part_create(actor=cast.tenant("owner"), system=system, kind="model", name="scorer", uri=uri)
    assert caught.value.field == "uri" and not AIModel.objects.exists()


def test_store_uris_and_web_addresses_are_kept(cast, system):
    for number, uri in enumerate(("s3://models/scorer/1", "models:/scorer/2", "https://hf.co/acme/scorer"), start=1):
        part = part_create(
            actor=cast.tenant("owner"), system=system, kind="model", name="m", version=str(number), uri=uri
        )
        assert part.uri == uri


def test_the_form_shows_the_refusal_on_the_field(cast, client_for, system):
    page = reverse("inventory:part_create", args=["acme", system.pk, "model"])

    response = client_for(cast.users["owner"]).post(page, {"name": "scorer", "uri": "javascript:alert(1)"})

    assert response.status_code == 400 and "locations are not accepted" in response.content.decode()
    assert not AIModel.objects.exists()


def test_the_api_refuses_it_on_create_and_on_change(cast, api_for, system):
    api = api_for(cast.users["owner"], cast.org)
    base = f"/api/v1/orgs/acme/systems/{system.pk}/models"

    created = api.post(base, json={"name": "scorer", "uri": "file:///etc/passwd"})
    assert created.status_code == 400 and created.json()["error"]["details"][0]["field"] == "uri"

    model = api.post(base, json={"name": "scorer", "uri": "s3://m/1"}).json()
    changed = api.patch(f"{base}/{model['id']}", json={"uri": "javascript:alert(1)"})
    assert changed.status_code == 400 and AIModel.objects.get().uri == "s3://m/1"


def test_an_mlflow_source_on_the_mlflow_servers_disk_is_not_kept(cast, system, tmp_path, monkeypatch):
    tracking = pytest.importorskip("mlflow.tracking")
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    uri = (tmp_path / "mlruns").as_uri()
    client = tracking.MlflowClient(tracking_uri=uri, registry_uri=uri)
    client.create_registered_model("scorer")
    client.create_model_version("scorer", source="file:///srv/mlflow/artifacts/scorer/1")
    client.create_model_version("scorer", source="s3://bucket/scorer/2")

    mlflow_sync(actor=cast.tenant("owner"), tracking_uri=uri, default_system=system, on_server=True)

    assert list(AIModel.objects.order_by("version").values_list("version", "uri")) == [
        ("1", ""),
        ("2", "s3://bucket/scorer/2"),
    ]
