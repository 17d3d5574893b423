"""The Content-Security-Policy in a real browser: the main pages of the demo and the API docs break none of it.

Chromium reports each violation as a `securitypolicyviolation` event (collected by an init script) and as a
console error (collected by the `web` fixture); either fails the test.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from openaims.demo import DEMO_PASSWORD, DEMO_USERNAME
from tests.browser.test_shell import log_in
from tests.test_demo_data import seed_shipped_demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

COLLECT_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`);
});
"""
SKIP = ("export", "download", ".pdf", ".csv", ".xlsx", ".json", ".md", "logout", "/verify")
MAX_PAGES = 45


def violations(page) -> list[str]:
    return page.evaluate("window.__csp || []")


def crawl(page, start: str, prefix: str) -> dict[str, list[str]]:
    """Visit pages under `prefix` breadth-first from `start` (bounded); the violations seen on each."""
    seen, queue, found = {start}, [start], {}
    while queue and len(found) < MAX_PAGES:
        path = queue.pop(0)
        response = page.goto(path)
        assert response is not None and response.status == 200, f"{path}: {response and response.status}"
        assert response.headers.get("content-security-policy", "").startswith("default-src 'self'"), path
        page.wait_for_load_state("networkidle")
        found[path] = violations(page)
        for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))"):
            target = urlsplit(href)
            if target.netloc or not target.path.startswith(prefix) or any(s in href for s in SKIP):
                continue
            link = target.path + (f"?{target.query}" if target.query else "")
            if link not in seen:
                seen.add(link)
                queue.append(link)
    return found


def test_the_main_pages_break_no_rule_of_the_policy(web, artifacts):
    seed_shipped_demo()
    page = web.page
    page.context.add_init_script(COLLECT_VIOLATIONS)

    for path in ("/accounts/login/", "/accounts/password-reset/"):
        page.goto(path)
        assert violations(page) == [], path
    page.goto("/accounts/login/")
    log_in(page, DEMO_USERNAME, DEMO_PASSWORD)
    expect(page.get_by_role("heading", name="Your organizations")).to_be_visible()
    assert violations(page) == []

    found = crawl(page, "/o/acme-health/", "/o/acme-health/")

    assert {path: v for path, v in found.items() if v} == {}
    visited = " ".join(found)
    for part in ("/risks/heatmap/", "/frameworks/", "/coverage/", "/systems/", "/soa/", "/risk-criteria/"):
        assert part in visited, f"the crawl never reached {part}: {sorted(found)}"
    web.assert_clean()


def test_the_levels_keep_their_colours_without_inline_styles(web, artifacts):
    seed_shipped_demo()
    page = web.page
    page.goto("/accounts/login/")
    log_in(page, DEMO_USERNAME, DEMO_PASSWORD)
    expect(page.get_by_role("heading", name="Your organizations")).to_be_visible()

    page.goto("/o/acme-health/risks/heatmap/")

    cell = page.locator("table.heatmap td.swatch-host").first
    fill = cell.locator("svg.swatch rect").get_attribute("fill")
    assert fill and fill.startswith("#")
    box, swatch = cell.bounding_box(), cell.locator("svg.swatch").bounding_box()
    assert swatch["width"] >= box["width"] - 1 and swatch["height"] >= box["height"] - 1, "the colour fills the cell"
    page.screenshot(path=str(artifacts / "csp-heatmap.png"), full_page=True)
    web.assert_clean()


def test_the_api_docs_work_under_the_policy(web, cast):
    page = web.page
    page.context.add_init_script(COLLECT_VIOLATIONS)

    response = page.goto("/api/v1/docs")

    assert "default-src 'self'" in response.headers["content-security-policy"]
    # The OpenAPI document takes seconds to build on a busy machine: wait for the operations, not the shell.
    expect(page.locator(".swagger-ui .information-container")).to_be_visible(timeout=60_000)
    expect(page.locator(".opblock").first).to_be_visible()
    page.locator(".opblock-summary").first.click()  # expand one operation: React renders more under the policy
    expect(page.locator(".opblock-body").first).to_be_visible()
    assert violations(page) == []
    web.assert_clean()
