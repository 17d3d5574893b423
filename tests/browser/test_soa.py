"""The Statement of Applicability in a real browser: filter to flagged rows, publish a version, download it.

Data is built through the services and committed (the live server answers from another thread).
Screenshots and the downloaded workbook go to test-artifacts/ at the repository root.
"""

from __future__ import annotations

import re

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from openaims.audittrail.context import audit_context
from openaims.controls.models import Control
from openaims.controls.services import (
    control_create_custom,
    control_update,
    controls_adopt_catalog,
    evidence_create,
)
from openaims.risk.services import risk_create, risk_select_control
from openaims.tenancy.selectors import tenant_of
from tests.browser.test_shell import assert_assets_loaded, log_in
from tests.catalog.conftest import load_tiny

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TINY = "urn:openaims:framework:tiny-1"


@pytest.fixture
def soa(cast):
    """The tiny catalog adopted; A.1 and ORG-1 in order, A.2 flagged (excluded though a risk treatment selects it)."""
    owner = cast.users["owner"]
    with audit_context(via="test"):
        load_tiny()
        controls_adopt_catalog(actor=tenant_of(owner, cast.org), framework_urn=TINY)
        a1 = Control.objects.get(organization=cast.org, ref_id="A.1")
        a2 = Control.objects.get(organization=cast.org, ref_id="A.2")
        custom = control_create_custom(
            actor=tenant_of(owner, cast.org), ref_id="ORG-1", title="Model cards for every production model"
        )
        risk = risk_create(actor=tenant_of(owner, cast.org), title="Biased credit decisions")
        risk_select_control(actor=tenant_of(owner), risk=risk, control=a1)
        risk_select_control(actor=tenant_of(owner), risk=risk, control=a2)
        control_update(actor=tenant_of(owner), control=a1, applicability="included", status="implemented", owner=owner)
        evidence_create(actor=tenant_of(owner, cast.org), title="Fairness test report", controls=[a1])
        control_update(
            actor=tenant_of(owner), control=a2, applicability="excluded", justification="No such systems in scope"
        )
        control_update(
            actor=tenant_of(owner),
            control=custom,
            applicability="included",
            status="partial",
            justification="Customers ask for model documentation",
            owner=cast.users["contributor"],
        )
    return cast


