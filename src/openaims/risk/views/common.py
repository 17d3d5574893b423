"""Small helpers the risk pages share."""

from __future__ import annotations

from openaims.tenancy.selectors import members

__all__ = ["members"]
