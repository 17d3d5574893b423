"""Role-matrix rows for the life cycle: transitions, their history, gate evaluation and the gate policy.

A transition row moves a new system to retirement, whose default gate asks for nothing, so allowed
roles succeed; every row builds its system through the services (each runs in a fresh database).
"""

from __future__ import annotations

from django.urls import reverse

from openaims.inventory.models import AISystem, GatePolicy, StageTransition
from tests.inventory.conftest import make_system
from tests.matrix import EVERYONE, Endpoint, both, exists, page_of

WRITERS = frozenset({"owner", "manager", "contributor"})
APPROVERS = frozenset({"owner", "manager"})
API = "/api/v1/orgs/{org}"


def system_pk(cast) -> int:
    return make_system(cast).pk


def page(name, *builders):
    return lambda cast: reverse(f"inventory:{name}", args=[cast.org.slug, *[b(cast) for b in builders]])


def api(template: str, **builders):
    def build(cast):
        return (API + template).format(org=cast.org.slug, **{key: make(cast) for key, make in builders.items()})

    return build


WEB_ENDPOINTS = [
    Endpoint(
        "inventory:lifecycle_transition",
        "POST",
        page("lifecycle_transition", system_pk),
        WRITERS,
        data=lambda c: {"to_stage": "retirement"},
        redirect=page_of("inventory:system", AISystem, name="Credit scoring"),
        effect=both(
            exists(AISystem, name="Credit scoring", stage="retirement"),
            exists(StageTransition, system__name="Credit scoring", from_stage="inception", to_stage="retirement"),
        ),
    ),
    Endpoint("inventory:lifecycle_history", "GET", page("lifecycle_history", system_pk), EVERYONE),
    Endpoint("inventory:lifecycle_policy", "GET", page("lifecycle_policy"), EVERYONE),
    Endpoint(
        "inventory:lifecycle_policy",
        "POST",
        page("lifecycle_policy"),
        APPROVERS,
        data=lambda c: {
            "gate-design_development": ["owners_assigned"],
            "gate-deployment": ["oversight_defined"],
            "revision": 0,  # no saved policy yet: the page was opened on the defaults
        },
        redirect="/o/acme/settings/lifecycle-gates/",
        effect=exists(
            GatePolicy,
            organization__slug="acme",
            items__design_development=["owners_assigned"],
            items__deployment=["oversight_defined"],
        ),
    ),
]

API_ENDPOINTS = [
    Endpoint("GET /orgs/{org}/systems/{system_id}/gates", "GET", api("/systems/{s}/gates", s=system_pk), EVERYONE),
    Endpoint(
        "POST /orgs/{org}/systems/{system_id}/transition",
        "POST",
        api("/systems/{s}/transition", s=system_pk),
        WRITERS,
        data=lambda c: {"to_stage": "retirement"},
        ok=(201,),
    ),
    Endpoint(
        "GET /orgs/{org}/systems/{system_id}/transitions",
        "GET",
        api("/systems/{s}/transitions", s=system_pk),
        EVERYONE,
    ),
    Endpoint("GET /orgs/{org}/lifecycle/policy", "GET", api("/lifecycle/policy"), EVERYONE),
    Endpoint(
        "PUT /orgs/{org}/lifecycle/policy",
        "PUT",
        api("/lifecycle/policy"),
        APPROVERS,
        data=lambda c: {"items": {"design_development": ["owners_assigned"]}},
    ),
]
