"""Inventory test data, built through the services."""

from __future__ import annotations

import pytest

from openaims.inventory.services import part_create, system_create


def make_system(cast, *, org=None, actor=None, **values):
    """A registered AI system in `cast.org` (or `org`), created by the owner unless told otherwise."""
    defaults = {
        "name": "Credit scoring",
        "purpose": "Scores consumer credit applications",
        "intended_use": "Assist credit officers in deciding on loan applications of natural persons",
        "role": "provider",
        "technique": "ml",
        "criticality": "high",
    }
    defaults.update(values)
    organization = org or cast.org
    actor = actor or (cast.users["owner"] if organization == cast.org else cast.users["outsider"])
    return system_create(actor=actor, organization=organization, **defaults)


def add_model(cast, system, name="scorer", version="1"):
    return part_create(actor=cast.users["owner"], system=system, kind="model", name=name, version=version)


@pytest.fixture(scope="session", autouse=True)
def _eu_ai_act_once_per_process(eu_ai_act_snapshot):
    """Most inventory tests classify: `load_eu_ai_act` restores the catalog from this snapshot (~1 s less each)."""


@pytest.fixture
def system(cast):
    return make_system(cast)
