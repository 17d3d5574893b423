"""Role-matrix rows of the sign-off pages and API (collected by tests/test_role_matrix_*.py).

The request is alice's (owner) for mona (manager): only mona signs or returns it (alice and other
approvers get 403 from the rule, the rest from their permission set); only alice withdraws it.
"""

from __future__ import annotations

from django.urls import reverse

from openaims.controls.models import SoAStatus, SoAVersion
from openaims.signoff.models import SignOffRequest, SignOffStatus
from tests.matrix import EVERYONE, Endpoint, both, exists
from tests.signoff.conftest import pending_signoff

APPROVER = frozenset({"manager"})
REQUESTER = frozenset({"owner"})
BASE = "/api/v1"


def web(name, with_pk=True):
    def build(cast):
        args = [cast.org.slug] + ([pending_signoff(cast).pk] if with_pk else [])
        return reverse(f"signoff:{name}", args=args)

    return build


def api(suffix=""):
    return lambda c: f"{BASE}/orgs/{c.org.slug}/signoffs/{pending_signoff(c).pk}{suffix}"


def decided(signoff: str, version: str):
    """The request took the decision, and so did the SoA version it asks about (the owning app's callback)."""
    return both(
        exists(SignOffRequest, organization__slug="acme", status=signoff),
        exists(SoAVersion, organization__slug="acme", number=1, status=version),
    )


# A decision returns to the subject's page: the SoA version under sign-off.
VERSION_PAGE = r"/o/acme/soa/versions/1/"


WEB_ENDPOINTS = [
    Endpoint("signoff:inbox", "GET", web("inbox", with_pk=False), EVERYONE),
    Endpoint("signoff:detail", "GET", web("detail"), EVERYONE),
    Endpoint(
        "signoff:sign",
        "POST",
        web("sign"),
        APPROVER,
        data=lambda c: {"comment": "Reviewed"},
        redirect=VERSION_PAGE,
        effect=decided(SignOffStatus.SIGNED, SoAStatus.SIGNED),
    ),
    Endpoint(
        "signoff:return",
        "POST",
        web("return"),
        APPROVER,
        data=lambda c: {"comment": "Decide A.2"},
        redirect=VERSION_PAGE,
        effect=decided(SignOffStatus.RETURNED, SoAStatus.RETURNED),
    ),
    Endpoint(
        "signoff:withdraw",
        "POST",
        web("withdraw"),
        REQUESTER,
        redirect=VERSION_PAGE,
        effect=decided(SignOffStatus.WITHDRAWN, SoAStatus.WITHDRAWN),
    ),
]

API_ENDPOINTS = [
    Endpoint(
        "GET /orgs/{org}/signoffs",
        "GET",
        lambda c: (pending_signoff(c), f"{BASE}/orgs/{c.org.slug}/signoffs?scope=all")[1],
        EVERYONE,
        ok=(200,),
    ),
    Endpoint("GET /orgs/{org}/signoffs/{signoff_id}", "GET", api(), EVERYONE, ok=(200,)),
    Endpoint(
        "POST /orgs/{org}/signoffs/{signoff_id}/sign",
        "POST",
        api("/sign"),
        APPROVER,
        data=lambda c: {},
        ok=(200,),
        effect=decided(SignOffStatus.SIGNED, SoAStatus.SIGNED),
    ),
    Endpoint(
        "POST /orgs/{org}/signoffs/{signoff_id}/return",
        "POST",
        api("/return"),
        APPROVER,
        data=lambda c: {"comment": "Decide A.2 first"},
        ok=(200,),
        effect=decided(SignOffStatus.RETURNED, SoAStatus.RETURNED),
    ),
    Endpoint(
        "POST /orgs/{org}/signoffs/{signoff_id}/withdraw",
        "POST",
        api("/withdraw"),
        REQUESTER,
        data=lambda c: {},
        ok=(200,),
        effect=decided(SignOffStatus.WITHDRAWN, SoAStatus.WITHDRAWN),
    ),
]
