"""Role-matrix rows for the AI system register's pages: list, export, register, similar, page, edit, delete.

Every row's `path`/`data` builds what it needs through the services (each runs in a fresh database).
"""

from __future__ import annotations

from django.urls import reverse

from openaims.inventory.models import AISystem
from tests.inventory.conftest import make_system
from tests.matrix import EVERYONE, Endpoint, both, exists, gone, page_of

WRITERS = frozenset({"owner", "manager", "contributor"})


def page(name, *builders):
    return lambda cast: reverse(f"inventory:{name}", args=[cast.org.slug, *[b(cast) for b in builders]])


def system_pk(cast) -> int:
    return make_system(cast).pk


def new_system(cast) -> dict:
    return {
        "name": "Support chatbot",
        "purpose": "Answers customer questions about orders",
        "role": "deployer",
        "technique": "llm",
        "criticality": "low",
    }


def edited_system(cast) -> dict:
    return {
        **new_system(cast),
        "name": "Credit scoring v2",
        "purpose": "Scores consumer credit applications",
        "revision": 1,  # the edit form's hidden revision: the scenario's system is fresh
    }


WEB_ENDPOINTS = [
    Endpoint("inventory:systems", "GET", lambda c: system_pk(c) and page("systems")(c), EVERYONE),
    *[
        Endpoint(
            "inventory:systems_export",
            "GET",
            lambda c, fmt=fmt: system_pk(c) and reverse("inventory:systems_export", args=[c.org.slug, fmt]),
            EVERYONE,
        )
        for fmt in ("csv", "xlsx")
    ],
    Endpoint("inventory:system_create", "GET", page("system_create"), WRITERS),
    Endpoint(
        "inventory:system_create",
        "POST",
        page("system_create"),
        WRITERS,
        data=new_system,
        redirect=page_of("inventory:system", AISystem, name="Support chatbot"),
        effect=exists(AISystem, organization__slug="acme", name="Support chatbot", role="deployer", technique="llm"),
    ),
    Endpoint(
        "inventory:system_similar",
        "GET",
        lambda c: system_pk(c) and page("system_similar")(c),
        EVERYONE,
        data=lambda c: {"name": "Credit-scoring model", "purpose": ""},
    ),
    Endpoint("inventory:system", "GET", page("system", system_pk), EVERYONE),
    # The system page's other tabs (overview is inventory:system), each its own URL.
    *[
        Endpoint(f"inventory:system_{tab}", "GET", page(f"system_{tab}", system_pk), EVERYONE)
        for tab in ("parts", "controls", "risks", "assessments", "history")
    ],
    Endpoint("inventory:system_edit", "GET", page("system_edit", system_pk), WRITERS),
    Endpoint(
        "inventory:system_edit",
        "POST",
        page("system_edit", system_pk),
        WRITERS,
        data=edited_system,
        redirect=page_of("inventory:system", AISystem, name="Credit scoring v2"),
        effect=both(exists(AISystem, name="Credit scoring v2"), gone(AISystem, name="Credit scoring")),
    ),
    Endpoint(
        "inventory:system_delete",
        "POST",
        page("system_delete", system_pk),
        WRITERS,
        redirect="/o/acme/systems/",
        effect=gone(AISystem, organization__slug="acme"),
    ),
    Endpoint(
        "audittrail:history",
        "GET",
        lambda c: reverse("audittrail:history", args=[c.org.slug, "inventory.aisystem", system_pk(c)]),
        EVERYONE,
    ),
]
