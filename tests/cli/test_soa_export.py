"""`aims soa export`: the demo organization's SoA as files, written whole or not at all."""

from __future__ import annotations

import json

import pytest

from tests.cli.conftest import DEMO
from tests.cli.test_commands import aims, one_error_line

pytestmark = pytest.mark.subprocess


@DEMO
def test_it_exports_the_soa_in_each_format(demo_dir):
    tmp_path = demo_dir  # the seeded demo: its data directory holds the exports too

    pdf = tmp_path / "soa.pdf"
    result = aims("soa", "export", "--org", "acme-health", "--format", "pdf", "-o", str(pdf), data_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "wrote the SoA of acme-health (current, PDF" in result.stdout
    assert pdf.read_bytes().startswith(b"%PDF") and not (tmp_path / "soa.pdf.part").exists()

    ssp = tmp_path / "ssp.json"
    result = aims(
        "soa", "export", "--org", "acme-health", "-f", "oscal-ssp", "--version", "1", "-o", str(ssp), data_dir=tmp_path
    )
    assert result.returncode == 0, result.stderr
    plan = json.loads(ssp.read_text())["system-security-plan"]
    assert plan["metadata"]["version"] == "SoA v1"
    assert plan["control-implementation"]["implemented-requirements"]

    component = tmp_path / "component.json"
    args = ("soa", "export", "--org", "acme-health", "-f", "oscal-component", "-o", str(component))
    assert aims(*args, data_dir=tmp_path).returncode == 0
    assert "component-definition" in json.loads(component.read_text())

    unknown = aims("soa", "export", "--org", "acme-health", "-f", "docx", "-o", str(pdf), data_dir=tmp_path)
    assert "unknown format 'docx'" in one_error_line(unknown)
    missing = aims("soa", "export", "--org", "acme-health", "--version", "99", "-o", str(pdf), data_dir=tmp_path)
    assert "has no published SoA version 99" in one_error_line(missing)
    unwritable = aims("soa", "export", "--org", "acme-health", "-o", str(tmp_path / "no" / "x.pdf"), data_dir=tmp_path)
    assert "cannot write" in one_error_line(unwritable)
