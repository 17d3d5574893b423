"""Risk test data, built through the services."""

from __future__ import annotations

import pytest

from openaims.inventory.services import system_create
from openaims.risk.services import risk_assess, risk_create
from tests.conftest import ISO42001, load_shipped

C34 = "urn:openaims:iso42001-2023:c.3.4"  # risk source: machine learning
C25 = "urn:openaims:iso42001-2023:c.2.5"  # objective: fairness


def make_system(cast, name="Credit scoring", *, org=None):
    organization = org or cast.org
    actor = cast.users["owner"] if organization == cast.org else cast.users["outsider"]
    return system_create(
        actor=actor,
        organization=organization,
        name=name,
        purpose="Scores credit applications",
        role="provider",
        technique="ml",
    )


def make_risk(cast, title="Biased credit decisions", *, actor=None, owner=None, org=None, **values):
    """A risk in acme recorded by the owner (alice) unless told otherwise."""
    organization = org or cast.org
    if actor is None:
        actor = cast.users["owner"] if organization == cast.org else cast.users["outsider"]
    return risk_create(actor=actor, organization=organization, title=title, owner=owner, **values)


def assess(cast, risk, il, ic, option="", rl=None, rc=None, *, actor=None, **kw):
    return risk_assess(
        actor=actor or cast.users["contributor"],
        risk=risk,
        inherent_likelihood=il,
        inherent_consequence=ic,
        treatment_option=option,
        residual_likelihood=rl,
        residual_consequence=rc,
        **kw,
    )


@pytest.fixture
def iso(cast, iso42001_snapshot):
    """The ISO/IEC 42001 catalog (Annex C risk sources and objectives), from this process's snapshot."""
    load_shipped(ISO42001)