def test_soa_filter_publish_and_download(web, soa, artifacts):
    page = web.page
    page.goto("/accounts/login/?next=/o/acme/soa/")
    log_in(page, "alice")
    expect(page).to_have_url(re.compile(r"/o/acme/soa/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Statement of Applicability")
    assert_assets_loaded(page)
    nav = page.get_by_role("navigation", name="AIMS")
    expect(nav.locator("a[aria-current=page]")).to_contain_text("Statement of Applicability")

    table = page.get_by_test_id("soa")
    expect(table.locator("tbody tr")).to_have_count(3)
    expect(page.get_by_test_id("flagged-tile")).to_contain_text("1")
    flagged_row = table.locator("tr[data-ref='A.2']")
    expect(flagged_row.locator(".flag")).to_have_text(["Excluded, but a risk treatment selects it"])
    expect(table.locator("tr[data-ref='A.1']")).to_contain_text("Risk treatment: Biased credit decisions")
    page.screenshot(path=str(artifacts / "soa.png"), full_page=True)

    # Only flagged rows: the table is replaced in place (HTMX) and the address remembers the filter.
    page.get_by_label("Only flagged").check()
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table.locator("tbody tr")).to_have_attribute("data-ref", "A.2")
    expect(page).to_have_url(re.compile(r"flagged=1"))
    expect(page.get_by_test_id("soa-count")).to_have_text("1 of 3 controls")
    page.screenshot(path=str(artifacts / "soa-flagged.png"), full_page=True)

    # Publish a version for the manager to sign off.
    publish = page.get_by_test_id("publish")
    publish.locator("select[name=approver]").select_option(label="mona")
    publish.get_by_label("Comment for the approver").fill("Approved at the management review")
    publish.get_by_role("button", name="Publish version").click()
    expect(page).to_have_url(re.compile(r"/o/acme/soa/versions/1/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("version 1")
    facts = page.get_by_test_id("version-facts")
    expect(facts).to_contain_text("mona")
    expect(facts).to_contain_text("Awaiting sign-off")
    expect(page.get_by_test_id("content-hash")).to_have_text(re.compile(r"^[0-9a-f]{64}$"))
    page.screenshot(path=str(artifacts / "soa-version.png"), full_page=True)

    # Download the version as a workbook and read it back.
    with page.expect_download() as download_info:
        page.get_by_test_id("export-xlsx").click()
    download = download_info.value
    assert download.suggested_filename == "soa-acme-v1.xlsx"
    target = artifacts / download.suggested_filename
    download.save_as(str(target))
    sheet = load_workbook(target)["Statement of Applicability"]
    assert sheet.freeze_panes == "A2" and sheet.max_row == 4
    rows = {r[0].value: r for r in sheet.iter_rows(min_row=2)}
    assert rows["A.2"][10].value == "Excluded, but a risk treatment selects it"

    # Back on the SoA, the version is listed.
    nav.get_by_role("link", name="Statement of Applicability").click()
    expect(page.get_by_test_id("versions").locator("tbody tr")).to_have_count(1)
    expect(page.get_by_test_id("versions")).to_contain_text("Approved at the management review")
    page.screenshot(path=str(artifacts / "soa.png"), full_page=True)
    web.assert_clean()


def test_register_and_control_page(web, soa, artifacts):
    page = web.page
    page.goto("/accounts/login/?next=/o/acme/controls/")
    log_in(page, "alice")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Controls")
    controls = page.get_by_test_id("controls")
    expect(controls.locator("tbody tr")).to_have_count(3)
    page.get_by_label("Search").fill("model")
    expect(controls.locator("tbody tr")).to_have_count(1)
    page.screenshot(path=str(artifacts / "controls.png"), full_page=True)
    controls.get_by_role("link", name="ORG-1").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Model cards")

    # Link a requirement found by searching the catalog (HTMX), then see it listed.
    page.get_by_label("Search the catalog").fill("ex")
    results = page.get_by_test_id("requirement-results")
    expect(results).to_contain_text("OTHER 1")
    results.get_by_role("button", name="Link").first.click()
    expect(page.get_by_test_id("requirements")).to_contain_text("Ex")
    expect(page.get_by_test_id("history").locator(".timeline")).to_contain_text("Linked a requirement")
    page.screenshot(path=str(artifacts / "control.png"), full_page=True)

    # Coverage: A.1 is implemented with current evidence; it is a subset of OTHER 1's only item, so partial.
    page.get_by_role("navigation", name="AIMS").get_by_role("link", name="Coverage").click()
    coverage = page.get_by_test_id("coverage")
    expect(coverage.get_by_role("progressbar", name="TINY 1 coverage")).to_have_attribute("aria-valuenow", "50")
    expect(coverage.get_by_role("progressbar", name="OTHER 1 coverage")).to_have_attribute("aria-valuenow", "0")
    expect(coverage.get_by_test_id("partial-other-1")).to_have_text("1")
    page.screenshot(path=str(artifacts / "coverage.png"), full_page=True)
    coverage.get_by_role("link", name="A tiny framework for tests").click()
    expect(page.get_by_test_id("uncovered")).to_contain_text("Alpha two")
    web.assert_clean()


def test_controls_pages_fit_a_narrow_screen(web, soa, artifacts):
    page = web.page
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/accounts/login/?next=/o/acme/")
    log_in(page, "alice")
    expect(page).to_have_url(re.compile(r"/o/acme/$"))
    a1 = Control.objects.get(organization=soa.org, ref_id="A.1").pk
    too_wide = {}
    for path in ("/o/acme/controls/", f"/o/acme/controls/{a1}/", "/o/acme/soa/", "/o/acme/coverage/"):
        page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        if path.endswith("/soa/"):
            page.screenshot(path=str(artifacts / "soa-narrow.png"), full_page=True)
        if overflow > 0:
            too_wide[path] = overflow
            page.screenshot(path=str(artifacts / ("narrow-overflow" + path.rstrip("/").replace("/", "-") + ".png")))
    web.assert_clean()
    assert too_wide == {}, "pages wider than a 390px screen (px too wide)"
