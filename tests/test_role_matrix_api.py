"""Every API operation, as each role (with a token of that role) and as an outsider (token of another org)."""

from __future__ import annotations

import pytest

from openaims.api.main import api
from openaims.catalog.models import CatalogNode
from openaims.controls.models import Control
from openaims.controls.services import (
    control_link_requirement,
    control_update,
    controls_adopt_catalog,
    evidence_create,
)
from openaims.tenancy.models import Membership
from openaims.tenancy.services import api_token_create
from tests.catalog.conftest import load_tiny
from tests.conftest import PASSWORD
from tests.controls.helpers import publish_signed, second_approver
from tests.matrix import EVERYONE, Endpoint, check_api, collect

OWNER = frozenset({"owner"})
AUDIT = frozenset({"owner", "manager", "auditor"})
COMMENTERS = frozenset({"owner", "manager", "contributor", "auditor"})
BASE = "/api/v1"


def viewer_membership(cast):
    return Membership.objects.get(organization=cast.org, user=cast.users["viewer"]).pk


def owners_token(cast):
    token, _ = api_token_create(actor=cast.tenant("owner"), name="ci", role="viewer")
    return token.pk


def new_account(cast):
    from openaims.accounts.services import user_create

    user_create(actor=None, username="newbie", password=PASSWORD)
    return {"user": "newbie", "role": "viewer"}


def p(template: str, **params):
    def build(cast):
        values = {"org": cast.org.slug, **{k: v(cast) if callable(v) else v for k, v in params.items()}}
        values.pop("_", None)
        return BASE + template.format(**values)

    return build


ENDPOINTS = [
    Endpoint("GET /orgs/{org}", "GET", p("/orgs/{org}"), EVERYONE),
    Endpoint("PATCH /orgs/{org}", "PATCH", p("/orgs/{org}"), OWNER, data=lambda c: {"name": "Acme 2"}),
    Endpoint("GET /orgs/{org}/members", "GET", p("/orgs/{org}/members"), EVERYONE),
    Endpoint("POST /orgs/{org}/members", "POST", p("/orgs/{org}/members"), OWNER, data=new_account, ok=(201,)),
    Endpoint("GET /orgs/{org}/members/{member_id}", "GET", p("/orgs/{org}/members/{m}", m=viewer_membership), EVERYONE),
    Endpoint(
        "PATCH /orgs/{org}/members/{member_id}",
        "PATCH",
        p("/orgs/{org}/members/{m}", m=viewer_membership),
        OWNER,
        data=lambda c: {"role": "contributor"},
    ),
    Endpoint(
        "DELETE /orgs/{org}/members/{member_id}",
        "DELETE",
        p("/orgs/{org}/members/{m}", m=viewer_membership),
        OWNER,
        ok=(204,),
    ),
    Endpoint(
        "POST /orgs/{org}/invitations",
        "POST",
        p("/orgs/{org}/invitations"),
        OWNER,
        data=lambda c: {"email": "new@example.org", "role": "viewer"},
        ok=(201,),
    ),
    Endpoint("GET /orgs/{org}/tokens", "GET", p("/orgs/{org}/tokens"), EVERYONE),
    Endpoint(
        "POST /orgs/{org}/tokens",
        "POST",
        p("/orgs/{org}/tokens"),
        EVERYONE,
        data=lambda c: {"name": "ci", "role": "viewer"},
        ok=(201,),
    ),
    Endpoint(
        "DELETE /orgs/{org}/tokens/{token_id}",
        "DELETE",
        p("/orgs/{org}/tokens/{t}", t=owners_token),
        OWNER,
        ok=(204,),
        denied=404,
    ),
    Endpoint("GET /orgs/{org}/audit/events", "GET", p("/orgs/{org}/audit/events"), AUDIT),
    Endpoint("GET /orgs/{org}/audit/events.jsonl", "GET", p("/orgs/{org}/audit/events.jsonl"), AUDIT),
    Endpoint("GET /orgs/{org}/audit/verify", "GET", p("/orgs/{org}/audit/verify"), AUDIT),
    Endpoint(
        "GET /orgs/{org}/history/{object_type}/{object_id}",
        "GET",
        p("/orgs/{org}/history/tenancy.organization/{o}", o=lambda c: c.org.pk),
        EVERYONE,
    ),
    Endpoint(
        "POST /orgs/{org}/comments/{object_type}/{object_id}",
        "POST",
        p("/orgs/{org}/comments/tenancy.organization/{o}", o=lambda c: c.org.pk),
        COMMENTERS,
        data=lambda c: {"body": "Noted."},
        ok=(201,),
    ),
]
ENDPOINTS += [
    Endpoint(
        "GET /orgs/{org}/catalog/frameworks",
        "GET",
        p("/orgs/{org}/catalog/frameworks", _=lambda c: load_tiny()),
        EVERYONE,
    ),
    Endpoint(
        "GET /orgs/{org}/catalog/frameworks/{framework}/nodes",
        "GET",
        p("/orgs/{org}/catalog/frameworks/{f}/nodes", f=lambda c: load_tiny()),
        EVERYONE,
    ),
    Endpoint(
        "GET /orgs/{org}/catalog/nodes/{urn}",
        "GET",
        p("/orgs/{org}/catalog/nodes/{n}", n=lambda c: load_tiny() and "urn:openaims:tiny-1:a.1"),
        EVERYONE,
    ),
]

