"""An evidence link is shown as a link: only http(s) is stored, from the form and from the API alike."""

from __future__ import annotations

import pytest
from django.urls import reverse

from openaims.controls.models import Control, Evidence
from openaims.controls.services import controls_adopt_catalog
from tests.catalog.conftest import load_tiny

TINY = "urn:openaims:framework:tiny-1"
HOSTILE = [
    "javascript:alert(document.cookie)",
    "data:text/html,<script>1</script>",
    "file:///etc/passwd",
    "ftp://f.example/x",
]


@pytest.fixture
def control(cast):
    load_tiny()
    controls_adopt_catalog(actor=cast.tenant("owner"), framework_urn=TINY)
    return Control.objects.filter(organization=cast.org).order_by("ref_id").first()


@pytest.mark.parametrize("url", HOSTILE)
def test_the_form_refuses_a_link_that_is_not_http(cast, client_for, control, url):
    page = reverse("controls:evidence_add", args=["acme", control.pk])

    response = client_for(cast.users["owner"]).post(page, {"title": "Test report", "url": url})

    assert response.status_code == 400
    assert "only http:// and https:// links are accepted" in response.content.decode()
    assert not Evidence.objects.exists()


def test_the_form_still_reads_a_link_without_its_scheme_as_https(cast, client_for, control):
    page = reverse("controls:evidence_add", args=["acme", control.pk])

    response = client_for(cast.users["owner"]).post(page, {"title": "Test report", "url": "example.org/report"})

    assert response.status_code == 302 and Evidence.objects.get().url == "https://example.org/report"


@pytest.mark.parametrize("url", HOSTILE)
def test_the_api_refuses_a_link_that_is_not_http(cast, api_for, control, url):
    response = api_for(cast.users["owner"], cast.org).post(
        "/api/v1/orgs/acme/evidence", json={"title": "E", "url": url}
    )

    error = response.json()["error"]
    assert response.status_code == 400 and error["details"][0]["field"] == "url"
    assert "only http:// and https:// links are accepted" in error["message"]
    assert not Evidence.objects.exists()
