"""The design language in a real browser: the main pages fit the window at 1280 and 390 px (no horizontal
overflow), the navigation collapses on a narrow screen without JavaScript, the system page's tabs are URLs that htmx
loads in place, and the style guide renders. axe-core checks every page visited (conftest.py)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from openaims.audittrail.context import audit_context
from openaims.catalog.loader import load_catalog
from openaims.demo import DEMO_PASSWORD, DEMO_USERNAME, seed_demo
from openaims.impact.models import ImpactAssessment
from openaims.inventory.models import AISystem, Classification
from openaims.risk.models import Risk
from tests.browser.test_shell import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ORG = "acme-health"


@pytest.fixture
def demo_pages():
    """The shipped demo (as `aims demo` seeds it) and the main pages of its first organization."""
    with audit_context(via="test"):
        load_catalog()
        seed_demo()
    system = AISystem.objects.filter(organization__slug=ORG).order_by("number").first()
    classification = Classification.objects.filter(system__organization__slug=ORG).order_by("pk").first()
    assessment = ImpactAssessment.objects.filter(organization__slug=ORG).order_by("pk").first()
    risk = Risk.objects.filter(organization__slug=ORG).order_by("pk").first()
    base = f"/o/{ORG}"
    return [
        f"{base}/",
        f"{base}/systems/",
        f"{base}/systems/{system.pk}/",
        f"{base}/systems/{system.pk}/parts/",
        f"{base}/systems/{system.pk}/controls/",
        f"{base}/systems/{system.pk}/risks/",
        f"{base}/systems/{system.pk}/assessments/",
        f"{base}/systems/{system.pk}/history/",
        f"{base}/systems/{classification.system_id}/classifications/{classification.pk}/",
        f"{base}/soa/",
        f"{base}/controls/",
        f"{base}/risks/",
        f"{base}/risks/{risk.pk}/",
        f"{base}/impact/",
        f"{base}/impact/{assessment.pk}/",
        f"{base}/audit/",
    ]


def overflow(page) -> tuple[int, int]:
    return page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")


def test_the_main_pages_fit_the_window_at_1280_and_390_px(web, demo_pages):
    page = web.page
    page.goto("/accounts/login/")
    log_in(page, DEMO_USERNAME, DEMO_PASSWORD)
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))
    for width, height in ((1280, 800), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        too_wide = []
        for url in demo_pages:
            page.goto(url)
            scroll_width, inner_width = overflow(page)
            if scroll_width > inner_width:
                too_wide.append(f"{url}: {scroll_width} > {inner_width}")
        assert too_wide == [], f"horizontal overflow at {width} px"
    web.assert_clean()


def test_the_navigation_collapses_on_a_narrow_screen(web, cast):
    page = web.page
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/accounts/login/")
    log_in(page, "alice")
    menu = page.locator(".nav-menu > summary")
    expect(menu).to_be_visible()
    expect(page.locator(".sidenav").get_by_role("link", name="Dashboard")).to_be_hidden()
    menu.click()
    expect(page.locator(".sidenav").get_by_role("link", name="Dashboard")).to_be_visible()
    page.set_viewport_size({"width": 1280, "height": 800})
    expect(menu).to_be_hidden()
    web.assert_clean()


def test_the_system_tabs_are_urls_that_htmx_loads_in_place(web, demo_pages):
    page = web.page
    page.goto("/accounts/login/")
    log_in(page, DEMO_USERNAME, DEMO_PASSWORD)
    system_url = demo_pages[2]
    page.goto(system_url)
    expect(page.get_by_test_id("system-tab-overview")).to_be_visible()
    requests_before = len(web.requests)
    page.locator(".tabs").get_by_role("link", name="Parts").click()
    expect(page.get_by_test_id("parts-panel")).to_be_visible()
    expect(page).to_have_url(re.compile(re.escape(system_url) + r"parts/$"))
    expect(page.locator('.tabs a[aria-current="page"]')).to_have_text("Parts")
    # htmx swapped the region: no new stylesheet or script was fetched.
    assert not [u for u in web.requests[requests_before:] if u.endswith((".css", ".js"))]
    page.locator(".tabs").get_by_role("link", name="History").click()
    expect(page.get_by_test_id("system-history")).to_be_visible()
    page.go_back()
    expect(page).to_have_url(re.compile(r"parts/$"))
    web.assert_clean()


def test_the_style_guide_renders_every_component_accessibly(web, cast):
    alice = cast.users["owner"]
    alice.is_staff = True
    alice.save(update_fields=["is_staff"])
    page = web.page
    page.goto("/accounts/login/")
    log_in(page, "alice")
    page.goto("/styleguide/")
    expect(page.get_by_role("heading", level=1).first).to_have_text("Style guide")
    expect(page.locator(".error-summary a").first).to_have_attribute("href", "#id_name")
    page.locator(".error-summary a").first.click()
    expect(page.locator("#id_name")).to_be_focused()
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 800})
        scroll_width, inner_width = overflow(page)
        assert scroll_width <= inner_width, f"the style guide overflows at {width} px"
    web.assert_clean()
