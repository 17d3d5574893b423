"""Fixtures for the browser tests: one headless Chromium (Debian's, not Playwright's download) per run.

Run with `python -m pytest -m browser tests/browser`; the main run excludes them with `-m "not browser"`.
Every test here gets a fresh browser context (cookies, storage) and a `BrowserPage` that records every
request URL and console error, so a test can assert that all assets are local and nothing failed.

Accessibility: axe-core (tests/browser/vendor, for the tests only) is injected into every page of the context. It
runs when a page has loaded and after every htmx swap, and once more on the page the test ends on; each run reports
to Python through an exposed binding. A serious or critical violation on any page the test visited fails the test.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Error as sync_api_error

# Playwright's sync API drives its event loop from this thread; Django's ORM (used to build the test
# data and by pytest-django's flush between tests) would otherwise refuse to run "in an async context".
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}
IGNORED_CONSOLE_ERRORS: list[re.Pattern] = []
TIMEOUT_MS = 10_000
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
FAILING_IMPACTS = {"serious", "critical"}
# Pages that are not ours to fix, each with its reason: axe still runs on them, their findings do not fail a test.
AXE_NOT_OURS = {
    "/api/v1/docs": "Swagger UI as django-ninja ships it (its markup and colours are the upstream project's)",
}
# After axe.min.js: run axe once the page has loaded and after each htmx swap (debounced), one run at a time, and
# hand the violations to Python (window.__aimsAxeReport, bound per context).
AXE_RUNNER = """
(() => {
  if (window.top !== window) return;
  let running = false, again = false, timer = null;
  const run = async () => {
    if (running) { again = true; return; }
    running = true;
    try {
      const result = await window.axe.run(document, {resultTypes: ["violations"]});
      const bad = result.violations.map(v => ({
        id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + " :: " + n.html.slice(0, 160)),
      }));
      await window.__aimsAxeReport({url: location.pathname + location.search, violations: bad});
    } catch (e) { /* the page went away mid-run: the next page is checked on its own */ }
    running = false;
    if (again) { again = false; schedule(); }
  };
  const schedule = () => { clearTimeout(timer); timer = setTimeout(run, 50); };
  window.__aimsAxeRun = async () => { while (running) await new Promise(r => setTimeout(r, 50)); await run(); };
  window.addEventListener("load", schedule);
  document.addEventListener("htmx:afterSettle", schedule);
})();
"""


def _chromium_path() -> str | None:
    for candidate in (os.environ.get("AIMS_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.fixture(scope="session")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    executable = _chromium_path()
    if executable is None:
        message = "no Chromium at /usr/bin/chromium (apt-get install chromium) or $AIMS_CHROMIUM"
        if os.environ.get("AIMS_REQUIRE_BROWSER"):
            pytest.fail(message)  # CI must not pass by skipping
        pytest.skip(message)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@dataclass
class BrowserPage:
    """A Playwright page plus what it saw: every request URL and every console error / page error."""

    page: object
    base_url: str
    requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    checked: bool = False
    axe_checked: list[str] = field(default_factory=list)  # the pages (path?query) axe ran on
    axe_violations: list[str] = field(default_factory=list)

    def axe_report(self, report: dict) -> None:
        self.axe_checked.append(report["url"])
        if report["url"].split("?")[0] in AXE_NOT_OURS:
            return
        for v in report["violations"]:
            if v["impact"] not in FAILING_IMPACTS:
                continue
            self.axe_violations.append(f"{report['url']}: {v['impact']} {v['id']} ({v['help']}): {v['nodes']}")

    def check_accessibility(self) -> None:
        """Run axe on the page shown now (the load-time runs covered the pages before it); fail on a serious one."""
        page = self.page
        try:
            page.wait_for_load_state("load")
            page.evaluate("window.__aimsAxeRun ? window.__aimsAxeRun() : null")
        except Exception:  # a closed or navigating page: the earlier runs stand
            pass
        assert self.axe_checked, "axe-core never ran on any page of this test"
        assert self.axe_violations == [], "axe-core: serious or critical accessibility violations:\n" + "\n".join(
            dict.fromkeys(self.axe_violations)
        )

    def external_requests(self) -> list[str]:
        return [
            url
            for url in self.requests
            if urlsplit(url).scheme not in ("data", "blob", "about") and urlsplit(url).hostname not in LOCAL_HOSTS
        ]

    def assert_clean(self) -> None:
        self.checked = True
        assert self.external_requests() == [], "requests left localhost (all assets must be served locally)"
        assert self.console_errors == [], "the browser console reported errors"
        self.check_accessibility()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def web(browser, live_server, request):
    """A fresh browser context on the live server; asserts no external request and no console error at the end."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 800})
    context.set_default_timeout(TIMEOUT_MS)
    seen = BrowserPage(page=None, base_url=live_server.url)
    context.expose_binding("__aimsAxeReport", lambda source, report: seen.axe_report(report))
    context.add_init_script(path=str(AXE))
    context.add_init_script(script=AXE_RUNNER)
    page = context.new_page()
    seen.page = page
    page.on("request", lambda request: seen.requests.append(request.url))

    def on_console(msg) -> None:
        if msg.type == "error":
            text = f"{msg.text} @ {msg.location}"
            if not any(pattern.search(text) for pattern in IGNORED_CONSOLE_ERRORS):
                seen.console_errors.append(text)

    page.on("console", on_console)
    page.on("pageerror", lambda exc: seen.console_errors.append(f"uncaught: {exc}"))
    try:
        yield seen
        failed = getattr(request.node, "report_call", None)
        if failed is not None and failed.failed:  # keep what the browser showed when the test failed
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            try:
                page.screenshot(path=str(ARTIFACTS / f"failed-{request.node.name}.png"), full_page=True)
            except sync_api_error as exc:  # a very long page may not fit in a screenshot: the failure stands
                print(f"no screenshot: {exc}")
        elif not seen.checked:  # a test that forgot to check still gets checked
            seen.assert_clean()
        else:  # pages visited after the test's own assert_clean() are checked too
            seen.check_accessibility()
    finally:
        context.close()
