"""MLflow sync against a real local MLflow store (the registry's file store), not a mock of the client.

Registered models and versions are made with MlflowClient as a data scientist would; the sync reads
them through the same client. Skipped only where the MLflow client is not installed (it is in `dev`).
"""

from __future__ import annotations

import socket
import sys

import pytest

from openaims.audittrail.models import AuditEvent
from openaims.inventory import mlflow_sync as sync_module
from openaims.inventory.mlflow_sync import display_uri, mlflow_sync, parse_mapping
from openaims.inventory.models import AIModel
from openaims.lib.errors import ServiceError
from tests.inventory.conftest import add_model, make_system


@pytest.fixture
def store(tmp_path, monkeypatch):
    """(tracking URI, client) of a fresh MLflow file store: tracking and model registry in one folder."""
    tracking = pytest.importorskip("mlflow.tracking", reason="the MLflow client (openaims[mlflow]) is not installed")
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")  # MLflow 3 asks file-store users to opt in
    uri = (tmp_path / "mlruns").as_uri()
    client = tracking.MlflowClient(tracking_uri=uri, registry_uri=uri)
    client.search_registered_models()  # creates the store's folders
    return uri, client


def register(client, name, *versions, tags=None, description=""):
    client.create_registered_model(name, tags=tags or {}, description=description)
    made = []
    for source, extra in versions:
        made.append(client.create_model_version(name, source=source, **extra))
    return made


def sync(cast, uri, **options):
    options.setdefault("allow_local_stores", True)
    return mlflow_sync(actor=cast.tenant("owner"), tracking_uri=uri, **options)


def synced(cast):
    return list(AIModel.objects.filter(organization=cast.org, source="mlflow").order_by("name", "version"))


def test_it_makes_a_model_of_each_registered_version(cast, store):
    uri, client = store
    scoring = make_system(cast, name="Credit scoring")
    register(
        client,
        "credit-scorer",
        ("s3://models/credit/1", {"description": "First cut", "tags": {"model_type": "gradient-boosted trees"}}),
        ("s3://models/credit/2", {}),
        description="Scores applications",
    )
    client.set_registered_model_alias("credit-scorer", "champion", "2")

    report = sync(cast, uri, mapping={"credit-scorer": scoring})

    assert (report.created, report.updated, report.unchanged, report.skipped) == (2, 0, 0, 0)
    first, second = synced(cast)
    assert (first.system, first.name, first.version) == (scoring, "credit-scorer", "1")
    assert first.external_id == f"mlflow:{display_uri(uri)}#credit-scorer/1"
    assert (first.description, first.uri, first.model_type) == (
        "First cut",
        "s3://models/credit/1",
        "gradient-boosted trees",
    )
    assert (second.description, second.registry_stage) == ("Scores applications", "@champion")
    assert AuditEvent.objects.filter(object_type="inventory.aimodel", action="create").count() == 2
    event = AuditEvent.objects.get(organization=cast.org, action="mlflow_sync")
    assert event.changes_dict["created"] == [None, 2]


def test_a_second_sync_updates_what_changed_and_never_duplicates(cast, store):
    uri, client = store
    scoring = make_system(cast)
    register(client, "credit-scorer", ("s3://m/1", {"description": "v1"}))
    sync(cast, uri, default_system=scoring)

    again = sync(cast, uri, default_system=scoring)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    assert len(synced(cast)) == 1

    client.update_model_version("credit-scorer", "1", description="v1, retrained on 2024 data")
    client.set_registered_model_alias("credit-scorer", "prod", "1")
    client.create_model_version("credit-scorer", source="s3://m/2")

    third = sync(cast, uri, default_system=scoring)

    assert (third.created, third.updated, third.unchanged) == (1, 1, 0)
    first, second = synced(cast)
    assert (first.description, first.registry_stage) == ("v1, retrained on 2024 data", "@prod")
    assert second.version == "2"
    update = AuditEvent.objects.get(object_type="inventory.aimodel", object_id=str(first.pk), action="update")
    assert update.changes_dict["description"] == ["v1", "v1, retrained on 2024 data"]


def test_it_follows_the_openaims_system_tag_and_the_mapping_wins(cast, store):
    uri, client = store
    scoring = make_system(cast, name="Credit scoring")
    chat = make_system(cast, name="Chat assistant", technique="llm")
    register(client, "chat-model", ("s3://chat/1", {}), tags={"openaims.system": chat.ref})
    register(client, "tagged-elsewhere", ("s3://x/1", {}), tags={"openaims.system": "ais-1"})

    report = sync(cast, uri, mapping={"tagged-elsewhere": chat})

    assert report.created == 2
    assert {(m.name, m.system_id) for m in synced(cast)} == {("chat-model", chat.pk), ("tagged-elsewhere", chat.pk)}
    assert scoring.models.count() == 0


