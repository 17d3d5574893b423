"""The SoA is derived from the work: a worked example of reasons, flags, versions, diffs and coverage."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from openaims.catalog.models import CatalogNode, Framework
from openaims.controls.models import Control, SoAVersion
from openaims.controls.selectors import coverage, soa_diff, soa_row, soa_rows
from openaims.controls.services import (
    control_create_custom,
    control_link_evidence,
    control_link_requirement,
    control_update,
    controls_adopt_catalog,
    evidence_create,
    soa_publish,
)
from openaims.lib.errors import ServiceError
from openaims.risk.services import risk_create, risk_select_control
from openaims.tenancy.selectors import tenant_of
from tests.catalog.conftest import TINY as TINY_FILES
from tests.catalog.conftest import load_tiny
from tests.controls.helpers import publish_signed

TINY = "urn:openaims:framework:tiny-1"


@pytest.fixture
def adopted(cast):
    load_tiny()
    owner = cast.users["owner"]
    assert controls_adopt_catalog(actor=tenant_of(owner, cast.org), framework_urn=TINY) == 2
    controls = {c.ref_id: c for c in Control.objects.filter(organization=cast.org)}
    return cast, controls


def row_by_ref(rows):
    return {row.ref_id: row for row in rows}


def test_it_adopts_catalog_controls_once(adopted):
    cast, controls = adopted
    assert set(controls) == {"A.1", "A.2"}
    assert controls["A.1"].group == "A Alpha" and controls["A.1"].applicability == "undecided"
    assert controls_adopt_catalog(actor=cast.tenant("owner"), framework_urn=TINY) == 0


def test_it_derives_reasons_and_flags_on_a_worked_example(adopted):
    cast, controls = adopted
    owner = cast.users["owner"]
    a1, a2 = controls["A.1"], controls["A.2"]
    custom = control_create_custom(actor=tenant_of(owner, cast.org), ref_id="ORG-1", title="Model cards")
    risk = risk_create(actor=tenant_of(owner, cast.org), title="Biased credit decisions")
    # A.1: selected by a risk treatment, included, implemented with current evidence → no flags.
    risk_select_control(actor=tenant_of(owner), risk=risk, control=a1)
    control_update(actor=tenant_of(owner), control=a1, applicability="included", status="implemented")
    evidence_create(actor=tenant_of(owner, cast.org), title="Fairness test report", controls=[a1])
    # A.2: excluded although the risk treatment selects it, and without a written reason.
    risk_select_control(actor=tenant_of(owner), risk=risk, control=a2)
    control_update(actor=tenant_of(owner), control=a2, applicability="excluded")
    # ORG-1: included with no reason at all, implemented but its only evidence expired.
    control_update(actor=tenant_of(owner), control=custom, applicability="included", status="implemented")
    evidence_create(
        actor=tenant_of(owner, cast.org),
        title="Old card",
        collected_at=date(2020, 1, 1),
        valid_until=date(2020, 12, 31),
        controls=[custom],
    )

    rows = row_by_ref(soa_rows(cast.org))
    assert rows["A.1"].flags == [] and rows["A.1"].reasons == ["Risk treatment: Biased credit decisions"]
    assert rows["A.2"].flags == ["excluded_but_selected", "excluded_without_justification"]
    assert rows["ORG-1"].flags == ["included_without_justification", "implemented_without_evidence"]
    assert (rows["ORG-1"].evidence_current, rows["ORG-1"].evidence_total) == (0, 1)

    # A requirement link is a reason of its own, and clears the flag.
    requirement = CatalogNode.objects.get(urn="urn:openaims:other-1:x")
    control_link_requirement(actor=tenant_of(owner), control=custom, requirement=requirement)
    rows = row_by_ref(soa_rows(cast.org))
    assert rows["ORG-1"].flags == ["implemented_without_evidence"]
    assert rows["ORG-1"].reasons == ["Requirement: OTHER 1 X — Ex"]


def test_one_controls_row_reads_only_its_own_risk_treatments(adopted):
    cast, controls = adopted
    owner = cast.tenant("owner")
    a1, a2 = controls["A.1"], controls["A.2"]
    risk_select_control(actor=owner, risk=risk_create(actor=owner, title="Biased credit decisions"), control=a1)
    risk_select_control(actor=owner, risk=risk_create(actor=owner, title="Leaked training data"), control=a2)
    a1 = Control.objects.select_related("organization").get(pk=a1.pk)
    with CaptureQueriesContext(connection) as ctx:
        row = soa_row(a1)
    treatments = [q["sql"] for q in ctx.captured_queries if "risk_riskcontrol" in q["sql"]]
    # The risk app's provider is asked for this control's treatments, not the whole organization's.
    assert len(treatments) == 1 and f'"risk_riskcontrol"."control_id" = {a1.pk}' in treatments[0]
    assert (row.ref_id, row.reasons) == ("A.1", ["Risk treatment: Biased credit decisions"])
    assert soa_row(a2).risks == ["Leaked training data"]


def test_it_refuses_to_implement_an_excluded_control(adopted):
    cast, controls = adopted
    control_update(actor=cast.tenant("owner"), control=controls["A.1"], applicability="excluded")
    with pytest.raises(ServiceError, match="excluded control cannot be implemented"):
        control_update(actor=cast.tenant("owner"), control=controls["A.1"], status="implemented")
    assert Control.objects.get(pk=controls["A.1"].pk).status == "not_started"


def test_it_publishes_numbered_immutable_versions_and_diffs_them(adopted):
    cast, controls = adopted
    owner, manager, viewer = cast.users["owner"], cast.users["manager"], cast.users["viewer"]
    with pytest.raises(ServiceError, match="approver must be an owner or manager"):
        soa_publish(actor=tenant_of(owner, cast.org), approver=viewer, confirm_undecided=True)
    v1 = publish_signed(actor=tenant_of(owner, cast.org), approver=manager, note="Stage 1")
    control_update(actor=tenant_of(owner), control=controls["A.1"], applicability="included", justification="Core duty")
    control_create_custom(actor=tenant_of(owner, cast.org), ref_id="ORG-1", title="Model cards")
    v2 = publish_signed(actor=tenant_of(owner, cast.org), approver=manager)
    assert (v1.number, v2.number) == (1, 2)
    assert [r["ref_id"] for r in SoAVersion.objects.get(pk=v1.pk).rows] == ["A.1", "A.2"], "v1 is frozen"
    change = soa_diff(v1.rows, v2.rows)
    assert [r["ref_id"] for r in change["added"]] == ["ORG-1"] and change["removed"] == []
    assert change["changed"] == [
        {
            "ref_id": "A.1",
            "title": "Alpha one",
            "changes": {"applicability": ["undecided", "included"], "justification": ["", "Core duty"]},
        }
    ]


def test_coverage_counts_a_control_for_every_framework_it_maps_to(adopted):
    cast, controls = adopted
    owner = cast.users["owner"]
    frameworks = None
    before = {c.framework.ref_id: (c.covered, c.total) for c in coverage(cast.org, frameworks)}
    assert before == {"TINY 1": (0, 2), "OTHER 1": (0, 1)}
    control_update(actor=tenant_of(owner), control=controls["A.1"], applicability="included", status="implemented")
    assert {c.framework.ref_id: c.covered for c in coverage(cast.org)} == {"TINY 1": 0, "OTHER 1": 0}, (
        "no evidence, no coverage"
    )
    evidence = evidence_create(actor=tenant_of(owner, cast.org), title="Report")
    control_link_evidence(actor=tenant_of(owner), control=controls["A.1"], evidence=evidence)
    after = {c.framework.ref_id: c for c in coverage(cast.org)}
    assert (after["TINY 1"].covered, after["OTHER 1"].covered) == (1, 0)
    assert [n.ref_id for n in after["OTHER 1"].partial] == ["X"], "A.1 is only a subset of X: partial coverage"
    assert after["OTHER 1"].uncovered == []
    assert [n.ref_id for n in after["TINY 1"].uncovered] == ["A.2"]


@pytest.mark.parametrize(
    ("relation", "source_side", "full"),
    [
        ("equal", True, True),
        ("superset", True, True),  # the control's node is broader than the item
        ("subset", True, False),
        ("intersect", True, False),
        ("subset", False, True),  # the item is narrower than the control's node
        ("superset", False, False),
        ("intersect", False, False),
    ],
)
def test_coverage_through_a_crosswalk_is_full_only_from_an_equal_or_broader_control(
    adopted, tmp_path, relation, source_side, full
):
    from openaims.catalog.loader import load_catalog

    cast, controls = adopted
    owner = cast.users["owner"]
    a2, x = "urn:openaims:tiny-1:a.2", "urn:openaims:other-1:x"
    source, target = (a2, x) if source_side else (x, a2)
    frameworks = ("tiny-1", "other-1") if source_side else ("other-1", "tiny-1")
    path = tmp_path / "extra.yaml"
    path.write_text(
        f"""format: openaims-catalog/1
