"""The AI system register in a real browser: register a system, classify it with the EU AI Act wizard,
see its class and obligations, try a stage transition its gate refuses, and download its system card.

Screenshots and the downloaded card go to test-artifacts/ at the repository root.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_shell import assert_assets_loaded, log_in
from tests.inventory.matrix_classification import load_eu_ai_act

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def catalog(cast):
    load_eu_ai_act()
    return cast


def test_register_classify_gate_and_card(web, catalog, artifacts):
    page = web.page
    page.goto("/accounts/login/?next=/o/acme/systems/")
    log_in(page, "alice")
    expect(page.get_by_role("heading", level=1)).to_contain_text("AI systems")
    assert_assets_loaded(page)

    # Register a credit-scoring system; the technical owner is left empty on purpose.
    page.goto("/o/acme/systems/new/")
    form = page.get_by_test_id("system-form")
    form.locator("[name=name]").fill("Consumer credit scoring")
    form.locator("[name=purpose]").fill("Scores the creditworthiness of natural persons applying for loans.")
    form.locator("[name=intended_use]").fill("Credit officers decide borderline applications.")
    form.locator("[name=affected_persons]").fill("Loan applicants")
    form.locator("[name=role]").select_option("provider")
    form.locator("[name=technique]").select_option("ml")
    form.locator("[name=business_owner]").select_option(label="Alice Owner (alice)")
    form.get_by_role("button", name="Register the system").click()
    expect(page).to_have_url(re.compile(r"/o/acme/systems/\d+/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Consumer credit scoring")
    expect(page.get_by_test_id("classification-badge")).to_have_text("Not classified")
    system_url = page.url

    # The wizard: Annex III 5(b), profiling natural persons.
    page.get_by_test_id("classify-button").click()
    wizard = page.get_by_test_id("classification-wizard")
    wizard.locator("input[value='urn:openaims:eu-ai-act:annex-iii.5.b']").check()
    wizard.locator("input[name='profiles_natural_persons']").check()
    expect(page.get_by_test_id("classification-preview")).to_contain_text("High-risk")
    page.screenshot(path=str(artifacts / "inventory-wizard.png"), full_page=True)
    wizard.get_by_role("button", name="Record the classification").click()
    expect(page).to_have_url(system_url)
    expect(page.get_by_test_id("classification-badge")).to_have_text("High-risk")
    expect(page.get_by_test_id("classification-summary")).to_contain_text("5(b)")

    # Its obligations for a provider come from the catalog.
    page.get_by_test_id("classification-obligations-link").click()
    expect(page.locator("body")).to_contain_text("Art. 9")
    expect(page.locator("body")).to_contain_text("Art. 43")
    page.screenshot(path=str(artifacts / "inventory-obligations.png"), full_page=True)
    page.goto(system_url)

    # Design & development needs both owners: refused, with the missing item listed.
    lifecycle = page.get_by_test_id("lifecycle-form")
    lifecycle.locator("select[name=to_stage]").select_option("design_development")
    lifecycle.get_by_role("button", name="Move").click()
    missing = page.get_by_test_id("gate-missing")
    expect(missing.locator("li[data-key='owners_assigned']")).to_be_visible()
    expect(missing.locator("li")).to_have_count(1)
    page.screenshot(path=str(artifacts / "inventory-gate-refused.png"), full_page=True)
    expect(page.get_by_test_id("lifecycle-stepper")).to_contain_text("Inception")

    # The system card as Markdown: what the register says, gaps included.
    page.get_by_test_id("card-open").click()
    expect(page.get_by_test_id("card-gaps")).to_be_visible()
    with page.expect_download() as download_info:
        page.get_by_test_id("card-download-md").click()
    download = download_info.value
    assert re.fullmatch(r"AIS-1-consumer-credit-scoring-card-draft\.md", download.suggested_filename)
    target = artifacts / download.suggested_filename
    download.save_as(str(target))
    text = target.read_text(encoding="utf-8")
    assert "Consumer credit scoring" in text and "High-risk" in text and "Not documented" in text
    page.screenshot(path=str(artifacts / "inventory-card.png"), full_page=True)
    web.assert_clean()
