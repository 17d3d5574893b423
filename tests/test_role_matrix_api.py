"""Every API operation, as each role (with a token of that role) and as an outsider (token of another org)."""

from __future__ import annotations

import pytest

from openaims.api.main import api
from openaims.tenancy.models import Membership
from openaims.tenancy.services import api_token_create
from tests.catalog.conftest import load_tiny
from tests.conftest import PASSWORD
from tests.matrix import EVERYONE, WHO, Endpoint, check_api

OWNER = frozenset({"owner"})
AUDIT = frozenset({"owner", "manager", "auditor"})
COMMENTERS = frozenset({"owner", "manager", "contributor", "auditor"})
BASE = "/api/v1"


def viewer_membership(cast):
    return Membership.objects.get(organization=cast.org, user=cast.users["viewer"]).pk


def owners_token(cast):
    token, _ = api_token_create(actor=cast.users["owner"], organization=cast.org, name="ci", role="viewer")
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
NOT_TENANT_SCOPED = {"GET /me"}


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_it_enforces_the_role_matrix(cast, api_for, endpoint, who):
    check_api(cast, api_for, endpoint, who)


def test_it_leaves_no_operation_out_of_the_matrix():
    schema = api.get_openapi_schema(path_prefix="")
    operations = {f"{method.upper()} {path}" for path, item in schema["paths"].items() for method in item}
    covered = {e.name for e in ENDPOINTS} | NOT_TENANT_SCOPED
    assert operations - covered == set(), "add these operations to ENDPOINTS"
