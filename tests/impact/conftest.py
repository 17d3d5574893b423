"""Impact assessment test data, built through the services."""

from __future__ import annotations

from openaims.impact.services import (
    impact_add,
    impact_assessment_approve,
    impact_assessment_create,
    impact_assessment_submit,
    impact_assessment_update,
)
from openaims.inventory.services import part_create, system_create


def make_system(cast, name="Triage assistant", *, org=None, role="developer", technique="ml", **values):
    organization = org or cast.org
    actor = cast.tenant("owner") if organization == cast.org else cast.tenant("outsider")
    system = system_create(
        actor=actor,
        name=name,
        purpose="Suggests a triage category",
        intended_use="Decision support for nurses",
        affected_persons="Emergency patients",
        role=role,
        technique=technique,
        **values,
    )
    if technique == "ml":
        part_create(actor=actor, system=system, kind="model", name="triage-gbm", version="1.0")
    return system


def make_assessment(cast, system=None, *, actor=None):
    """A draft by carl (contributor) with a scope and one moderate harm."""
    system = system or make_system(cast)
    actor = actor or cast.tenant("contributor")
    assessment = impact_assessment_create(actor=actor, system=system)
    impact_assessment_update(actor=actor, assessment=assessment, sections={"scope": "First deployment"})
    impact_add(
        actor=actor,
        assessment=assessment,
        kind="harm",
        description="Under-triage of elderly patients",
        severity=2,
        likelihood=1,
    )
    return assessment


def approved(cast, system=None):
    """Assessed by carl (contributor), approved by mona (manager)."""
    assessment = make_assessment(cast, system)
    impact_assessment_submit(actor=cast.tenant("contributor"), assessment=assessment)
    return impact_assessment_approve(actor=cast.tenant("manager"), assessment=assessment, decision="Proceed")
