"""HTMX requests: the one test of whether a request came from htmx (a fragment is wanted back)."""

from __future__ import annotations

from django.http import HttpRequest


def is_htmx(request: HttpRequest) -> bool:
    """True when htmx sent the request, whatever its method.

    htmx swaps the answer into its target for a POST too (the life-cycle panel posts and expects the
    refused form back in place), so a GET-only test would send a whole page into a panel.
    """
    return bool(request.headers.get("HX-Request") == "true")
