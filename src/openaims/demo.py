"""Demo data, created through the services (so it has a real audit trail). Safe to run repeatedly."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction

from openaims.accounts.services import user_create
from openaims.audittrail.context import audit_context
from openaims.catalog.models import Framework
from openaims.comments.services import comment_add
from openaims.controls.models import Control
from openaims.controls.services import (
    control_create_custom,
    control_update,
    controls_adopt_catalog,
    evidence_create,
    soa_publish,
)
from openaims.impact.demo import seed_demo_impact
from openaims.inventory.demo import seed_inventory
from openaims.risk.demo import seed_demo_risks
from openaims.risk.services import risk_create, risk_select_control
from openaims.signoff.selectors import latest_for_subject
from openaims.signoff.services import signoff_sign
from openaims.tenancy.models import Membership, Organization
from openaims.tenancy.roles import Role
from openaims.tenancy.selectors import tenant_of
from openaims.tenancy.services import membership_add, organization_create

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "demo-aims-2026"  # printed by `aims demo`; a demo server listens on 127.0.0.1 only

PEOPLE = [
    ("demo", "Dana Demo", "demo@example.org"),
    ("maria", "Maria Manager", "maria@example.org"),
    ("chen", "Chen Contributor", "chen@example.org"),
    ("audra", "Audra Auditor", "audra@example.org"),
    ("victor", "Victor Viewer", "victor@example.org"),
]

ORGANIZATIONS = [
    (
        "acme-health",
        "Acme Health AI",
        "Hospital group using AI for triage, imaging and scheduling.",
        {
            "demo": Role.OWNER,
            "maria": Role.MANAGER,
            "chen": Role.CONTRIBUTOR,
            "audra": Role.AUDITOR,
            "victor": Role.VIEWER,
        },
    ),
    (
        "northwind-lending",
        "Northwind Lending",
        "Consumer lender using machine learning for credit decisions.",
        {"maria": Role.OWNER, "demo": Role.MANAGER, "audra": Role.AUDITOR},
    ),
]


def seed_demo() -> dict:
    """Create the demo people and organizations that are missing; return what exists afterwards."""
    User = get_user_model()
    created = {"users": 0, "organizations": 0}
    with audit_context(via="demo-seed"), transaction.atomic():
        users = {}
        for username, full_name, email in PEOPLE:
            user = User.objects.filter(username=username).first()
            if user is None:
                user = user_create(
                    actor=None,
                    username=username,
                    password=DEMO_PASSWORD,
                    email=email,
                    full_name=full_name,
                    validate_password=False,
                )
                created["users"] += 1
            users[username] = user
        for slug, name, description, roles in ORGANIZATIONS:
            org = Organization.objects.filter(slug=slug).first()
            owner = next(users[u] for u, r in roles.items() if r == Role.OWNER)
            if org is None:
                org = organization_create(actor=owner, owner=owner, name=name, slug=slug, description=description)
                created["organizations"] += 1
                for username, role in roles.items():
                    if role != Role.OWNER:
                        membership_add(actor=tenant_of(owner, org), user=users[username], role=role)
                if "audra" in roles:
                    comment_add(
                        actor=tenant_of(users["audra"], org),
                        target=org,
                        body="Stage 1 audit planned for Q1: please keep the AIMS scope statement current.",
                    )
            else:
                for username, role in roles.items():
                    if not Membership.objects.filter(organization=org, user=users[username]).exists():
                        membership_add(actor=tenant_of(owner, org), user=users[username], role=role)
        _seed_controls(users)
        seed_inventory(users)
        seed_demo_impact(users)
        seed_demo_risks(users)
    return created


# (ref id, applicability, status, justification, evidence title or None)
DEMO_CONTROLS = [
    ("A.2.2", "included", "implemented", "", "AI policy v1.2, approved by the board"),
    ("A.3.2", "included", "implemented", "", "RACI for AI systems"),
    ("A.5.2", "included", "partial", "", None),
    ("A.6.2.6", "included", "implemented", "", "Monitoring runbook for triage model"),
    ("A.6.2.8", "included", "implemented", "", None),
    ("A.7.4", "included", "planned", "", None),
    ("A.10.4", "excluded", "not_applicable", "We provide no AI system to customers; all AI use is internal.", None),
]
DEMO_RISKS = [
    ("Triage model under-prioritises elderly patients", ["A.5.2", "A.6.2.6", "A.7.4"]),
    ("Imaging model drifts after scanner upgrade", ["A.6.2.6", "A.6.2.8"]),
]


def _seed_controls(users) -> None:
    """Acme Health adopts Annex A, works on some controls, publishes SoA v1 and its owner signs it (first run only)."""
    org = Organization.objects.get(slug="acme-health")
    if not Framework.objects.filter(urn="urn:openaims:framework:iso42001-2023").exists():
        return  # the catalog is loaded by `aims demo` before this runs
    if Control.objects.filter(organization=org).exists():
        return
    owner, contributor = users["demo"], users["chen"]
    manager = tenant_of(users["maria"], org)
    controls_adopt_catalog(actor=manager)
    by_ref = {c.ref_id: c for c in Control.objects.filter(organization=org)}
    for ref_id, applicability, status, justification, evidence in DEMO_CONTROLS:
        control = control_update(
            actor=manager,
            control=by_ref[ref_id],
            owner=contributor,
            applicability=applicability,
            status=status,
            justification=justification,
        )
        if evidence:
            evidence_create(actor=tenant_of(contributor, org), title=evidence, controls=[control])
    for title, refs in DEMO_RISKS:
        risk = risk_create(actor=manager, title=title, owner=owner)
        for ref_id in refs:
            risk_select_control(actor=manager, risk=risk, control=by_ref[ref_id])
    custom = control_create_custom(
        actor=manager,
        ref_id="AH-1",
        title="Clinical safety officer signs off every model release",
        owner=owner,
    )
    control_update(
        actor=manager,
        control=custom,
        applicability="included",
        status="implemented",
        justification="Required by our clinical governance framework (DCB0129-style safety case).",
    )
    version = soa_publish(
        actor=manager,
        approver=owner,
        note="First SoA, ahead of the stage 1 audit.",
        confirm_undecided=True,  # most of Annex A is still being decided in the demo
    )
    # The approval is the approver's own act: the owner signs the request the manager sent.
    request = latest_for_subject(org, "controls.soa_version", version.pk)
    assert request is not None  # publishing just asked for this sign-off
    signoff_sign(actor=tenant_of(owner, org), request=request, comment="Reviewed with the management team.")
