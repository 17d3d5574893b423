"""The application shell in a real browser: login, organization switcher, navigation, lazy history, verify.

Data is built through the services (the `cast` of tests/conftest.py) and committed, because the live
server answers from another thread. Screenshots go to test-artifacts/ at the repository root.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from openaims.audittrail.context import audit_context
from openaims.tenancy.services import membership_add
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, username: str, password: str = PASSWORD, *, submit_with_enter: bool = False) -> None:
    form = page.locator("form", has=page.locator("input[name=password]"))
    form.locator("input[name=username]").fill(username)
    form.locator("input[name=password]").fill(password)
    if submit_with_enter:
        form.locator("input[name=password]").press("Enter")
    else:
        form.get_by_role("button", name="Log in").click()


def assert_assets_loaded(page) -> None:
    """The stylesheet is applied and htmx is running (both are served from /static/, never a CDN)."""
    sheets = page.evaluate(
        "[...document.styleSheets].filter(s => { try { return s.cssRules.length > 0 } catch (e) "
        "{ return false } }).map(s => s.href)"
    )
    for layer in ("tokens", "base", "components", "utilities", "app"):
        applied = any(href and href.endswith(f"/static/openaims/{layer}.css") for href in sheets)
        assert applied, f"{layer}.css not applied"
    assert page.evaluate("typeof window.htmx === 'object'"), "htmx did not load from /static/openaims/"


def test_login_form_submits_with_enter_and_lands_on_the_dashboard(web, cast, artifacts):
    page = web.page
    page.goto("/accounts/login/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in to OpenAIMS")
    assert_assets_loaded(page)
    # Keyboard only: the username field is reachable and Enter in the password field submits.
    page.locator("input[name=username]").focus()
    page.keyboard.type("alice")
    page.keyboard.press("Tab")
    expect(page.locator("input[name=password]")).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    # alice belongs to one organization only: the home page sends her straight to its dashboard.
    expect(page).to_have_url(re.compile(r"/o/acme/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Acme AI")
    expect(page.get_by_test_id("org-switcher")).to_contain_text("Acme AI")
    expect(page.locator(".tile").first).to_contain_text("5")
    page.screenshot(path=str(artifacts / "dashboard.png"), full_page=True)
    web.assert_clean()


def test_wrong_password_stays_on_the_form(web, cast):
    page = web.page
    page.goto("/accounts/login/")
    log_in(page, "alice", "not-the-password", submit_with_enter=True)
    expect(page.get_by_role("alert")).to_contain_text("Wrong username or password.")
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    # The form comes back with status 400, which Chromium logs as a failed load: expected here, and only here.
    web.console_errors = [
        e for e in web.console_errors if not re.search(r"status of 400 .*'url': 'http://[^/]+/accounts/login/'", e)
    ]
    web.assert_clean()


def test_shell_switch_organizations_navigate_history_and_verify(web, cast, artifacts):
    alice = cast.users["owner"]
    with audit_context(via="test"):
        membership_add(actor=cast.tenant("outsider"), user=alice, role="manager")
    page = web.page

    # An organization page asks for a login first, and returns there afterwards.
    page.goto("/o/acme/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/o/acme/$"))
    log_in(page, "alice")
    expect(page).to_have_url(re.compile(r"/o/acme/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Acme AI")
    assert_assets_loaded(page)

    # The switcher lists both organizations, the current one marked; switch to Globex and back.
    switcher = page.get_by_test_id("org-switcher")
    switcher.locator("summary").click()
    expect(switcher).to_have_attribute("open", "")
    expect(switcher.locator("a[aria-current=true]")).to_contain_text("Acme AI")
    switcher.get_by_role("link", name=re.compile(r"^Globex")).click()
    expect(page).to_have_url(re.compile(r"/o/globex/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Globex")
    expect(switcher.locator("summary")).to_contain_text("manager")
    expect(page).to_have_title(re.compile(r"Globex$"))
    switcher.locator("summary").click()
    switcher.get_by_role("link", name=re.compile(r"^Acme AI")).click()
    expect(page).to_have_url(re.compile(r"/o/acme/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Acme AI")
    # The home page remembers the organization used last.
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/o/acme/$"))

    # Roles & members through the side navigation, then one member and their lazily loaded history.
    nav = page.get_by_role("navigation", name="AIMS")
    nav.get_by_role("link", name="Roles & members").click()
    expect(page).to_have_url(re.compile(r"/o/acme/members/$"))
    expect(nav.locator("a[aria-current=page]")).to_contain_text("Roles & members")
    members = page.get_by_test_id("members")
    expect(members.locator("tbody tr")).to_have_count(5)
    members.get_by_role("link", name="mona").click()
    expect(page).to_have_url(re.compile(r"/o/acme/members/\d+/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("mona")
    history = page.get_by_test_id("history")
    expect(history.locator(".timeline li").first).to_be_visible()
    expect(history.locator(".timeline")).to_contain_text("Created")
    expect(history.locator(".timeline")).to_contain_text("alice")  # the actor
    expect(page.get_by_test_id("history-link")).to_have_count(0)  # replaced by the panel
    page.screenshot(path=str(artifacts / "member-history.png"), full_page=True)

    # The organization settings page shows the organization's own history.
    nav.get_by_role("link", name="Organization").click()
    expect(page).to_have_url(re.compile(r"/o/acme/settings/$"))
    history = page.get_by_test_id("history")
    expect(history.locator(".timeline")).to_contain_text("Created")
    page.screenshot(path=str(artifacts / "settings-history.png"), full_page=True)

    # The audit trail verifies its hash chain on request.
    nav.get_by_role("link", name="Audit trail").click()
    expect(page).to_have_url(re.compile(r"/o/acme/audit/$"))
    expect(page.get_by_test_id("events").locator("tbody tr").first).to_be_visible()
    page.get_by_test_id("verify").click()
    expect(page.get_by_test_id("verify-ok")).to_contain_text(re.compile(r"Chain intact: \d+ events"))
    page.screenshot(path=str(artifacts / "audit-verified.png"), full_page=True)

    web.assert_clean()


def test_narrow_screen_has_no_horizontal_overflow(web, cast, artifacts):
    """On a phone-sized viewport the page must not scroll sideways (tables may scroll inside themselves)."""
    page = web.page
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/accounts/login/?next=/o/acme/")
    log_in(page, "alice")
    expect(page).to_have_url(re.compile(r"/o/acme/$"))
    too_wide = {}
    for path in ("/o/acme/", "/o/acme/members/", "/o/acme/settings/", "/o/acme/audit/"):
        page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        if overflow > 0:
            too_wide[path] = overflow
            name = "narrow-overflow" + path.rstrip("/").replace("/", "-") + ".png"
            page.screenshot(path=str(artifacts / name), full_page=True)
    web.assert_clean()
    assert too_wide == {}, "pages wider than a 390px screen (px too wide)"
