"""Impact assessment to risk acceptance in a real browser (issue 5): carl assesses the impact of a system and
rates a harm high, which puts a risk in the register; mona approves the assessment, scores the risk, finds it
on the heat map and, as its owner, accepts the residual risk.

Data is built through the services and committed (the live server answers from another thread).
Screenshots go to test-artifacts/ at the repository root.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from openaims.audittrail.context import audit_context
from openaims.impact.models import Impact
from openaims.risk.models import Risk
from tests.browser.test_shell import assert_assets_loaded, log_in
from tests.inventory.conftest import make_system

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo_system(cast):
    """A credit-scoring system whose business owner is mona (manager): the owner of the risks it raises."""
    with audit_context(via="test"):
        return make_system(
            cast,
            name="Consumer credit scoring",
            business_owner=cast.users["manager"],
            affected_persons="Loan applicants",
        )


def test_impact_assessment_to_accepted_residual_risk(web, cast, demo_system, artifacts):
    page = web.page
    system = demo_system

    # carl (contributor) starts the assessment from the list; it is pre-filled from the inventory.
    page.goto("/accounts/login/?next=/o/acme/impact/")
    log_in(page, "carl")
    expect(page.get_by_role("heading", level=1)).to_contain_text("impact assessments")
    assert_assets_loaded(page)
    page.get_by_test_id("new-impact").click()
    create = page.get_by_test_id("impact-create-form")
    create.get_by_label("AI system").select_option(label=f"AIS-{system.number} Consumer credit scoring")
    create.get_by_role("button", name="Start assessment").click()
    expect(page).to_have_url(re.compile(r"/o/acme/impact/\d+/$"))
    assessment_url = page.url
    expect(page.get_by_role("heading", level=1)).to_contain_text("Consumer credit scoring")
    expect(page.get_by_test_id("impact-status")).to_have_text("Draft")
    sections = page.get_by_test_id("sections-form")
    expect(sections.get_by_label("Affected interested parties")).to_have_value(re.compile("Loan applicants"))

    # Two sections, then a benefit and a harm rated high (serious x likely = 9).
    sections.get_by_label("Scope and trigger").fill("First deployment of the scoring model to all branches.")
    sections.get_by_label("Failure and misuse scenarios").fill("Thin-file applicants are scored too low.")
    sections.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Saved.")
    expect(page.get_by_test_id("sections-form").get_by_label("Scope and trigger")).to_have_value(
        "First deployment of the scoring model to all branches."
    )

    impact_form = page.get_by_test_id("impact-form")
    impact_form.locator("[name=kind]").select_option("benefit")
    impact_form.locator("[name=description]").fill("Faster decisions for applicants")
    impact_form.locator("[name=severity]").select_option("1")
    impact_form.locator("[name=likelihood]").select_option("3")
    impact_form.locator("[name=reversibility]").select_option("1")
    impact_form.locator("[name=scale]").select_option("2")
    impact_form.get_by_role("button", name="Add impact").click()
    impacts = page.get_by_test_id("impacts")
    expect(impacts.locator("tbody tr")).to_have_count(2)  # the row and its edit form

    impact_form = page.get_by_test_id("impact-form")
    impact_form.locator("[name=kind]").select_option("harm")
    impact_form.locator("[name=description]").fill("Applicants with a thin credit file are refused unfairly")
    impact_form.locator("[name=affected_party]").fill("Young applicants")
    impact_form.locator("[name=severity]").select_option("3")
    impact_form.locator("[name=likelihood]").select_option("3")
    impact_form.locator("[name=reversibility]").select_option("2")
    impact_form.locator("[name=scale]").select_option("2")
    impact_form.locator("[name=measures]").fill("Manual review of every refusal of a thin-file applicant")
    impact_form.get_by_role("button", name="Add impact").click()
    expect(impacts.get_by_test_id("risk-link")).to_have_count(1)
    expect(impacts.locator("tr.overdue")).to_contain_text("High")
    harm = Impact.objects.get(assessment__system=system, kind="harm")
    risk = Risk.objects.get(pk=harm.risk_id)
    assert risk.owner == cast.users["manager"] and risk.created_by == cast.users["contributor"]
    expect(impacts.get_by_test_id("risk-link")).to_have_text(risk.ref)
    page.screenshot(path=str(artifacts / "impact-draft.png"), full_page=True)

    page.get_by_test_id("submit").click()
    expect(page.get_by_test_id("impact-status")).to_have_text("In review")
    expect(page.get_by_test_id("sections")).to_contain_text("Thin-file applicants are scored too low.")
    # carl may not review what he assessed (and as a contributor cannot approve at all).
    expect(page.get_by_test_id("approve")).to_have_count(0)
    page.get_by_role("button", name="Log out").click()

    # mona (manager) approves.
    page.goto(f"/accounts/login/?next={assessment_url.removeprefix(web.base_url)}")
    log_in(page, "mona")
    expect(page).to_have_url(assessment_url)
    review = page.get_by_test_id("review")
    review.get_by_label("Decision").fill("Proceed with the manual review of thin-file refusals.")
    review.get_by_test_id("approve").click()
    expect(page.get_by_test_id("impact-status")).to_have_text("Approved")
    expect(page.get_by_test_id("decision")).to_contain_text("Approved by mona")
    page.screenshot(path=str(artifacts / "impact-approved.png"), full_page=True)

    # The risk the harm created: owned by mona, recorded by carl, its inherent rating derived from the harm.
    page.get_by_test_id("risk-link").click()
    expect(page).to_have_url(re.compile(rf"/o/acme/risks/{risk.pk}/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Impact on people: Applicants with a thin credit file")
    facts = page.get_by_test_id("risk-facts")
    expect(facts).to_contain_text(f"AIS-{system.number}")
    expect(facts).to_contain_text("mona")
    expect(facts).to_contain_text("carl")
    expect(page.get_by_test_id("risk-status")).to_have_text("Assessed")
    expect(page.get_by_test_id("derived-from")).to_contain_text("IA-")
    expect(page.get_by_test_id("accept")).to_contain_text("Assess the residual risk first.")

    # The derived inherent rating already counts in the heat map.
    page.goto("/o/acme/risks/heatmap/")
    expect(page.get_by_test_id("heatmap-inherent")).to_contain_text("1 risk")
    page.go_back()

    # mona re-assesses every dimension: inherent likely x major (high), reduced to unlikely x minor (low).
    assess = page.get_by_test_id("assess")
    assess.get_by_text("Re-assess under the criteria in force").click()  # folded: the risk has a derived rating
    assess.get_by_label("Inherent likelihood").select_option("4")
    for dimension in ("for the organization", "for individuals", "for societies"):
        assess.get_by_label(f"Inherent consequence {dimension}").select_option("4")
    assess.get_by_label("Treatment option").select_option("modify")
    assess.get_by_label("Residual likelihood").select_option("2")
    for dimension in ("for the organization", "for individuals", "for societies"):
        assess.get_by_label(f"Residual consequence {dimension}").select_option("2")
    assess.get_by_label("Note").fill("Manual review of thin-file refusals before the decision is sent.")
    assess.get_by_role("button", name="Save assessment").click()
    expect(page.get_by_test_id("risk-status")).to_have_text("Assessed")
    scores = page.get_by_test_id("risk-scores")
    expect(scores).to_contain_text("High")
    expect(scores).to_contain_text("Low")

    # The heat map counts it in the inherent cell 4x4 and the residual cell 2x2.
    page.goto("/o/acme/risks/heatmap/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Risk heat map")
    inherent = page.get_by_test_id("heatmap-inherent")
    expect(inherent).to_contain_text("1 risk")
    expect(inherent.get_by_test_id("cell-inherent-4-4")).to_have_text("1")
    expect(page.get_by_test_id("heatmap-residual").get_by_test_id("cell-residual-2-2")).to_have_text("1")
    page.screenshot(path=str(artifacts / "risk-heatmap.png"), full_page=True)

    # The cell lists its risks in the register.
    inherent.get_by_test_id("cell-inherent-4-4").click()
    expect(page).to_have_url(re.compile(r"/o/acme/risks/\?.*il=4"))
    expect(page.get_by_test_id("cell-filter")).to_contain_text("inherent likelihood 4")
    rows = page.get_by_test_id("risks").locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows).to_have_attribute("data-ref", risk.ref)
    page.screenshot(path=str(artifacts / "risk-register-cell.png"), full_page=True)

    # As the risk owner (not its author), mona accepts the low residual risk.
    rows.get_by_role("link", name=risk.ref).click()
    accept = page.get_by_test_id("accept")
    accept.get_by_label("Note").fill("Manual review is in place; the remaining risk is within appetite.")
    accept.get_by_role("button", name="Accept the residual risk").click()
    expect(page.get_by_test_id("risk-status")).to_have_text("Residual risk accepted")
    acceptance = page.get_by_test_id("acceptance")
    expect(acceptance).to_contain_text("Accepted by mona (manager)")
    expect(acceptance).to_contain_text("Low")
    expect(acceptance).to_contain_text("Manual review is in place")
    expect(page.get_by_test_id("earlier-acceptances")).to_have_count(0)
    page.screenshot(path=str(artifacts / "risk-accepted.png"), full_page=True)
    web.assert_clean()
