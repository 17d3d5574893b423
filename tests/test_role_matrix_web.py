"""Every tenant page, as each role and as an outsider: allowed roles succeed, others 403, outsiders 404."""

from __future__ import annotations

import re

import pytest
from django.urls import get_resolver, reverse

from openaims.accounts.services import user_create
from openaims.catalog.models import CatalogNode
from openaims.comments.models import Comment
from openaims.controls.models import Control, ControlEvidence, ControlRequirement, Evidence, SoAVersion
from openaims.controls.services import (
    control_link_requirement,
    control_update,
    controls_adopt_catalog,
    evidence_create,
)
from openaims.tenancy.models import ApiToken, Invitation, Membership, Organization
from openaims.tenancy.selectors import tenant_of
from openaims.tenancy.services import api_token_create, invitation_create
from tests.catalog.conftest import load_tiny
from tests.conftest import PASSWORD
from tests.controls.helpers import publish_signed, second_approver
from tests.matrix import EVERYONE, Endpoint, audited, both, check_web, collect, exists, gone
from tests.revisions import revision_of

OWNER = frozenset({"owner"})
AUDIT = frozenset({"owner", "manager", "auditor"})
COMMENTERS = frozenset({"owner", "manager", "contributor", "auditor"})
WRITERS = frozenset({"owner", "manager", "contributor"})
APPROVERS = frozenset({"owner", "manager"})
TINY = "urn:openaims:framework:tiny-1"


def url(name, *args):
    return lambda cast: reverse(name, args=[cast.org.slug, *[a(cast) if callable(a) else a for a in args]])


def viewer_membership(cast):
    return Membership.objects.get(organization=cast.org, user=cast.users["viewer"]).pk


def open_invitation(cast):
    invitation, _ = invitation_create(actor=cast.tenant("owner"), email="x@example.org", role="viewer")
    return invitation.pk


def owners_token(cast):
    token, _ = api_token_create(actor=cast.tenant("owner"), name="ci", role="viewer")
    return token.pk


def new_account(cast):
    user_create(actor=None, username="newbie", password=PASSWORD)
    return {"user": "newbie", "role": "viewer"}


def adopted_control(cast) -> int:
    """A.1 of the tiny catalog, adopted by the owner (idempotent, so path and data may both call it)."""
    load_tiny()
    controls_adopt_catalog(actor=cast.tenant("owner"), framework_urn=TINY)
    return Control.objects.get(organization=cast.org, ref_id="A.1").pk


def linked_requirement(cast) -> tuple[int, int]:
    control = Control.objects.get(pk=adopted_control(cast))
    node = CatalogNode.objects.get(urn="urn:openaims:other-1:x")
    control_link_requirement(actor=cast.tenant("owner"), control=control, requirement=node)
    return control.pk, node.pk


def linked_evidence(cast) -> tuple[int, int]:
    control = Control.objects.get(pk=adopted_control(cast))
    evidence = evidence_create(actor=cast.tenant("owner"), title="Report", controls=[control])
    return control.pk, evidence.pk


def published_versions(cast) -> int:
    """Two published versions (A.1 included in between); returns the latest number."""
    owner = cast.users["owner"]
    control = Control.objects.get(pk=adopted_control(cast))
    publish_signed(actor=tenant_of(owner, cast.org), approver=cast.users["manager"])
    control_update(actor=tenant_of(owner), control=control, applicability="included", justification="Core duty")
    return publish_signed(actor=tenant_of(owner, cast.org), approver=cast.users["manager"]).number


def control_page(anchor: str = "", **lookups) -> str:
    """The control's page (a regular expression for the Location), found by its fields."""
    control = Control.objects.get(organization__slug="acme", **lookups)
    return re.escape(reverse("controls:control", args=["acme", control.pk]) + anchor)


def publish_data(cast) -> dict:
    adopted_control(cast)
    return {"approver": second_approver(cast).pk, "note": "Stage 1 audit", "confirm_undecided": "on"}