def test_it_skips_models_without_a_target_and_says_why(cast, store):
    uri, client = store
    scoring = make_system(cast)
    register(client, "orphan", ("s3://o/1", {}))
    register(client, "bad-tag", ("s3://b/1", {}), tags={"openaims.system": "AIS-99"})
    add_model(cast, scoring, name="by-hand", version="1")
    register(client, "by-hand", ("s3://h/1", {}), tags={"openaims.system": scoring.ref})

    report = sync(cast, uri)

    assert (report.created, report.skipped) == (0, 3)
    reasons = {item.name: item.reason for item in report.items}
    assert "no target system" in reasons["orphan"]
    assert "names no system in the register" in reasons["bad-tag"]
    assert "already has a model by-hand 1 entered by hand" in reasons["by-hand"]
    assert synced(cast) == []


def test_it_reads_every_page_of_the_registry(cast, store, monkeypatch):
    uri, client = store
    scoring = make_system(cast)
    for name in ("a", "b", "c"):
        register(client, name, ("s3://p/1", {}), ("s3://p/2", {}))
    monkeypatch.setattr(sync_module, "PAGE", 1)  # pages of one model (and of five versions)

    report = sync(cast, uri, default_system=scoring)

    assert report.created == 6


def test_web_and_api_callers_may_not_read_local_stores_unless_the_server_allows_it(cast, store, settings):
    uri, client = store
    scoring = make_system(cast)
    register(client, "m", ("s3://m/1", {}))

    settings.AIMS_MLFLOW_LOCAL_STORES = False
    with pytest.raises(ServiceError, match="is a store on this server"):
        sync(cast, uri, default_system=scoring, allow_local_stores=False)

    settings.AIMS_MLFLOW_LOCAL_STORES = True
    assert sync(cast, uri, default_system=scoring, allow_local_stores=False).created == 1


def test_it_reports_an_unreachable_or_missing_registry_in_one_line(cast, tmp_path, monkeypatch, settings):
    pytest.importorskip("mlflow.tracking")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    settings.AIMS_MLFLOW_ALLOW_PRIVATE = True  # an MLflow inside the network (loopback here) may be read
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens here once the socket is closed

    with pytest.raises(ServiceError) as caught:
        sync(cast, f"http://user:secret@127.0.0.1:{port}")
    assert (
        caught.value.message
        == f"cannot read the MLflow model registry at http://127.0.0.1:{port}: the server does not answer"
    )
    assert "\n" not in caught.value.message and "secret" not in caught.value.message

    missing = tmp_path / "nowhere"
    with pytest.raises(ServiceError, match="there is no MLflow store at"):
        sync(cast, missing.as_uri())
    assert not missing.exists()  # MLflow would have created it

    with pytest.raises(ServiceError, match="not a valid URI"):
        sync(cast, "http://host/with space")
    assert not AuditEvent.objects.filter(action="mlflow_sync").exists()


def test_it_says_how_to_install_the_client_when_it_is_missing(cast, monkeypatch):
    monkeypatch.setitem(sys.modules, "mlflow.tracking", None)  # as if mlflow were not installed

    with pytest.raises(ServiceError, match=r"install openaims\[mlflow\]"):
        sync(cast, "https://mlflow.example.org")


def test_it_refuses_a_target_system_of_another_organization(cast, store):
    uri, _client = store
    theirs = make_system(cast, org=cast.other_org)

    with pytest.raises(ServiceError, match="belongs to another organization"):
        sync(cast, uri, default_system=theirs)


def test_mappings_are_read_from_lines_and_name_systems_of_the_organization(cast):
    scoring = make_system(cast)
    theirs = make_system(cast, org=cast.other_org, name="Theirs")

    assert parse_mapping(cast.org, "# comment\n\nmy model = AIS-1\nother=ais-1\n") == {
        "my model": scoring,
        "other": scoring,
    }
    with pytest.raises(ServiceError, match="mapping line 1: write 'model name = AIS-<number>'"):
        parse_mapping(cast.org, "no equals sign")
    with pytest.raises(ServiceError, match="mapping line 2: no system 'AIS-7'"):
        parse_mapping(cast.org, "a = AIS-1\nb = AIS-7")
    assert theirs.number == 1  # numbers are per organization: AIS-1 above is acme's


def test_it_keeps_credentials_out_of_what_it_shows_and_stores():
    assert display_uri("https://user:token@mlflow.example.org:5000/") == "https://mlflow.example.org:5000"
    assert display_uri("databricks") == "databricks"
    assert display_uri("file:///srv/mlruns/") == "file:///srv/mlruns"
