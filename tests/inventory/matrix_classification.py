"""Role-matrix rows for the EU AI Act classification: the wizard, its history and detail pages, and the API.

Every row loads the shipped EU AI Act catalog (from a per-process snapshot) and builds its system, and
where needed a classification, through the services; each row runs in a fresh database.
"""

from __future__ import annotations

from functools import cache
from unittest import mock

from django.urls import reverse

from openaims.catalog.loader import validate_files
from openaims.catalog.models import Framework
from openaims.inventory.classification.nodes import EU_AI_ACT
from openaims.inventory.classification.service import classification_record
from openaims.inventory.models import AISystem, Classification
from tests.conftest import EU_AI_ACT as EU_AI_ACT_PATH
from tests.conftest import load_shipped
from tests.inventory.conftest import make_system
from tests.matrix import EVERYONE, Endpoint, both, exists, page_of

EU_AI_ACT_FILE = EU_AI_ACT_PATH
WRITERS = frozenset({"owner", "manager", "contributor"})
API = "/api/v1/orgs/{org}"
CREDIT_SCORING = {"annex_iii_points": ["urn:openaims:eu-ai-act:annex-iii.5.b"]}


@cache
def _parsed():
    return validate_files([EU_AI_ACT_FILE])


def load_eu_ai_act() -> None:
    """The shipped EU AI Act catalog: this process's snapshot of the loader's rows, else the loader itself
    (the YAML parsed once per test run)."""
    if Framework.objects.filter(urn=EU_AI_ACT).exists():
        return
    with mock.patch("openaims.catalog.loader.validate_files", lambda paths: list(_parsed())):
        load_shipped(EU_AI_ACT_FILE)


def system_pk(cast) -> int:
    load_eu_ai_act()
    return make_system(cast).pk


def classified(cast) -> tuple[int, int]:
    """A credit-scoring system classified by the owner: (system pk, classification pk)."""
    system = make_system(cast)
    load_eu_ai_act()
    row = classification_record(actor=cast.users["owner"], system=system, answers=CREDIT_SCORING)
    return system.pk, row.pk


def page(name, builder=None):
    def build(cast):
        args = builder(cast) if builder else ()
        return reverse(f"inventory:{name}", args=[cast.org.slug, *(args if isinstance(args, tuple) else (args,))])

    return build


def api(template: str, builder=None):
    def build(cast):
        values = {"s": builder(cast)} if builder else {}
        return (API + template).format(org=cast.org.slug, **values)

    return build


def questions_path(cast) -> str:
    load_eu_ai_act()
    return API.format(org=cast.org.slug) + "/eu-ai-act/questions"


WEB_ENDPOINTS = [
    Endpoint("inventory:classification_wizard", "GET", page("classification_wizard", system_pk), WRITERS),
    Endpoint(
        "inventory:classification_wizard",
        "POST",
        page("classification_wizard", system_pk),
        WRITERS,
        data=lambda c: CREDIT_SCORING,
        redirect=page_of("inventory:system", AISystem, name="Credit scoring"),
        effect=both(
            exists(Classification, system__name="Credit scoring", result="high_risk"),
            exists(AISystem, name="Credit scoring", risk_class="high_risk"),
        ),
    ),
    Endpoint(
        "inventory:classification_history", "GET", page("classification_history", lambda c: classified(c)[0]), EVERYONE
    ),
    Endpoint("inventory:classification_detail", "GET", page("classification_detail", classified), EVERYONE),
]

API_ENDPOINTS = [
    Endpoint("GET /orgs/{org}/eu-ai-act/questions", "GET", questions_path, EVERYONE),
    Endpoint(
        "GET /orgs/{org}/systems/{system_id}/classification",
        "GET",
        api("/systems/{s}/classification", lambda c: classified(c)[0]),
        EVERYONE,
    ),
    Endpoint(
        "POST /orgs/{org}/systems/{system_id}/classification",
        "POST",
        api("/systems/{s}/classification", system_pk),
        WRITERS,
        data=lambda c: CREDIT_SCORING,
        ok=(201,),
    ),
    Endpoint(
        "GET /orgs/{org}/systems/{system_id}/classifications",
        "GET",
        api("/systems/{s}/classifications", lambda c: classified(c)[0]),
        EVERYONE,
    ),
]
