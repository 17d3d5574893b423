"""Issue 9's journey in a real browser: a risk treatment selects A.7.4, so the SoA shows it as Included (derived);
alice publishes the SoA naming mona, and the version stays "awaiting sign-off" until mona signs it herself.

Data is built through the services and committed (the live server answers from another thread).
Screenshots go to test-artifacts/ at the repository root.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from openaims.audittrail.context import audit_context
from openaims.catalog.loader import default_files, load_catalog
from openaims.controls.models import SoAVersion
from openaims.controls.services import controls_adopt_catalog
from openaims.risk.services import risk_create
from tests.browser.test_shell import assert_assets_loaded, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def annex_a(cast):
    """ISO/IEC 42001 loaded and its Annex A adopted by acme; one risk without any control selected yet."""
    with audit_context(via="test"):
        load_catalog([path for path in default_files() if path.name == "iso42001-2023.yaml"])
        controls_adopt_catalog(actor=cast.tenant("owner"))
        risk = risk_create(actor=cast.tenant("owner"), title="Poisoned training data")
    return cast, risk


def test_a_treatment_derives_inclusion_and_the_named_approver_signs_the_soa(web, annex_a, artifacts):
    cast, risk = annex_a
    page = web.page
    risk_url = reverse("risk:risk", args=["acme", risk.pk])
    page.goto(f"/accounts/login/?next={risk_url}")
    log_in(page, "alice")
    expect(page).to_have_url(re.compile(rf"{risk_url}$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Poisoned training data")
    assert_assets_loaded(page)

    # The treatment selects A.7.4 (quality of data for AI systems).
    select = page.get_by_test_id("control-select")
    select.locator("select[name=control]").select_option(label="A.7.4 Quality of data for AI systems")
    select.get_by_role("button", name="Select control").click()
    expect(page.get_by_test_id("selected-controls")).to_contain_text("A.7.4")

    # The SoA proposes it as included, derived from the treatment: not "Undecided", not flagged.
    page.get_by_role("navigation", name="AIMS").get_by_role("link", name="Statement of Applicability").click()
    row = page.get_by_test_id("soa").locator("tr[data-ref='A.7.4']")
    expect(row).to_contain_text("Included (derived)")
    expect(row).to_contain_text("Risk treatment: Poisoned training data")
    expect(row.locator(".flag")).to_have_count(0)
    page.screenshot(path=str(artifacts / "soa-derived.png"), full_page=True)

    # Publishing warns about the undecided rest and needs the confirmation; the version awaits mona.
    publish = page.get_by_test_id("publish")
    expect(page.get_by_test_id("undecided-warning")).to_be_visible()
    publish.locator("select[name=approver]").select_option(label="mona")
    publish.get_by_label("Comment for the approver").fill("Please sign before the stage 1 audit")
    publish.get_by_role("button", name="Publish version").click()
    expect(page.locator(".form-errors, .error").first).to_contain_text("still undecided")
    # The refused form answers 400 on purpose (the browser logs it); nothing else may have failed so far.
    assert [e for e in web.console_errors if "/soa/publish/" not in e] == []
    web.console_errors.clear()
    page.get_by_test_id("publish").get_by_label("Publish although some controls are undecided").check()
    page.get_by_test_id("publish").get_by_role("button", name="Publish version").click()
    expect(page).to_have_url(re.compile(r"/o/acme/soa/versions/1/$"))
    expect(page.get_by_test_id("version-status")).to_have_text("Awaiting sign-off")
    expect(page.get_by_test_id("signoff-form")).to_have_count(0)  # alice cannot sign her own request
    page.get_by_role("navigation", name="AIMS").get_by_role("link", name="Statement of Applicability").click()
    expect(page.get_by_test_id("approved-version")).to_contain_text("No version is approved yet")
    expect(page.get_by_test_id("awaiting-version")).to_have_text("v1")
    assert SoAVersion.objects.get(organization=cast.org).approved_by is None

    # mona finds it among the sign-offs waiting on her and signs it.
    page.get_by_role("button", name="Log out").click()
    page.goto("/accounts/login/?next=/o/acme/")
    log_in(page, "mona")
    page.get_by_role("navigation", name="AIMS").get_by_role("link", name="Sign-offs waiting on me").click()
    waiting = page.get_by_test_id("signoffs-waiting")
    expect(waiting).to_contain_text("Please sign before the stage 1 audit")
    waiting.get_by_role("link", name="Statement of Applicability v1").click()
    form = page.get_by_test_id("signoff-form")
    form.get_by_label("Comment").fill("Reviewed with the management team")
    form.get_by_role("button", name="Sign off").click()
    expect(page).to_have_url(re.compile(r"/o/acme/soa/versions/1/$"))
    expect(page.get_by_test_id("version-status")).to_have_text("Approved (signed off)")
    expect(page.get_by_test_id("version-facts")).to_contain_text("mona")
    expect(page.get_by_test_id("signoff-decision-comment")).to_contain_text("Reviewed with the management team")
    page.screenshot(path=str(artifacts / "soa-signed.png"), full_page=True)
    version = SoAVersion.objects.get(organization=cast.org)
    assert (version.status, version.approved_by) == ("signed", cast.users["manager"])
    web.assert_clean()
