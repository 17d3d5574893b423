"""Role-matrix rows for system cards: the draft, downloads, publishing and published versions (web and API).

Each row's `path`/`data` builds what it needs through the services (each runs in a fresh database).
"""

from __future__ import annotations

from django.urls import reverse

from openaims.inventory.card import card_publish
from openaims.inventory.models import AISystem, SystemCardVersion
from tests.inventory.conftest import make_system
from tests.matrix import EVERYONE, Endpoint, exists

APPROVERS = frozenset({"owner", "manager"})


def system_pk(cast) -> int:
    system = AISystem.objects.filter(organization=cast.org).first()
    return (system or make_system(cast)).pk


def published(cast) -> tuple[int, int]:
    """A system with its card published once: (system pk, version number)."""
    system = AISystem.objects.get(pk=system_pk(cast))
    version = system.card_versions.first() or card_publish(actor=cast.users["owner"], system=system)
    return system.pk, version.number


def web(name, build, *extra):
    return lambda cast: reverse(f"inventory:{name}", args=[cast.org.slug, *build(cast), *extra])


WEB_ENDPOINTS = [
    Endpoint("inventory:card", "GET", web("card", lambda c: [system_pk(c)]), EVERYONE),
    # One format per download row: the view is the same for both, and PDFs are slow to make (they are tested
    # in test_card_web.py).
    Endpoint("inventory:card_download", "GET", web("card_download", lambda c: [system_pk(c)], "md"), EVERYONE),
    Endpoint(
        "inventory:card_publish",
        "POST",
        web("card_publish", lambda c: [system_pk(c)]),
        APPROVERS,
        data=lambda c: {"note": "For the deployment gate"},
        redirect=r"/o/acme/systems/\d+/card/v1/",
        effect=exists(SystemCardVersion, system__name="Credit scoring", number=1, note="For the deployment gate"),
    ),
    Endpoint("inventory:card_version", "GET", web("card_version", published), EVERYONE),
    Endpoint("inventory:card_version_download", "GET", web("card_version_download", published, "md"), EVERYONE),
]


def api(template: str, build):
    def path(cast) -> str:
        values = build(cast)
        return "/api/v1" + template.format(org=cast.org.slug, system_id=values[0], number=values[-1])

    return path


API_ENDPOINTS = [
    Endpoint(
        "GET /orgs/{org}/systems/{system_id}/card",
        "GET",
        api("/orgs/{org}/systems/{system_id}/card", lambda c: [system_pk(c)]),
        EVERYONE,
    ),
    Endpoint(
        "GET /orgs/{org}/systems/{system_id}/card/versions",
        "GET",
        api("/orgs/{org}/systems/{system_id}/card/versions", published),
        EVERYONE,
    ),
    Endpoint(
        "POST /orgs/{org}/systems/{system_id}/card/versions",
        "POST",
        api("/orgs/{org}/systems/{system_id}/card/versions", lambda c: [system_pk(c)]),
        APPROVERS,
        data=lambda c: {"note": "For the deployment gate"},
        ok=(201,),
    ),
    Endpoint(
        "GET /orgs/{org}/systems/{system_id}/card/versions/{number}",
        "GET",
        api("/orgs/{org}/systems/{system_id}/card/versions/{number}", published),
        EVERYONE,
    ),
]
