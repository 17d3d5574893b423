"""The style guide shows every component of templates/components/, with its states, to staff (or in debug) only."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import reverse

import openaims

pytestmark = pytest.mark.django_db

COMPONENTS = Path(openaims.__file__).resolve().parent / "templates" / "components"


def component_names() -> list[str]:
    return sorted(p.stem for p in COMPONENTS.glob("*.html"))


@pytest.fixture
def staff_client(client, cast):
    user = cast.users["viewer"]
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    client.force_login(user)
    return client


def test_it_has_components():
    assert len(component_names()) >= 12


def test_it_renders_every_component_in_its_own_section(staff_client):
    html = staff_client.get(reverse("web:styleguide")).content.decode()
    sections = set(re.findall(r'data-styleguide="([a-z_]+)"', html))
    rendered = set(re.findall(r'data-component="([a-z_]+)"', html))
    missing_section = [name for name in component_names() if name not in sections]
    missing_render = [name for name in component_names() if name not in rendered]
    assert missing_section == [], "components without a section in templates/web/styleguide.html"
    assert missing_render == [], "components the style guide does not render"


def test_it_shows_the_error_summary_linking_to_each_field(staff_client):
    html = staff_client.get(reverse("web:styleguide")).content.decode()
    summary = html[html.index('class="error-summary') : html.index("</div>", html.index('class="error-summary'))]
    assert 'href="#id_name"' in summary and 'href="#id_criticality"' not in summary
    assert "There is a problem" in summary and "A high-criticality example" in summary


def test_it_is_hidden_from_members_who_are_not_staff(client, cast, settings):
    settings.DEBUG = False
    client.force_login(cast.users["owner"])
    assert client.get(reverse("web:styleguide")).status_code == 404


def test_it_opens_to_members_in_debug(client, cast, settings):
    settings.DEBUG = True
    client.force_login(cast.users["owner"])
    assert client.get(reverse("web:styleguide")).status_code == 200


def test_it_sends_anonymous_visitors_to_log_in(client):
    response = client.get(reverse("web:styleguide"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
