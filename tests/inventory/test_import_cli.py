"""`aims inventory import` and `aims inventory mlflow-sync`: exit codes, one line per problem, the result line.

Most cases run the Typer app in-process on the test database (fast); one test runs the real `aims`
process end to end on its own SQLite file, as an operator would.
"""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from openaims.cli import app
from openaims.inventory.models import AIModel, AISystem
from tests.cli.test_commands import aims
from tests.inventory.conftest import make_system

GOOD = "name,purpose,role,technique\nChatbot,Answers questions,deployer,llm\nScorer,Scores leads,provider,ml\n"
BAD = "name,purpose,role,technique\nRouter,Routes mail,provider,ml\nNo purpose,,provider,ml\nOdd,Does,landlord,ml\n"


@pytest.fixture
def cli(cast):
    runner = CliRunner()

    def run(*args):
        result = runner.invoke(app, list(args), catch_exceptions=False)
        return result.exit_code, result.stdout.strip().splitlines(), result.stderr.strip().splitlines()

    return run


def one_line(result) -> str:
    code, _out, err = result
    assert code == 1 and len(err) == 1 and err[0].startswith("error: "), result
    return err[0]


@pytest.fixture
def files(tmp_path):
    (tmp_path / "good.csv").write_text(GOOD)
    (tmp_path / "bad.csv").write_text(BAD)
    (tmp_path / "photo.csv").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00binary")
    return tmp_path


def test_it_imports_and_says_what_it_did(cli, cast, files):
    code, out, _ = cli("inventory", "import", str(files / "good.csv"), "--org", "acme", "--dry-run")
    assert code == 0 and out == ["good.csv: check only, nothing written: 2 rows are valid; systems would be 2 created"]
    assert not AISystem.objects.exists()

    code, out, _ = cli("inventory", "import", str(files / "good.csv"), "--org", "acme", "--as", "carl@example.org")
    assert code == 0 and out == ["good.csv: 2 rows are valid; systems were 2 created"]
    assert AISystem.objects.get(name="Chatbot").created_by == cast.users["contributor"]

    code, out, _ = cli("inventory", "import", str(files / "good.csv"), "--org", "acme", "--update-existing")
    assert code == 0 and out == ["good.csv: 2 rows are valid; systems were 0 created, 0 updated, 2 unchanged"]


def test_it_lists_every_bad_row_then_says_nothing_was_imported(cli, files):
    code, _out, err = cli("inventory", "import", str(files / "bad.csv"), "--org", "acme")

    assert code == 1
    assert err == [
        "error: row 3, purpose: purpose is required",
        "error: row 4, role: unknown role 'landlord'; use one of deployer, developer, distributor, importer, provider, "
        "user",
        "error: bad.csv: 2 of 3 rows have problems; nothing was imported",
    ]
    assert not AISystem.objects.exists()


def test_it_refuses_bad_input_in_one_line(cli, files):
    good = str(files / "good.csv")
    assert "neither UTF-8 text nor an XLSX workbook" in one_line(
        cli("inventory", "import", str(files / "photo.csv"), "--org", "acme")
    )
    assert "cannot read" in one_line(cli("inventory", "import", str(files / "missing.csv"), "--org", "acme"))
    assert "no organization with the slug 'nope'" in one_line(cli("inventory", "import", good, "--org", "nope"))
    assert "'bob' is not a member of acme" in one_line(cli("inventory", "import", good, "--org", "acme", "--as", "bob"))
    assert "'oscar' is not a member of acme" in one_line(
        cli("inventory", "import", good, "--org", "acme", "--as", "oscar")
    )
    assert "vera is viewer of acme; importing needs more" in one_line(
        cli("inventory", "import", good, "--org", "acme", "--as", "vera")
    )
    assert "carl is contributor of acme; an MLflow sync needs more" in one_line(
        cli("inventory", "mlflow-sync", "--org", "acme", "--tracking-uri", "https://x.example", "--as", "carl")
    )
    assert not AISystem.objects.exists()


def test_it_syncs_a_real_mlflow_store_from_the_command_line(cli, cast, tmp_path, monkeypatch, settings):
    tracking = pytest.importorskip("mlflow.tracking")
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    settings.AIMS_MLFLOW_LOCAL_STORES = False  # the command line may read local stores all the same
    system = make_system(cast)
    uri = (tmp_path / "mlruns").as_uri()
    client = tracking.MlflowClient(tracking_uri=uri, registry_uri=uri)
    client.create_registered_model("scorer")
    client.create_model_version("scorer", source="s3://bucket/scorer/1")
    client.create_registered_model("orphan")
    client.create_model_version("orphan", source="s3://bucket/orphan/1")
    sync = ("inventory", "mlflow-sync", "--org", "acme", "--tracking-uri", uri)

    code, out, _ = cli(*sync, "--map", f"scorer={system.ref}")
    assert code == 0
    assert out[0].startswith("skipped\torphan 1 (no target system")  # registered models come by name
    assert out[1] == f"created\tscorer 1 -> {system.ref}"
    assert out[2] == f"2 model versions in {uri}: 1 created, 0 updated, 0 unchanged, 1 skipped"

    code, out, _ = cli(*sync, "--system", system.ref)
    assert out == [
        f"created\torphan 1 -> {system.ref}",
        f"2 model versions in {uri}: 1 created, 0 updated, 1 unchanged, 0 skipped",
    ]
    assert AIModel.objects.filter(system=system).count() == 2

    assert "no system 'AIS-9'" in one_line(cli(*sync, "--system", "AIS-9"))
    assert "mapping line 1" in one_line(cli(*sync, "--map", "scorer"))
    assert "there is no MLflow store at" in one_line(
        cli("inventory", "mlflow-sync", "--org", "acme", "--tracking-uri", (tmp_path / "nowhere").as_uri())
    )


@pytest.mark.subprocess
def test_the_real_command_imports_a_file_end_to_end(tmp_path):
    password = "a-long-cli-password-7"
    (tmp_path / "good.csv").write_text(GOOD)
    assert aims("migrate", data_dir=tmp_path).returncode == 0
    for args in (("createuser", "alice", "--password", password), ("org", "create", "Acme", "--owner", "alice")):
        result = aims(*args, data_dir=tmp_path)
        assert result.returncode == 0, result.stderr

    result = aims("inventory", "import", str(tmp_path / "good.csv"), "--org", "acme", data_dir=tmp_path)

    assert result.returncode == 0, result.stderr
    assert result.stdout == "good.csv: 2 rows are valid; systems were 2 created\n"
