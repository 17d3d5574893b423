"""The SoA as PDF: a real PDF whose text names the organization, the version and every control.

Text is read back with poppler's `pdftotext` when it is installed, else from WeasyPrint's laid-out
pages (the same boxes the PDF is written from), so the test runs on machines without poppler too.
"""

from __future__ import annotations

import shutil
import subprocess
from datetime import date

import pytest

from openaims.controls.exports import SoAMeta
from openaims.controls.pdf import render_document, soa_html, soa_pdf
from openaims.controls.selectors import soa_rows
from openaims.controls.services import control_create_custom, control_update, controls_adopt_catalog
from openaims.lib.pdf import _local_only_fetcher
from openaims.risk.services import risk_create, risk_select_control
from openaims.tenancy.selectors import tenant_of
from tests.catalog.conftest import load_tiny

PDFTOTEXT = shutil.which("pdftotext")


def pdf_text(pdf: bytes) -> str:
    result = subprocess.run([PDFTOTEXT, "-layout", "-", "-"], input=pdf, capture_output=True, check=True)
    return result.stdout.decode("utf-8")


def document_text(document) -> str:
    parts = []

    def walk(box):
        if getattr(box, "text", None):
            parts.append(box.text)
        for child in getattr(box, "children", ()):
            walk(child)

    for page in document.pages:
        walk(page._page_box)
    return " ".join(parts)


@pytest.fixture
def rows(cast):
    load_tiny()
    owner = cast.users["owner"]
    controls_adopt_catalog(actor=tenant_of(owner, cast.org), framework_urn="urn:openaims:framework:tiny-1")
    custom = control_create_custom(actor=tenant_of(owner, cast.org), ref_id="ORG-7", title="Model cards")
    control_update(
        actor=tenant_of(owner), control=custom, applicability="included", justification="<b>Customer</b> asks"
    )
    risk = risk_create(actor=tenant_of(owner, cast.org), title="Biased credit decisions")
    risk_select_control(actor=tenant_of(owner), risk=risk, control=custom)
    return [row.as_dict() for row in soa_rows(cast.org)]


CURRENT = SoAMeta(organization="Acme AI", slug="acme")
VERSION = SoAMeta(
    organization="Acme AI",
    slug="acme",
    version=3,
    approved_by="mona",
    approved_on=date(2026, 3, 1),
    content_hash="ab" * 32,
    status="signed",
)


def test_it_makes_a_pdf_with_the_organization_and_the_controls(rows):
    pdf = soa_pdf(rows, VERSION)

    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf) if PDFTOTEXT else document_text(render_document(rows, VERSION))
    for expected in ("Acme AI", "Statement of Applicability", "Version 3", "mona", "2026-03-01", "A.1", "ORG-7"):
        assert expected in text
    assert "Risk treatment: Biased credit decisions" in text
    assert "Applicability not decided yet" in text, "flags are spelled out"
    assert "Page 1 of" in text, "page numbers in the footer"


def test_the_current_state_says_it_is_unpublished(rows):
    text = document_text(render_document(rows, CURRENT))

    assert "current (unpublished)" in text
    assert "Not approved" in text


@pytest.mark.skipif(PDFTOTEXT is None, reason="poppler-utils (pdftotext) is not installed")
def test_pdftotext_and_the_layout_agree_on_the_controls(rows):
    pdf_words = set(pdf_text(soa_pdf(rows, CURRENT)).split())
    assert {"A.1", "A.2", "ORG-7"} <= pdf_words


def test_user_text_is_text_not_markup(rows):
    html = soa_html(rows, CURRENT)

    assert "Reason: &lt;b&gt;Customer&lt;/b&gt; asks" in html
    assert "<b>Customer</b>" not in html


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:9/x.png", "https://example.org/font.woff2", "file:///etc/passwd", "ftp://x/y"]
)
def test_it_fetches_nothing_but_data_urls(url):
    fetcher = _local_only_fetcher("SoA PDF")

    with pytest.raises(ValueError, match="does not load external resources"):
        fetcher.fetch(url)
    assert fetcher.fetch("data:text/plain,ok").read() == b"ok"


def test_an_empty_soa_still_renders(cast):
    assert soa_pdf([], CURRENT).startswith(b"%PDF")
