"""System card pages: the draft with its gaps, downloads, publishing and published versions."""

from __future__ import annotations

from django.urls import reverse

from openaims.inventory.card import card_publish
from openaims.inventory.models import SystemCardVersion
from openaims.inventory.services import part_create, system_update
from tests.controls.test_pdf import PDFTOTEXT, pdf_text
from tests.inventory.conftest import make_system
from tests.inventory.test_card import documented_system


def url(name, system, *args):
    return reverse(f"inventory:{name}", args=[system.organization.slug, system.pk, *args])


def test_the_card_page_shows_the_draft_with_its_gaps(cast, client_for):
    system = make_system(cast, name="Chatbot")

    response = client_for(cast.users["viewer"]).get(url("card", system))

    assert response.status_code == 200
    page = response.content.decode()
    assert "System card: AIS-1 Chatbot" in page
    assert "Documentation gaps (" in page and "Models: no model recorded" in page
    assert 'class="gap flag">Not documented' in page, "gaps are highlighted where they are"
    assert 'data-testid="card-publish"' not in page, "a viewer cannot publish"
    assert "No version published yet." in page


def test_an_approver_sees_the_publish_form(cast, client_for):
    system = documented_system(cast)

    page = client_for(cast.users["manager"]).get(url("card", system)).content.decode()

    assert 'data-testid="card-publish"' in page
    assert "None: every item the card asks for is documented." in page


def test_it_downloads_the_draft_as_markdown_and_pdf(cast, client_for):
    system = documented_system(cast, classified=False)
    client = client_for(cast.users["auditor"])

    markdown = client.get(url("card_download", system, "md"))
    pdf = client.get(url("card_download", system, "pdf"))

    assert markdown.status_code == 200
    assert markdown["Content-Type"] == "text/markdown; charset=utf-8"
    assert markdown["Content-Disposition"] == 'attachment; filename="AIS-1-credit-scoring-card-draft.md"'
    assert markdown.content.decode().startswith("# System card: AIS-1 Credit scoring")
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf["Content-Disposition"] == 'attachment; filename="AIS-1-credit-scoring-card-draft.pdf"'
    assert pdf.content.startswith(b"%PDF")
    if PDFTOTEXT:
        assert "Credit scoring" in pdf_text(pdf.content)


def test_it_answers_404_for_an_unknown_format(cast, client_for):
    system = make_system(cast)

    assert client_for(cast.users["owner"]).get(url("card_download", system, "docx")).status_code == 404


def test_a_manager_publishes_a_version_from_the_page(cast, client_for):
    system = documented_system(cast, classified=False)

    response = client_for(cast.users["manager"]).post(url("card_publish", system), {"note": "Gate review"})

    version = SystemCardVersion.objects.get(system=system)
    assert response.status_code == 302
    assert response["Location"] == url("card_version", system, 1)
    assert version.note == "Gate review" and version.published_by == cast.users["manager"]


def test_it_refuses_an_unchanged_card_on_the_page(cast, client_for):
    system = documented_system(cast, classified=False)
    card_publish(actor=cast.tenant("owner"), system=system)

    response = client_for(cast.users["owner"]).post(url("card_publish", system), {"note": ""})

    assert response.status_code == 400
    assert "nothing changed since v1" in response.content.decode()
    assert SystemCardVersion.objects.filter(system=system).count() == 1


def test_a_version_page_shows_the_frozen_card_and_whether_it_is_outdated(cast, client_for):
    system = documented_system(cast, classified=False)
    version = card_publish(actor=cast.tenant("owner"), system=system)
    client = client_for(cast.users["viewer"])

    page = client.get(url("card_version", system, 1)).content.decode()
    assert version.content_hash in page and "current" in page

    system_update(actor=cast.tenant("owner"), system=system, name="Credit scoring 2")
    page = client.get(url("card_version", system, 1)).content.decode()
    assert "System card: AIS-1 Credit scoring, version 1" in page, "the frozen name"
    assert "outdated: the register entry is at version" in page


def test_it_downloads_a_version_as_stored(cast, client_for):
    system = documented_system(cast, classified=False)
    version = card_publish(actor=cast.tenant("owner"), system=system)
    system_update(actor=cast.tenant("owner"), system=system, name="Renamed")
    client = client_for(cast.users["viewer"])

    markdown = client.get(url("card_version_download", system, 1, "md"))
    pdf = client.get(url("card_version_download", system, 1, "pdf"))

    assert markdown.content.decode() == version.markdown
    assert markdown["Content-Disposition"] == 'attachment; filename="AIS-1-credit-scoring-card-v1.md"'
    assert pdf["Content-Disposition"] == 'attachment; filename="AIS-1-credit-scoring-card-v1.pdf"'
    assert pdf.content.startswith(b"%PDF")
    if PDFTOTEXT:
        text = pdf_text(pdf.content)
        assert "Credit scoring" in text and "Renamed" not in text and version.content_hash in text


def test_an_unknown_version_is_404(cast, client_for):
    system = make_system(cast)

    assert client_for(cast.users["owner"]).get(url("card_version", system, 7)).status_code == 404


def test_it_returns_404_for_a_system_of_another_organization(cast, client_for):
    theirs = make_system(cast, org=cast.other_org)
    card_publish(actor=cast.tenant("outsider"), system=theirs)
    client = client_for(cast.users["owner"])

    for name, args in [
        ("card", ()),
        ("card_download", ("md",)),
        ("card_version", (1,)),
        ("card_version_download", (1, "md")),
    ]:
        path = reverse(f"inventory:{name}", args=["acme", theirs.pk, *args])
        assert client.get(path).status_code == 404, name
    assert client.post(reverse("inventory:card_publish", args=["acme", theirs.pk])).status_code == 404
    assert SystemCardVersion.objects.filter(system=theirs).count() == 1


def test_the_card_page_takes_a_fixed_number_of_queries(cast, client_for, django_assert_num_queries):
    small = documented_system(cast)
    large = documented_system(cast, name="Fraud", models=5, datasets=5, components=4, resources=4)
    card_publish(actor=cast.tenant("owner"), system=small)
    card_publish(actor=cast.tenant("owner"), system=large)
    system_update(actor=cast.tenant("owner"), system=large, geography="EU, UK")
    card_publish(actor=cast.tenant("owner"), system=large)
    client = client_for(cast.users["manager"])
    client.get(url("card", small))  # warm-up: session, content types

    response = client.get(url("card", small))
    assert response.status_code == 200
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(url("card", small))
    part_create(actor=cast.tenant("owner"), system=large, kind="model", name="extra", version="1")
    with django_assert_num_queries(len(few)):
        assert client.get(url("card", large)).status_code == 200


def test_the_system_page_shows_the_card_panel(cast, client_for):
    system = documented_system(cast, classified=False)
    client = client_for(cast.users["viewer"])

    page = client.get(reverse("inventory:system", args=["acme", system.pk])).content.decode()
    assert 'data-testid="card-unpublished"' in page and url("card_download", system, "pdf") in page

    card_publish(actor=cast.tenant("owner"), system=system)
    page = client.get(reverse("inventory:system", args=["acme", system.pk])).content.decode()
    assert 'data-testid="card-current"' in page and url("card_version_download", system, 1, "pdf") in page

    system_update(actor=cast.tenant("owner"), system=system, geography="EU, UK")
    page = client.get(reverse("inventory:system", args=["acme", system.pk])).content.decode()
    assert 'data-testid="card-outdated"' in page
