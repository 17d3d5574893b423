"""Log records: a refused request (a 4xx Django answered from an exception) is one line, not a traceback."""

from __future__ import annotations

import logging
from http import HTTPStatus


class OneLineRefusals(logging.Filter):
    """Django logs each 403 (and each unreadable body, 400) with the exception's traceback: 14 lines for an
    expected answer to a client. This keeps one line: status, method, path, user and reason. 5xx stay whole."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if not isinstance(status, int) or not 400 <= status < 500 or not record.exc_info:
            return True
        exc = record.exc_info[1]
        request = getattr(record, "request", None)
        user = getattr(getattr(request, "user", None), "username", "") or "anonymous"
        reason = " ".join(str(exc).split()) or type(exc).__name__
        record.msg = "%s: %s %s (user %s): %s"
        record.args = (
            HTTPStatus(status).phrase,
            getattr(request, "method", "?"),
            getattr(request, "path", "?"),
            user,
            reason,
        )
        record.exc_info = None
        record.exc_text = None
        return True
