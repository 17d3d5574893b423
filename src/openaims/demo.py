"""Demo data, created through the services (so it has a real audit trail). Safe to run repeatedly."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction

from openaims.accounts.services import user_create
from openaims.audittrail.context import audit_context
from openaims.comments.services import comment_add
from openaims.tenancy.models import Membership, Organization
from openaims.tenancy.roles import Role
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
                        membership_add(actor=owner, organization=org, user=users[username], role=role)
                if "audra" in roles:
                    comment_add(
                        actor=users["audra"],
                        organization=org,
                        target=org,
                        body="Stage 1 audit planned for Q1: please keep the AIMS scope statement current.",
                    )
            else:
                for username, role in roles.items():
                    if not Membership.objects.filter(organization=org, user=users[username]).exists():
                        membership_add(actor=owner, organization=org, user=users[username], role=role)
    return created
