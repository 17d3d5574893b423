"""Every tenant page, as each role and as an outsider: allowed roles succeed, others 403, outsiders 404."""

from __future__ import annotations

import pytest
from django.urls import get_resolver, reverse

from openaims.accounts.services import user_create
from openaims.tenancy.models import Membership
from openaims.tenancy.services import api_token_create, invitation_create
from tests.catalog.conftest import load_tiny
from tests.conftest import PASSWORD
from tests.matrix import EVERYONE, WHO, Endpoint, check_web

OWNER = frozenset({"owner"})
AUDIT = frozenset({"owner", "manager", "auditor"})
COMMENTERS = frozenset({"owner", "manager", "contributor", "auditor"})


def url(name, *args):
    return lambda cast: reverse(name, args=[cast.org.slug, *[a(cast) if callable(a) else a for a in args]])


def viewer_membership(cast):
    return Membership.objects.get(organization=cast.org, user=cast.users["viewer"]).pk


def open_invitation(cast):
    invitation, _ = invitation_create(
        actor=cast.users["owner"], organization=cast.org, email="x@example.org", role="viewer"
    )
    return invitation.pk


def owners_token(cast):
    token, _ = api_token_create(actor=cast.users["owner"], organization=cast.org, name="ci", role="viewer")
    return token.pk


def new_account(cast):
    user_create(actor=None, username="newbie", password=PASSWORD)
    return {"user": "newbie", "role": "viewer"}


ENDPOINTS = [
    Endpoint("web:dashboard", "GET", url("web:dashboard"), EVERYONE),
    Endpoint("tenancy:settings", "GET", url("tenancy:settings"), EVERYONE),
    Endpoint("tenancy:settings", "POST", url("tenancy:settings"), OWNER, data=lambda c: {"name": "Acme 2"}),
    Endpoint("tenancy:members", "GET", url("tenancy:members"), EVERYONE),
    Endpoint("tenancy:member_add", "POST", url("tenancy:member_add"), OWNER, data=new_account),
    Endpoint(
        "tenancy:invite",
        "POST",
        url("tenancy:invite"),
        OWNER,
        data=lambda c: {"email": "new@example.org", "role": "auditor"},
    ),
    Endpoint("tenancy:invitation_revoke", "POST", url("tenancy:invitation_revoke", open_invitation), OWNER),
    Endpoint("tenancy:member", "GET", url("tenancy:member", viewer_membership), EVERYONE),
    Endpoint(
        "tenancy:member",
        "POST",
        url("tenancy:member", viewer_membership),
        OWNER,
        data=lambda c: {"role": "contributor"},
    ),
    Endpoint("tenancy:member_remove", "POST", url("tenancy:member_remove", viewer_membership), OWNER),
    Endpoint("tenancy:tokens", "GET", url("tenancy:tokens"), EVERYONE),
    Endpoint("tenancy:tokens", "POST", url("tenancy:tokens"), EVERYONE, data=lambda c: {"name": "x", "role": "viewer"}),
    # Tokens are personal: only the owner of the organization may revoke someone else's (others get 404).
    Endpoint("tenancy:token_revoke", "POST", url("tenancy:token_revoke", owners_token), OWNER, denied=404),
    Endpoint("audittrail:log", "GET", url("audittrail:log"), AUDIT),
    Endpoint("audittrail:export", "GET", url("audittrail:export"), AUDIT),
    Endpoint("audittrail:verify", "GET", url("audittrail:verify"), AUDIT),
    Endpoint(
        "audittrail:history", "GET", url("audittrail:history", "tenancy.organization", lambda c: c.org.pk), EVERYONE
    ),
    Endpoint("catalog:frameworks", "GET", url("catalog:frameworks"), EVERYONE),
    Endpoint(
        "catalog:framework", "GET", lambda c: reverse("catalog:framework", args=[c.org.slug, load_tiny()]), EVERYONE
    ),
    Endpoint(
        "catalog:node",
        "GET",
        lambda c: load_tiny() and reverse("catalog:node", args=[c.org.slug, "urn:openaims:tiny-1:a.1"]),
        EVERYONE,
    ),
    Endpoint(
        "comments:add",
        "POST",
        url("comments:add", "tenancy.organization", lambda c: c.org.pk),
        COMMENTERS,
        data=lambda c: {"body": "Looks fine."},
    ),
]

# Pages outside an organization, each tested in its own module.
NOT_TENANT_SCOPED = {
    "web:home",
    "tenancy:organization_new",
    "tenancy:accept",
    "accounts:login",
    "accounts:logout",
    "accounts:password",
}


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_it_enforces_the_role_matrix(cast, client_for, endpoint, who):
    check_web(cast, client_for, endpoint, who)


def test_it_leaves_no_page_out_of_the_matrix():
    names = set()
    for namespace, (_prefix, resolver) in get_resolver().namespace_dict.items():
        if namespace == "api":
            continue
        for key in resolver.reverse_dict:
            if isinstance(key, str):
                names.add(f"{namespace}:{key}")
    covered = {e.name for e in ENDPOINTS} | NOT_TENANT_SCOPED
    assert names - covered == set(), "add these pages to ENDPOINTS"


def test_it_hides_an_organization_from_anonymous_visitors(client, cast):
    response = client.get(reverse("web:dashboard", args=["acme"]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_it_answers_404_for_an_unknown_organization(cast, client_for):
    assert client_for(cast.users["owner"]).get("/o/no-such-org/").status_code == 404


def test_it_returns_404_for_a_member_of_another_organization(cast, client_for):
    other_membership = Membership.objects.get(organization=cast.other_org)
    response = client_for(cast.users["owner"]).get(reverse("tenancy:member", args=["acme", other_membership.pk]))
    assert response.status_code == 404


def test_it_sends_an_htmx_request_with_an_expired_session_to_the_login_page(client, cast):
    response = client.get(reverse("tenancy:members", args=["acme"]), headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response["HX-Redirect"].startswith("/accounts/login/?next=/o/acme/members/")
