from __future__ import annotations

import uuid

from django.conf import settings

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
