"""Hardening: a Content-Security-Policy on every response, HSTS for a year over HTTPS, e-mail settings from the
environment, and templates that need nothing the policy forbids (no inline script, style or event handler)."""

from __future__ import annotations

import re
import runpy
from pathlib import Path

import pytest
from django.test import override_settings

import openaims
from openaims.lib.env import ConfigError

SETTINGS = Path(openaims.__file__).with_name("settings.py")
SRC = Path(openaims.__file__).parent
POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'self'; frame-ancestors 'none'; form-action 'self'"
)


def settings_with(monkeypatch, **env: str) -> dict:
    """The settings module as it reads the given environment (run afresh, not the loaded one)."""
    for name in ("AIMS_HTTPS", "AIMS_HSTS_INCLUDE_SUBDOMAINS", "AIMS_EMAIL_HOST", "AIMS_EMAIL_SECURITY"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(SETTINGS))


class TestContentSecurityPolicy:
    @pytest.mark.parametrize("path", ["/accounts/login/", "/accounts/password-reset/", "/o/acme/", "/api/v1/docs"])
    def test_it_sends_the_policy_with_every_page(self, cast, client, client_for, path):
        response = (client if path.startswith("/accounts/") else client_for(cast.users["viewer"])).get(path)

        assert response.status_code == 200
        assert response["Content-Security-Policy"] == POLICY

    def test_it_sends_it_with_error_pages_and_api_answers(self, cast, client_for):
        client = client_for(cast.users["viewer"])

        assert client.get("/o/no-such-org/")["Content-Security-Policy"] == POLICY
        assert client.get("/api/v1/orgs/acme/systems")["Content-Security-Policy"] == POLICY

    def test_debug_error_pages_go_without_it(self, cast, client_for):
        with override_settings(DEBUG=True):
            response = client_for(cast.users["viewer"]).get("/o/no-such-org/")

        assert response.status_code == 404
        assert "Content-Security-Policy" not in response

    def test_htmx_injects_no_style_and_evaluates_no_code(self, client, db):
        content = client.get("/accounts/login/").content.decode()

        assert (
            """<meta name="htmx-config" content='{"includeIndicatorStyles": false, "allowEval": false}'>""" in content
        )


# Templates rendered into pages (PDF templates are WeasyPrint's, never sent to a browser).
PAGE_TEMPLATES = [
    p for p in SRC.rglob("templates/**/*.html") if "/pdf/" not in str(p) and not p.name.endswith("_pdf.html")
]
FORBIDDEN = {
    "inline script": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I),
    "inline style element": re.compile(r"<style\b", re.I),
    "style attribute": re.compile(r"\sstyle=", re.I),
    "event handler attribute": re.compile(r"\son[a-z]+=", re.I),
    "hx-on (needs eval)": re.compile(r"\shx-on", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
}


@pytest.mark.parametrize("template", PAGE_TEMPLATES, ids=lambda p: str(p.relative_to(SRC)))
def test_no_page_template_needs_what_the_policy_forbids(template):
    text = template.read_text()

    assert {what: pattern.findall(text) for what, pattern in FORBIDDEN.items() if pattern.search(text)} == {}


class TestHsts:
    def test_it_asks_browsers_for_https_for_a_year_when_served_over_https(self, monkeypatch):
        settings = settings_with(monkeypatch, AIMS_HTTPS="true")

        assert settings["SECURE_HSTS_SECONDS"] == 31_536_000
        assert settings["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is False
        assert settings["SESSION_COOKIE_SECURE"] and settings["CSRF_COOKIE_SECURE"]

    def test_it_includes_subdomains_only_when_told(self, monkeypatch):
        assert settings_with(monkeypatch, AIMS_HTTPS="true", AIMS_HSTS_INCLUDE_SUBDOMAINS="true")[
            "SECURE_HSTS_INCLUDE_SUBDOMAINS"
        ]

    def test_it_sends_no_hsts_over_plain_http(self, monkeypatch):
        assert "SECURE_HSTS_SECONDS" not in settings_with(monkeypatch, AIMS_HTTPS="false")

    def test_the_header_reaches_the_browser_over_https(self, client, db):
        with override_settings(SECURE_HSTS_SECONDS=31_536_000):
            response = client.get("/accounts/login/", secure=True)

        assert response["Strict-Transport-Security"] == "max-age=31536000"


class TestEmailSettings:
    def test_it_prints_mail_to_the_console_until_a_host_is_set(self, monkeypatch):
        assert settings_with(monkeypatch)["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"

    def test_it_sends_through_smtp_with_starttls_by_default(self, monkeypatch):
        settings = settings_with(monkeypatch, AIMS_EMAIL_HOST="smtp.example.org", AIMS_EMAIL_FROM="aims@example.org")

        assert settings["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
        assert (settings["EMAIL_HOST"], settings["EMAIL_PORT"]) == ("smtp.example.org", 587)
        assert (settings["EMAIL_USE_TLS"], settings["EMAIL_USE_SSL"]) == (True, False)
        assert settings["DEFAULT_FROM_EMAIL"] == "aims@example.org"

    def test_it_refuses_an_unknown_security_mode(self, monkeypatch):
        with pytest.raises(ConfigError, match="AIMS_EMAIL_SECURITY must be starttls, ssl or none"):
            settings_with(monkeypatch, AIMS_EMAIL_SECURITY="tls1.3")