# Controls, evidence, risks, the SoA and its exports: data built through the services on the tiny catalog.
WRITERS = frozenset({"owner", "manager", "contributor"})
APPROVERS = frozenset({"owner", "manager"})
TINY_URN = "urn:openaims:framework:tiny-1"
REQUIREMENT = "urn:openaims:other-1:x"


def adopted(cast) -> Control:
    """Control A.1 of the tiny catalog, adopted by acme (idempotent within a test)."""
    load_tiny()
    controls_adopt_catalog(actor=cast.tenant("owner"), framework_urn=TINY_URN)
    return Control.objects.get(organization=cast.org, ref_id="A.1")


def control_pk(cast) -> int:
    return adopted(cast).pk


def included(cast) -> int:
    control = control_update(actor=cast.tenant("owner"), control=adopted(cast), applicability="included")
    return control.pk


def linked_control(cast) -> int:
    control = adopted(cast)
    requirement = CatalogNode.objects.get(urn=REQUIREMENT)
    control_link_requirement(actor=cast.tenant("owner"), control=control, requirement=requirement)
    return control.pk


def evidence_pk(cast) -> int:
    return evidence_create(actor=cast.tenant("owner"), title="Test report").pk


def linked_evidence(cast) -> str:
    evidence = evidence_create(actor=cast.tenant("owner"), title="Audit log", controls=[adopted(cast)])
    return f"{adopted(cast).pk}/evidence/{evidence.pk}"


def published(cast) -> int:
    adopted(cast)
    return publish_signed(actor=cast.tenant("owner"), approver=cast.users["manager"]).number


def two_versions(cast) -> str:
    first = published(cast)
    control_update(actor=cast.tenant("owner"), control=adopted(cast), justification="Core duty")
    second = publish_signed(actor=cast.tenant("owner"), approver=cast.users["manager"]).number
    return f"from={first}&to={second}"