ENDPOINTS = [
    Endpoint("web:dashboard", "GET", url("web:dashboard"), EVERYONE),
    Endpoint("tenancy:settings", "GET", url("tenancy:settings"), EVERYONE),
    Endpoint(
        "tenancy:settings",
        "POST",
        url("tenancy:settings"),
        OWNER,
        data=lambda c: {"name": "Acme 2", "revision": revision_of(c.org)},
        redirect="/o/acme/settings/",
        effect=exists(Organization, slug="acme", name="Acme 2"),
    ),
    Endpoint("tenancy:members", "GET", url("tenancy:members"), EVERYONE),
    Endpoint(
        "tenancy:member_add",
        "POST",
        url("tenancy:member_add"),
        OWNER,
        data=new_account,
        redirect="/o/acme/members/",
        effect=exists(Membership, organization__slug="acme", user__username="newbie", role="viewer"),
    ),
    Endpoint(
        "tenancy:invite",
        "POST",
        url("tenancy:invite"),
        OWNER,
        data=lambda c: {"email": "new@example.org", "role": "auditor"},
        ok=(200,),  # the page shows the invitation link once
        effect=exists(Invitation, organization__slug="acme", email="new@example.org", role="auditor"),
    ),
    Endpoint(
        "tenancy:invitation_revoke",
        "POST",
        url("tenancy:invitation_revoke", open_invitation),
        OWNER,
        redirect="/o/acme/members/",
        effect=exists(Invitation, email="x@example.org", revoked_at__isnull=False),
    ),
    Endpoint("tenancy:member", "GET", url("tenancy:member", viewer_membership), EVERYONE),
    Endpoint(
        "tenancy:member",
        "POST",
        url("tenancy:member", viewer_membership),
        OWNER,
        data=lambda c: {"role": "contributor", "revision": 1},  # the edit form's hidden revision
        redirect=lambda c: f"/o/acme/members/{viewer_membership(c)}/",
        effect=exists(Membership, organization__slug="acme", user__username="vera", role="contributor"),
    ),
    Endpoint(
        "tenancy:member_remove",
        "POST",
        url("tenancy:member_remove", viewer_membership),
        OWNER,
        redirect="/o/acme/members/",
        effect=gone(Membership, organization__slug="acme", user__username="vera"),
    ),
    Endpoint("tenancy:tokens", "GET", url("tenancy:tokens"), EVERYONE),
    Endpoint(
        "tenancy:tokens",
        "POST",
        url("tenancy:tokens"),
        EVERYONE,
        data=lambda c: {"name": "x", "role": "viewer"},
        ok=(200,),  # the page shows the new secret once
        effect=exists(ApiToken, organization__slug="acme", name="x", role="viewer"),
    ),
    # Tokens are personal: only the owner of the organization may revoke someone else's (others get 404).
    Endpoint(
        "tenancy:token_revoke",
        "POST",
        url("tenancy:token_revoke", owners_token),
        OWNER,
        denied=404,
        redirect="/o/acme/tokens/",
        effect=exists(ApiToken, name="ci", revoked_at__isnull=False),
    ),
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
        "controls:list", "GET", lambda c: adopted_control(c) and reverse("controls:list", args=[c.org.slug]), EVERYONE
    ),
    Endpoint(
        "controls:adopt",
        "POST",
        lambda c: load_tiny() and reverse("controls:adopt", args=[c.org.slug]),
        APPROVERS,
        data=lambda c: {"framework": TINY},
        redirect="/o/acme/controls/",
        effect=exists(Control, organization__slug="acme", ref_id="A.1"),
    ),
    Endpoint(
        "controls:create",
        "POST",
        url("controls:create"),
        WRITERS,
        data=lambda c: {"ref_id": "ORG-1", "title": "Model cards", "owner": ""},
        redirect=lambda c: control_page(ref_id="ORG-1"),
        effect=exists(Control, organization__slug="acme", ref_id="ORG-1", title="Model cards"),
    ),
    Endpoint("controls:control", "GET", url("controls:control", adopted_control), EVERYONE),
    Endpoint(
        "controls:control",
        "POST",
        url("controls:control", adopted_control),
        WRITERS,
        data=lambda c: {
            "owner": c.users["contributor"].pk,
            "status": "planned",
            "applicability": "included",
            "revision": 1,  # the edit form's hidden revision: the scenario's control is fresh
        },
        redirect=lambda c: control_page(ref_id="A.1"),
        effect=exists(Control, ref_id="A.1", owner__username="carl", status="planned", applicability="included"),
    ),
    Endpoint("audittrail:history", "GET", url("audittrail:history", "controls.control", adopted_control), EVERYONE),
    Endpoint(
        "controls:requirement_add",
        "POST",
        url("controls:requirement_add", adopted_control),
        WRITERS,
        data=lambda c: {"requirement": "urn:openaims:other-1:x"},
        redirect=lambda c: control_page("#requirements", ref_id="A.1"),
        effect=exists(ControlRequirement, control__ref_id="A.1", requirement__urn="urn:openaims:other-1:x"),
    ),
    Endpoint(
        "controls:requirement_remove",
        "POST",
        lambda c: reverse("controls:requirement_remove", args=[c.org.slug, *linked_requirement(c)]),
        WRITERS,
        redirect=lambda c: control_page("#requirements", ref_id="A.1"),
        effect=gone(ControlRequirement, control__ref_id="A.1"),
    ),
    Endpoint(
        "controls:evidence_add",
        "POST",
        url("controls:evidence_add", adopted_control),
        WRITERS,
        data=lambda c: {"title": "Fairness test report", "url": "https://example.org/r", "collected_at": "2025-01-02"},
        redirect=lambda c: control_page("#evidence", ref_id="A.1"),
        effect=exists(ControlEvidence, control__ref_id="A.1", evidence__title="Fairness test report"),
    ),
    Endpoint(
        "controls:evidence_unlink",
        "POST",
        lambda c: reverse("controls:evidence_unlink", args=[c.org.slug, *linked_evidence(c)]),
        WRITERS,
        redirect=lambda c: control_page("#evidence", ref_id="A.1"),
        # The link goes; the evidence itself stays for other controls and the record.
        effect=both(gone(ControlEvidence, control__ref_id="A.1"), exists(Evidence, title="Report")),
    ),
    Endpoint(
        "controls:soa", "GET", lambda c: adopted_control(c) and reverse("controls:soa", args=[c.org.slug]), EVERYONE
    ),
    Endpoint(
        "controls:soa_publish",
        "POST",
        url("controls:soa_publish"),
        APPROVERS,
        data=publish_data,
        redirect=r"/o/acme/soa/versions/1/",
        # Published, not approved: v1 waits for the named approver's sign-off.
        effect=exists(
            SoAVersion, organization__slug="acme", number=1, approver__username="max", status="awaiting_signoff"
        ),
    ),
    *[
        Endpoint(
            "controls:soa_export",
            "GET",
            lambda c, fmt=fmt: adopted_control(c) and reverse("controls:soa_export", args=[c.org.slug, fmt]),
            EVERYONE,
        )
        for fmt in ("csv", "json", "xlsx")
    ],
    Endpoint(
        "controls:soa_diff",
        "GET",
        lambda c: published_versions(c) and reverse("controls:soa_diff", args=[c.org.slug]),
        EVERYONE,
    ),
    Endpoint("controls:version", "GET", url("controls:version", published_versions), EVERYONE),
    Endpoint(
        "audittrail:history",
        "GET",
        lambda c: (
            published_versions(c)
            and reverse("audittrail:history", args=[c.org.slug, "controls.soaversion", SoAVersion.objects.first().pk])
        ),
        EVERYONE,
    ),
    Endpoint("controls:version_export", "GET", url("controls:version_export", published_versions, "xlsx"), EVERYONE),
    Endpoint(
        "controls:coverage", "GET", lambda c: load_tiny() and reverse("controls:coverage", args=[c.org.slug]), EVERYONE
    ),
    Endpoint("controls:coverage_framework", "GET", url("controls:coverage_framework", lambda c: load_tiny()), EVERYONE),
    Endpoint(
        "comments:add",
        "POST",
        url("comments:add", "tenancy.organization", lambda c: c.org.pk),
        COMMENTERS,
        data=lambda c: {"body": "Looks fine."},
        redirect=lambda c: reverse("audittrail:history", args=["acme", "tenancy.organization", c.org.pk]),
        effect=both(
            exists(Comment, object_type="tenancy.organization", body="Looks fine."),
            audited("tenancy.organization", "comment"),
        ),
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
    "web:styleguide",  # staff or AIMS_DEBUG only, no organization: tests/web/test_styleguide.py
    "accounts:password_reset",  # tests/accounts/test_password_reset.py
    "accounts:password_reset_done",
    "accounts:password_reset_confirm",
    "accounts:password_reset_complete",
}


ENDPOINTS += collect("WEB_ENDPOINTS")


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_it_enforces_the_role_matrix(cast, client_for, endpoint, subtests):
    # Each of WHO in turn (a subtest each), in a savepoint rolled back after it (tests/matrix.py).
    check_web(cast, client_for, endpoint, subtests)


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
