from __future__ import annotations

import uuid

from django.conf import settings
from django.http import QueryDict

from openaims.audittrail.context import audit_context
from openaims.lib.http import client_ip


class RequestContextMiddleware:
    """Tags every audit event written during a request with its channel, address and request id."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        via = "api" if request.path.startswith("/api/") else "web"
        request.request_id = uuid.uuid4().hex[:16]
        with audit_context(via=via, ip=client_ip(request), request_id=request.request_id):
            return self.get_response(request)


class QueryNormalizationMiddleware:
    """Searches and filters in a page's query string lose NUL characters, as the API's do (api/strict.py).

    PostgreSQL cannot compare text holding one, so `?q=%00` would otherwise fail deep inside a query; no
    search means anything by it. Form bodies are left alone: Django's form fields refuse NUL with a message.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.META.get("QUERY_STRING", "") or "%00" in request.META.get("QUERY_STRING", ""):
            cleaned = QueryDict(mutable=True)
            for key, values in request.GET.lists():
                cleaned.setlist(key.replace("\x00", ""), [value.replace("\x00", "") for value in values])
            cleaned._mutable = False
            request.GET = cleaned
        return self.get_response(request)


class ContentSecurityPolicyMiddleware:
    """Sends `settings.AIMS_CSP` with every response that has no policy of its own.

    Pages load scripts and styles only from our static files (no inline script, style or event handler),
    so an injected `<script>` or `style=` does nothing. Django's debug error pages (DEBUG only) are inline
    HTML: they go without the policy, or a developer would see an unstyled page.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "Content-Security-Policy" not in response and not (settings.DEBUG and response.status_code >= 400):
            response["Content-Security-Policy"] = settings.AIMS_CSP
        return response
