"""Demo risk assessments: the demo's risks scored, treated and (where the owner signs off) accepted.

Runs after the controls, inventory and impact demos have created the risks; every step goes through the
services, so the register, the heat map, the trend and the audit trail look as they would in real use.
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from openaims.inventory.models import AISystem
from openaims.inventory.services import system_update
from openaims.risk.models import Risk, RiskStatus
from openaims.risk.services import risk_accept, risk_assess, risk_create, risk_update, treatment_action_create
from openaims.tenancy.models import Organization

# title (or its start) -> (systems by name, first assessment, re-assessment or None, actions, accept by the owner)
# An assessment is (inherent likelihood, inherent consequence, treatment, residual likelihood, residual consequence);
# a consequence is one value for every dimension or a dict per dimension (organization, individuals, societies).
ASSESSMENTS = {
    "Triage model under-prioritises elderly patients": (
        ["Emergency department triage assistant"],
        (4, {"organization": 4, "individuals": 5, "societies": 3}, "modify", 3, 4),
        # After the age-stratified validation: residual down a likelihood level.
        (4, {"organization": 4, "individuals": 5, "societies": 3}, "modify", 2, 4),
        [
            ("Age-stratified validation before each release", "chen", 30, "done"),
            ("Monthly override review by age band", "chen", 60, "in_progress"),
        ],
        True,
    ),
    "Imaging model drifts after scanner upgrade": (
        ["Chest X-ray findings prioritisation"],
        (3, 4, "modify", 2, 3),
        None,
        [("Re-validate flag rates after every scanner firmware change", "chen", 45, "planned")],
        True,
    ),
    # Created by the chatbot's impact assessment (a harm rated high); titles are matched by their start.
    "Impact on people: A patient describing an emergency": (
        ["Patient appointment chatbot"],
        (3, 5, "modify", 2, 4),
        None,
        [("Emergency keyword hand-over to a nurse, tested monthly", "chen", 21, "in_progress")],
        True,
    ),
}
NEW_RISKS = {
    "northwind-lending": [
        {
            "title": "Proxy discrimination through postcode features",
            "description": "Postcode-level features can stand in for ethnicity and lead to unfair refusals.",
            "systems": ["Consumer credit scoring"],
            "owner": "demo",
            "assessment": (
                3,
                {"organization": 3, "individuals": 4, "societies": 4},
                "modify",
                2,
                {"organization": 2, "individuals": 3, "societies": 3},
            ),
            "actions": [("Quarterly disparate-impact test across protected groups", "demo", 30, "in_progress")],
            "accept": False,  # the owner has not signed off yet: the register shows it waiting
        },
    ],
}


def _assess(actor, risk, scores, note):
    il, ic, option, rl, rc = scores
    return risk_assess(
        actor=actor,
        risk=risk,
        inherent_likelihood=il,
        inherent_consequence=ic if isinstance(ic, int) else None,
        inherent_consequences=ic if isinstance(ic, dict) else None,
        treatment_option=option,
        residual_likelihood=rl,
        residual_consequence=rc if isinstance(rc, int) else None,
        residual_consequences=rc if isinstance(rc, dict) else None,
        review_date=timezone.localdate() + timedelta(days=180),
        note=note,
    )


def _actions(actor, risk, actions, users):
    for title, owner, days, status in actions:
        treatment_action_create(
            actor=actor,
            risk=risk,
            title=title,
            owner=users[owner],
            due_date=timezone.localdate() + timedelta(days=days),
            status=status,
        )


def _scope_change(actor, org) -> None:
    """After the risk workshop the X-ray flags are also used to order the overnight worklist: a change of
    intended use, so its risk shows "reassessment suggested" (and its impact assessment "review needed")."""
    system = AISystem.objects.filter(organization=org, name="Chest X-ray findings prioritisation").first()
    if system is not None and "overnight" not in system.intended_use:
        system_update(
            actor=actor,
            system=system,
            intended_use=system.intended_use + " Overnight, the flags also order the on-call radiologist's worklist.",
        )


def seed_demo_risks(users: dict) -> int:
    """Assess the demo risks not assessed yet; returns how many were assessed."""
    done = 0
    assessor = users["maria"]
    org = Organization.objects.filter(slug="acme-health").first()
    if org is not None:
        for title, (systems, first, second, actions, accept) in ASSESSMENTS.items():
            # A risk from a high harm starts with an assessment derived from it; the workshop re-assesses it.
            untouched = Q(status=RiskStatus.IDENTIFIED) | Q(status=RiskStatus.ASSESSED, derived_from__gt="")
            risk = Risk.objects.filter(untouched, organization=org, title__startswith=title).first()
            if risk is None:
                continue
            risk_update(
                actor=assessor, risk=risk, systems=list(AISystem.objects.filter(organization=org, name__in=systems))
            )
            _assess(assessor, risk, first, "First assessment at the AIMS risk workshop.")
            if second:
                _assess(assessor, risk, second, "Re-assessed after the treatment actions were completed.")
            _actions(assessor, risk, actions, users)
            if accept and risk.owner_id:
                risk.refresh_from_db()
                risk_accept(actor=risk.owner, risk=risk, note="Residual risk accepted at the monthly AI risk review.")
            done += 1
            if title.startswith("Imaging model"):
                _scope_change(assessor, org)
    for slug, specs in NEW_RISKS.items():
        org = Organization.objects.filter(slug=slug).first()
        if org is None:
            continue
        for spec in specs:
            if Risk.objects.filter(organization=org, title=spec["title"]).exists():
                continue
            risk = risk_create(
                actor=assessor,
                organization=org,
                title=spec["title"],
                description=spec["description"],
                owner=users[spec["owner"]],
                systems=list(AISystem.objects.filter(organization=org, name__in=spec["systems"])),
            )
            _assess(assessor, risk, spec["assessment"], "First assessment.")
            _actions(assessor, risk, spec["actions"], users)
            if spec["accept"]:
                risk.refresh_from_db()
                risk_accept(actor=risk.owner, risk=risk, note="Accepted.")
            done += 1
    return done
