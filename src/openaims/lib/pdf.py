"""HTML to PDF with WeasyPrint, offline: nothing is fetched but `data:` URLs, and no noise on stderr.

Every PDF the product makes (SoA, system cards, later audit packs) goes through `render_document`,
so the same rules hold: user text cannot make the server fetch a URL, and a machine without Pango
gets one clear error.
"""

from __future__ import annotations

import logging
from typing import Any

from openaims.lib.errors import ServiceError


# WeasyPrint ships no type information, so its objects are `Any` here (the document, the fetcher).
def _local_only_fetcher(what: str) -> Any:
    from weasyprint.urls import URLFetcher  # WeasyPrint loads Pango on import: only when a PDF is made

    class LocalOnlyFetcher(URLFetcher):  # type: ignore[misc]  # URLFetcher is untyped (Any) to the checker
        """Fetch `data:` URLs only; anything else (http, https, file…) is refused."""

        def fetch(self, url: str, headers: dict[str, str] | None = None) -> Any:
            if not url.startswith("data:"):
                raise ValueError(f"the {what} does not load external resources ({url[:80]})")
            return super().fetch(url, headers)

    return LocalOnlyFetcher(allowed_protocols={"data"})


def render_document(html: str, *, what: str = "PDF") -> Any:
    """The laid-out WeasyPrint document (pages and boxes), before it becomes PDF bytes."""
    try:
        from weasyprint import HTML  # loads Pango through ctypes: only when a PDF is made
    except OSError as exc:  # WeasyPrint loads Pango through ctypes; a machine without it cannot make PDFs
        raise ServiceError(
            "PDF export needs the Pango library on the server (Debian/Ubuntu: apt-get install libpango-1.0-0 "
            f"libpangoft2-1.0-0): {exc}"
        ) from None
    # Font-subsetting advice ("install HarfBuzz-Subset") is for the administrator, not for every export:
    # it would otherwise break the CLI's one-line output. Real errors still come through.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    return HTML(string=html, base_url=None, url_fetcher=_local_only_fetcher(what)).render()


def render_pdf(html: str, *, what: str = "PDF") -> bytes:
    data: bytes = render_document(html, what=what).write_pdf()
    return data
