"""Random secrets that are shown once and stored only as a SHA-256 hash."""

from __future__ import annotations

import hashlib
import secrets


def new_secret(prefix: str) -> tuple[str, str, str]:
    """Return (full token, lookup id, sha256 hex). The lookup id finds the row without the secret."""
    lookup = secrets.token_hex(6)
    full = f"{prefix}_{lookup}_{secrets.token_urlsafe(32)}"
    return full, lookup, sha256_hex(full)


def sha256_hex(value: str) -> str:
    # Tokens carry 256 bits of randomness, so a fast hash is enough; a slow password hasher would
    # only make every API request slower.
    return hashlib.sha256(value.encode()).hexdigest()


def split_lookup(full: str, prefix: str) -> str | None:
    parts = full.split("_")
    if len(parts) < 3 or parts[0] != prefix or len(parts[1]) != 12:
        return None
    return parts[1]
