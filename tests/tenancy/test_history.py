"""An object's history page: its audit events with before/after, its comments, and how comments are added."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from openaims.audittrail.models import AuditEvent
from openaims.comments.models import Comment
from openaims.tenancy.models import Membership
from openaims.tenancy.services import api_token_create, membership_change_role
from tests.tenancy.rows import nothing_written


@pytest.fixture
def veras_membership(cast) -> Membership:
    return Membership.objects.get(organization=cast.org, user=cast.users["viewer"])


def history_url(membership) -> str:
    return reverse("audittrail:history", args=["acme", "tenancy.membership", membership.pk])


def comment_url(obj_type, pk) -> str:
    return reverse("comments:add", args=["acme", obj_type, pk])


class TestHistoryPage:
    def test_it_shows_a_role_change_with_before_and_after(self, cast, client_for, veras_membership):
        membership_change_role(actor=cast.tenant("owner"), membership=veras_membership, role="contributor")

        response = client_for(cast.users["viewer"]).get(history_url(veras_membership))

        assert response.status_code == 200
        html = response.content.decode()
        assert "<html" in html
        assert "History of membership" in html
        assert '<dt title="role">Role</dt><dd><del>viewer</del> <ins>contributor</ins></dd>' in html
        assert "<strong>alice</strong>" in html
        assert html.index("action-update") < html.index("action-create"), "newest first"

    def test_an_htmx_request_gets_only_the_fragment(self, cast, client_for, veras_membership):
        membership_change_role(actor=cast.tenant("owner"), membership=veras_membership, role="contributor")

        response = client_for(cast.users["viewer"]).get(history_url(veras_membership), headers={"HX-Request": "true"})

        assert response.status_code == 200
        html = response.content.decode()
        assert "<html" not in html and "<body" not in html
        assert html.lstrip().startswith('<div class="history" data-testid="history">')
        assert "<del>viewer</del> <ins>contributor</ins>" in html

    def test_the_member_page_loads_its_history_through_htmx(self, cast, client_for, veras_membership):
        page = client_for(cast.users["viewer"]).get(reverse("tenancy:member", args=["acme", veras_membership.pk]))

        assert f'hx-get="{history_url(veras_membership)}"' in page.content.decode()

    def test_it_shows_only_the_objects_own_events(self, cast, client_for, veras_membership):
        membership_change_role(actor=cast.tenant("owner"), membership=veras_membership, role="contributor")
        monas = Membership.objects.get(organization=cast.org, user=cast.users["manager"])

        html = client_for(cast.users["owner"]).get(history_url(monas), headers={"HX-Request": "true"}).content.decode()

        assert "<ins>manager</ins>" in html
        assert "contributor" not in html

    def test_the_history_of_another_organizations_object_is_not_found(self, cast, client_for):
        theirs = Membership.objects.get(organization=cast.other_org)
        client = client_for(cast.users["owner"])

        assert client.get(history_url(theirs)).status_code == 404
        other_org = reverse("audittrail:history", args=["acme", "tenancy.organization", cast.other_org.pk])
        assert client.get(other_org).status_code == 404
        assert client_for(cast.users["outsider"]).get(history_url(theirs)).status_code == 404, "not under acme's name"

    def test_a_token_is_private_to_its_owner_in_the_history_too(self, cast, client_for):
        token, _raw = api_token_create(actor=cast.tenant("auditor"), name="ci", role="viewer")
        url = reverse("audittrail:history", args=["acme", "tenancy.apitoken", token.pk])

        assert client_for(cast.users["auditor"]).get(url).status_code == 200
        assert client_for(cast.users["owner"]).get(url).status_code == 200
        assert client_for(cast.users["viewer"]).get(url).status_code == 404


class TestComments:
    def test_an_auditors_comment_appears_in_the_history_and_the_audit_trail(self, cast, client_for, veras_membership):
        aude = client_for(cast.users["auditor"])

        response = aude.post(
            comment_url("tenancy.membership", veras_membership.pk), {"body": "Why was this role given?"}
        )

        assert response.status_code == 302
        assert response["Location"] == history_url(veras_membership)
        comment = Comment.objects.get()
        assert (comment.author, comment.body) == (cast.users["auditor"], "Why was this role given?")
        history = aude.get(history_url(veras_membership)).content.decode()
        assert "Why was this role given?" in history
        assert "<strong>aude</strong>" in history
        event = AuditEvent.objects.filter(organization=cast.org, action="comment").get()
        assert (event.object_type, event.object_id) == ("tenancy.membership", str(veras_membership.pk))
        assert event.actor_id == cast.users["auditor"].pk
        assert json.loads(event.changes) == {"comment": [None, "Why was this role given?"]}
        trail = aude.get(reverse("audittrail:log", args=["acme"]), {"action": "comment"}).content.decode()
        assert "Why was this role given?" in trail
        assert reverse("audittrail:history", args=["acme", "tenancy.membership", veras_membership.pk]) in trail

    def test_a_comment_shows_in_the_history_through_the_api_as_well(self, cast, api_for, veras_membership):
        api = api_for(cast.users["auditor"], cast.org)
        path = f"/api/v1/orgs/acme/comments/tenancy.membership/{veras_membership.pk}"

        created = api.post(path, json={"body": "Noted via the API"})
        history = api.get(f"/api/v1/orgs/acme/history/tenancy.membership/{veras_membership.pk}").json()

        assert created.status_code == 201
        assert [c["body"] for c in history["comments"]] == ["Noted via the API"]
        assert history["events"][0]["action"] == "comment"

    @pytest.mark.parametrize("body", ["", "   ", "\n\t"])
    def test_an_empty_comment_is_a_form_error_and_nothing_is_written(self, cast, client_for, veras_membership, body):
        with nothing_written():
            response = client_for(cast.users["auditor"]).post(
                comment_url("tenancy.membership", veras_membership.pk), {"body": body}
            )

        assert response.status_code == 400
        assert b"This field is required." in response.content

    def test_a_comment_over_the_length_limit_is_a_form_error(self, cast, client_for, veras_membership):
        with nothing_written():
            response = client_for(cast.users["auditor"]).post(
                comment_url("tenancy.membership", veras_membership.pk), {"body": "x" * 10_001}
            )

        assert response.status_code == 400
        assert b"Ensure this value has at most 10000 characters" in response.content

    def test_a_comment_on_another_organizations_object_is_not_found(self, cast, client_for):
        theirs = Membership.objects.get(organization=cast.other_org)

        with nothing_written():
            response = client_for(cast.users["auditor"]).post(
                comment_url("tenancy.membership", theirs.pk), {"body": "Peeking"}
            )

        assert response.status_code == 404

    def test_a_comment_is_shown_as_text_not_markup(self, cast, client_for, veras_membership):
        client = client_for(cast.users["auditor"])
        client.post(comment_url("tenancy.membership", veras_membership.pk), {"body": "<script>alert(1)</script>"})

        html = client.get(history_url(veras_membership)).content.decode()

        assert "<script>alert(1)</script>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
