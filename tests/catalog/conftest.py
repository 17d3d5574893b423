from __future__ import annotations

from pathlib import Path

import pytest

from openaims.catalog.loader import load_catalog

FILES = Path(__file__).parent / "files"
TINY = [FILES / "tiny.yaml", FILES / "other.yaml", FILES / "tiny__other.yaml"]


def load_tiny() -> str:
    load_catalog(TINY)
    return "tiny-1"


@pytest.fixture
def tiny(db) -> str:
    return load_tiny()


@pytest.fixture
def write_yaml(tmp_path):
    """write_yaml(name, text) -> Path of a catalog file in a temporary folder."""

    def write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write
