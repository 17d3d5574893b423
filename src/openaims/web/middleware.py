from __future__ import annotations

import uuid

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
