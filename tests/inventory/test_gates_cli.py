"""`aims catalog check` also checks that the default life-cycle gates name only items some app provides."""

from __future__ import annotations

from typer.testing import CliRunner

from openaims.cli import app
from openaims.inventory.lifecycle import policy
from openaims.inventory.lifecycle.policy import unknown_default_items
from openaims.inventory.vocabulary import Lifecycle, lifecycle


def bad_defaults():
    data = lifecycle().model_dump()
    data["default_gates"]["deployment"] = [*data["default_gates"]["deployment"], "monitoring_plan_definde"]
    return Lifecycle.model_validate(data)


def test_the_shipped_default_gates_name_only_provided_items(db):
    assert unknown_default_items() == []
    result = CliRunner().invoke(app, ["catalog", "check"])
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith("files valid")


def test_the_check_fails_on_a_default_gate_item_nothing_provides(db, monkeypatch):
    monkeypatch.setattr(policy, "lifecycle", bad_defaults)
    result = CliRunner().invoke(app, ["catalog", "check"])
    assert result.exit_code == 1
    assert "error: lifecycle.yaml: default gate of deployment names 'monitoring_plan_definde'" in result.output


def test_it_reports_a_default_gate_item_nothing_provides(monkeypatch):
    monkeypatch.setattr(policy, "lifecycle", bad_defaults)
    assert unknown_default_items() == [
        "lifecycle.yaml: default gate of deployment names 'monitoring_plan_definde', which no installed capability "
        "provides"
    ]