type: crosswalk
urn: urn:openaims:crosswalk:extra
name: Extra
version: 1
source_framework: urn:openaims:framework:{frameworks[0]}
target_framework: urn:openaims:framework:{frameworks[1]}
relations:
  - {{source: "{source}", target: "{target}", relation: {relation}, rationale: Test.}}
""",
        encoding="utf-8",
    )
    load_catalog([*TINY_FILES, path])
    control_update(actor=tenant_of(owner), control=controls["A.2"], applicability="included", status="implemented")
    evidence_create(actor=tenant_of(owner, cast.org), title="Report", controls=[controls["A.2"]])

    (other,) = coverage(cast.org, [Framework.objects.get(urn="urn:openaims:framework:other-1")])
    assert (other.covered, [n.ref_id for n in other.partial]) == ((1, []) if full else (0, ["X"]))


def test_the_soa_costs_a_constant_number_of_queries(adopted, django_assert_num_queries):
    cast, _controls = adopted
    owner = cast.users["owner"]
    risk = risk_create(actor=tenant_of(owner, cast.org), title="R")
    for i in range(30):
        control = control_create_custom(actor=tenant_of(owner, cast.org), ref_id=f"ORG-{i}", title=f"C{i}")
        risk_select_control(actor=tenant_of(owner), risk=risk, control=control)
        evidence_create(actor=tenant_of(owner, cast.org), title=f"E{i}", controls=[control])
    # controls (with owner and catalog node), risk links (risks joined), requirement links, AI system links
    # (systems joined), evidence links
    with django_assert_num_queries(5):
        rows = soa_rows(cast.org)
    assert len(rows) == 32


def test_a_control_selected_by_a_risk_treatment_is_included_derived_not_undecided(adopted):
    from openaims.controls import exports
    from openaims.controls.selectors import soa_summary

    cast, controls = adopted
    owner = cast.users["owner"]
    risk = risk_create(actor=tenant_of(owner, cast.org), title="Biased credit decisions")
    risk_select_control(actor=tenant_of(owner, cast.org), risk=risk, control=controls["A.1"])
    rows = {row.ref_id: row for row in soa_rows(cast.org)}

    a1 = rows["A.1"]
    assert (a1.applicability, a1.derived, a1.flags) == ("included", True, [])
    assert exports.applicability_label(a1) == "Included (derived)"
    assert (rows["A.2"].applicability, rows["A.2"].derived) == ("undecided", False)
    assert soa_summary(list(rows.values()))["included"] == 1
    assert Control.objects.get(pk=controls["A.1"].pk).applicability == "undecided", "the register is not rewritten"
    _header, body = exports.table([row.as_dict() for row in rows.values()])
    assert body[0][4] == "Included (derived)"


def test_an_excluded_control_selected_by_a_treatment_stays_flagged(adopted):
    cast, controls = adopted
    owner = cast.users["owner"]
    risk = risk_create(actor=tenant_of(owner, cast.org), title="Biased credit decisions")
    risk_select_control(actor=tenant_of(owner, cast.org), risk=risk, control=controls["A.1"])
    control_update(
        actor=tenant_of(owner), control=controls["A.1"], applicability="excluded", justification="Out of scope"
    )
    (a1,) = [row for row in soa_rows(cast.org) if row.ref_id == "A.1"]
    assert (a1.applicability, a1.derived, a1.flags) == ("excluded", False, ["excluded_but_selected"])