ENDPOINTS += [
    Endpoint("GET /orgs/{org}/controls", "GET", p("/orgs/{org}/controls", _=adopted), EVERYONE),
    Endpoint(
        "POST /orgs/{org}/controls",
        "POST",
        p("/orgs/{org}/controls"),
        WRITERS,
        data=lambda c: {"ref_id": "ORG-1", "title": "Model cards", "owner": "carl"},
        ok=(201,),
    ),
    Endpoint(
        "POST /orgs/{org}/controls/adopt",
        "POST",
        p("/orgs/{org}/controls/adopt"),
        APPROVERS,
        data=lambda c: load_tiny() and {"framework_urn": TINY_URN},
        ok=(200,),  # adopting may create nothing new (idempotent): it answers with the count created
    ),
    Endpoint("GET /orgs/{org}/controls/{control_id}", "GET", p("/orgs/{org}/controls/{c}", c=control_pk), EVERYONE),
    Endpoint(
        "PATCH /orgs/{org}/controls/{control_id}",
        "PATCH",
        p("/orgs/{org}/controls/{c}", c=control_pk),
        WRITERS,
        data=lambda c: {"status": "planned", "applicability": "included", "owner": "mona"},
    ),
    Endpoint(
        "POST /orgs/{org}/controls/{control_id}/requirements/{urn}",
        "POST",
        p("/orgs/{org}/controls/{c}/requirements/{u}", c=control_pk, u=REQUIREMENT),
        WRITERS,
        ok=(201,),
    ),
    Endpoint(
        "DELETE /orgs/{org}/controls/{control_id}/requirements/{urn}",
        "DELETE",
        p("/orgs/{org}/controls/{c}/requirements/{u}", c=linked_control, u=REQUIREMENT),
        WRITERS,
        ok=(204,),
    ),
    Endpoint(
        "POST /orgs/{org}/controls/{control_id}/evidence/{evidence_id}",
        "POST",
        p("/orgs/{org}/controls/{c}/evidence/{e}", c=control_pk, e=evidence_pk),
        WRITERS,
        ok=(201,),
    ),
    Endpoint(
        "DELETE /orgs/{org}/controls/{control_id}/evidence/{evidence_id}",
        "DELETE",
        p("/orgs/{org}/controls/{link}", link=linked_evidence),
        WRITERS,
        ok=(204,),
    ),
    Endpoint("GET /orgs/{org}/evidence", "GET", p("/orgs/{org}/evidence", _=evidence_pk), EVERYONE),
    Endpoint(
        "POST /orgs/{org}/evidence",
        "POST",
        p("/orgs/{org}/evidence"),
        WRITERS,
        data=lambda c: {"title": "Fairness test", "controls": [control_pk(c)]},
        ok=(201,),
    ),
    Endpoint("GET /orgs/{org}/soa", "GET", p("/orgs/{org}/soa", _=adopted), EVERYONE),
    Endpoint(
        "POST /orgs/{org}/soa/versions",
        "POST",
        p("/orgs/{org}/soa/versions", _=adopted),
        APPROVERS,
        data=lambda c: {"approver": second_approver(c).username, "note": "Stage 1", "confirm_undecided": True},
        ok=(201,),
    ),
    Endpoint("GET /orgs/{org}/soa/versions", "GET", p("/orgs/{org}/soa/versions", _=published), EVERYONE),
    Endpoint("GET /orgs/{org}/soa/versions/{number}", "GET", p("/orgs/{org}/soa/versions/{n}", n=published), EVERYONE),
    Endpoint("GET /orgs/{org}/soa/diff", "GET", p("/orgs/{org}/soa/diff?{q}", q=two_versions), EVERYONE),
    Endpoint("GET /orgs/{org}/coverage", "GET", p("/orgs/{org}/coverage", _=adopted), EVERYONE),
    Endpoint("GET /orgs/{org}/soa/export.pdf", "GET", p("/orgs/{org}/soa/export.pdf", _=adopted), EVERYONE),
    Endpoint(
        "GET /orgs/{org}/soa/versions/{number}/export.pdf",
        "GET",
        p("/orgs/{org}/soa/versions/{n}/export.pdf", n=published),
        EVERYONE,
    ),
    Endpoint(
        "GET /orgs/{org}/soa/export/oscal-ssp.json",
        "GET",
        p("/orgs/{org}/soa/export/oscal-ssp.json", _=included),
        EVERYONE,
    ),
    Endpoint(
        "GET /orgs/{org}/soa/export/oscal-component.json",
        "GET",
        p("/orgs/{org}/soa/export/oscal-component.json", _=included),
        EVERYONE,
    ),
    Endpoint(
        "GET /orgs/{org}/catalog/frameworks/{framework}/oscal-catalog.json",
        "GET",
        p("/orgs/{org}/catalog/frameworks/{f}/oscal-catalog.json", f=lambda c: load_tiny()),
        EVERYONE,
    ),
]
NOT_TENANT_SCOPED = {"GET /me"}


ENDPOINTS += collect("API_ENDPOINTS")


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_it_enforces_the_role_matrix(cast, api_for, endpoint, subtests):
    # Each of WHO in turn (a subtest each), in a savepoint rolled back after it (tests/matrix.py).
    check_api(cast, api_for, endpoint, subtests)


def test_it_leaves_no_operation_out_of_the_matrix():
    schema = api.get_openapi_schema(path_prefix="")
    operations = {f"{method.upper()} {path}" for path, item in schema["paths"].items() for method in item}
    covered = {e.name for e in ENDPOINTS} | NOT_TENANT_SCOPED
    assert operations - covered == set(), "add these operations to ENDPOINTS"
