"""Where a change came from (web, api, cli) and from which address, carried alongside the call.

The actor is always an explicit service argument; this only adds the channel metadata that the
middleware, the API auth and the CLI know and the services should not have to pass around.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager

# Channel metadata: {"via": "web" | "api" | "cli", "ip": ..., "request_id": ...}, all plain strings.
_current: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar("aims_audit_context", default=None)


def current() -> dict[str, str]:
    return dict(_current.get() or {})


@contextmanager
def audit_context(**values: str | None) -> Iterator[None]:
    merged = {**(current()), **{k: v for k, v in values.items() if v is not None}}
    token = _current.set(merged)
    try:
        yield
    finally:
        _current.reset(token)
