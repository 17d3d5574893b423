"""Invitation links: work once, create the account and membership together, and fail clearly when spent."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from openaims.audittrail.models import AuditEvent
from openaims.tenancy.models import Invitation, Membership
from openaims.tenancy.services import invitation_accept, invitation_create, invitation_revoke
from tests.conftest import PASSWORD
from tests.tenancy.rows import nothing_written

NEW_PASSWORD = "a-fresh-long-password-9"


def invite(cast, email="new.person@example.org", role="auditor") -> tuple[Invitation, str]:
    invitation, raw = invitation_create(actor=cast.tenant("owner"), email=email, role=role)
    return invitation, reverse("tenancy:accept", args=[raw])


def signup(client, link, username="newperson", password=NEW_PASSWORD, **extra):
    data = {"username": username, "full_name": "New Person", "password": password, "password2": password, **extra}
    return client.post(link, data)


def logged_in_user_id(client):
    return client.session.get("_auth_user_id")


class TestCreate:
    def test_the_owner_gets_a_link_to_send(self, cast, client_for):
        response = client_for(cast.users["owner"]).post(
            reverse("tenancy:invite", args=["acme"]), {"email": "New.Person@Example.org", "role": "auditor"}
        )

        assert response.status_code == 200
        link = re.search(rb'value="(http://testserver/invitations/[^"/]+/)"', response.content).group(1).decode()
        invitation = Invitation.objects.get(organization=cast.org)
        assert (invitation.email, invitation.role, invitation.status) == ("new.person@example.org", "auditor", "open")
        secret = link.rstrip("/").rsplit("/", 1)[1]
        assert secret not in invitation.token_hash
        event = AuditEvent.objects.filter(organization=cast.org, object_type="tenancy.invitation").get()
        assert json.loads(event.changes) == {"email": [None, "new.person@example.org"], "role": [None, "auditor"]}
        assert secret not in event.changes

    def test_it_refuses_an_address_that_is_not_one(self, cast, client_for):
        with nothing_written():
            response = client_for(cast.users["owner"]).post(
                reverse("tenancy:invite", args=["acme"]), {"email": "not-an-address", "role": "viewer"}
            )

        assert response.status_code == 400
        assert b"Enter a valid email address." in response.content

    def test_the_api_returns_the_secret_for_the_link(self, cast, api_for, client):
        api = api_for(cast.users["owner"], cast.org)

        response = api.post("/api/v1/orgs/acme/invitations", json={"email": "x@example.org", "role": "viewer"})

        assert response.status_code == 201
        secret = response.json()["secret"]
        assert client.get(reverse("tenancy:accept", args=[secret])).status_code == 200


class TestAcceptAsNewPerson:
    def test_it_creates_the_account_and_membership_and_logs_them_in(self, cast, client):
        _invitation, link = invite(cast, role="auditor")
        assert b"Join Acme AI" in client.get(link).content

        response = signup(client, link)

        assert response.status_code == 302
        assert response["Location"] == "/o/acme/"
        person = get_user_model().objects.get(username="newperson")
        assert (person.email, person.full_name) == ("new.person@example.org", "New Person")
        assert Membership.objects.get(organization=cast.org, user=person).role == "auditor"
        assert logged_in_user_id(client) == str(person.pk)
        assert client.get("/o/acme/audit/").status_code == 200, "an auditor reads the trail"

    def test_it_records_the_account_acceptance_and_membership(self, cast, client):
        invitation, link = invite(cast)

        signup(client, link)

        person = get_user_model().objects.get(username="newperson")
        assert AuditEvent.objects.filter(organization=None, action="create", object_id=str(person.pk)).exists()
        accept, joined = AuditEvent.objects.filter(organization=cast.org, actor=person).order_by("seq")
        assert (accept.action, accept.object_type) == ("accept", "tenancy.invitation")
        assert accept.object_id == str(invitation.pk)
        assert (joined.action, joined.object_type) == ("create", "tenancy.membership")
        assert json.loads(joined.changes) == {"user": [None, "newperson"], "role": [None, "auditor"]}

    def test_the_link_works_only_once(self, cast, client):
        _invitation, link = invite(cast)
        signup(client, link)
        client.post(reverse("accounts:logout"))

        with nothing_written():
            again = signup(client, link, username="someoneelse")

        assert again.status_code == 410
        assert b"This invitation is accepted." in again.content
        assert client.get(link).status_code == 410

    def test_the_new_person_can_log_in_with_the_chosen_password(self, cast, client):
        _invitation, link = invite(cast)
        signup(client, link)

        fresh = client.__class__()
        response = fresh.post(reverse("accounts:login"), {"username": "newperson", "password": NEW_PASSWORD})

        assert response.status_code == 302
        assert fresh.session["_auth_user_id"] == str(get_user_model().objects.get(username="newperson").pk)

    @pytest.mark.parametrize(
        ("password", "message"),
        [
            ("short", b"This password is too short."),
            ("password1234", b"This password is too common."),
            ("9182736450", b"This password is entirely numeric."),
        ],
    )
    def test_a_weak_password_is_a_form_error_and_no_account_is_made(self, cast, client, password, message):
        invitation, link = invite(cast)

        with nothing_written():
            response = signup(client, link, password=password)

        assert response.status_code == 400
        assert message in response.content
        assert not get_user_model().objects.filter(username="newperson").exists()
        invitation.refresh_from_db()
        assert invitation.status == "open"
        assert logged_in_user_id(client) is None

    def test_two_different_passwords_are_a_form_error(self, cast, client):
        _invitation, link = invite(cast)

        with nothing_written():
            response = signup(client, link, password2="something-else-entirely")

        assert response.status_code == 400
        assert b"the two passwords differ" in response.content

    def test_a_taken_username_is_a_form_error(self, cast, client):
        _invitation, link = invite(cast)

        with nothing_written():
            response = signup(client, link, username="Alice")

        assert response.status_code == 400
        assert b"the username &#x27;Alice&#x27; is taken" in response.content

    def test_an_address_with_an_account_already_asks_to_log_in_instead(self, cast, client):
        _invitation, link = invite(cast, email="oscar@example.org")

        with nothing_written():
            response = signup(client, link)

        assert response.status_code == 400
        assert b"an account with oscar@example.org exists already" in response.content


class TestAcceptAsExistingUser:
    def test_a_logged_in_person_joins_with_one_click(self, cast, client_for):
        oscar = cast.users["outsider"]
        _invitation, link = invite(cast, email="oscar@example.org", role="contributor")
        client = client_for(oscar)
        assert b"Join as oscar" in client.get(link).content

        response = client.post(link)

        assert response.status_code == 302
        assert response["Location"] == "/o/acme/"
        assert Membership.objects.get(organization=cast.org, user=oscar).role == "contributor"
        assert Membership.objects.get(organization=cast.other_org, user=oscar).role == "owner"
        assert client.get("/o/acme/").status_code == 200

    def test_a_member_already_is_told_so_and_nothing_is_written(self, cast, client_for):
        invitation, link = invite(cast, email="vera@example.org", role="manager")
        client = client_for(cast.users["viewer"])

        with nothing_written():
            response = client.post(link)

        assert response.status_code == 400
        assert b"you are already a member of Acme AI" in response.content
        invitation.refresh_from_db()
        assert invitation.status == "open"

    def test_logging_in_from_the_invitation_comes_back_to_it(self, cast, client):
        _invitation, link = invite(cast, email="oscar@example.org")

        response = client.post(f"{reverse('accounts:login')}?next={link}", {"username": "oscar", "password": PASSWORD})

        assert response["Location"] == link


class TestSpentInvitations:
    def expired(self, cast):
        invitation, link = invite(cast)
        # Time passes: the invitation's week is over.
        Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
        return link, b"This invitation is expired."

    def revoked(self, cast):
        invitation, link = invite(cast)
        invitation_revoke(actor=cast.tenant("owner"), invitation=invitation)
        return link, b"This invitation is revoked."

    def accepted(self, cast):
        _invitation, link = invite(cast, email="oscar@example.org")
        invitation_accept(user=cast.users["outsider"], raw=link.rstrip("/").rsplit("/", 1)[1])
        return link, b"This invitation is accepted."

    @pytest.mark.parametrize("state", ["expired", "revoked", "accepted"])
    def test_it_shows_a_clear_page_and_writes_nothing(self, cast, client, client_for, state):
        link, message = getattr(self, state)(cast)

        with nothing_written():
            shown = client.get(link)
            posted = signup(client, link)
            as_member = client_for(cast.users["viewer"]).post(link)

        for response in (shown, posted, as_member):
            assert response.status_code == 410
            assert message in response.content
        assert not get_user_model().objects.filter(username="newperson").exists()

    def test_a_revoked_invitation_no_longer_shows_as_open(self, cast, client_for):
        invitation, _link = invite(cast, email="gone@example.org")
        owner = client_for(cast.users["owner"])
        assert b"gone@example.org" in owner.get("/o/acme/members/").content

        after = owner.post(reverse("tenancy:invitation_revoke", args=["acme", invitation.pk]), follow=True)

        assert b"The invitation for gone@example.org was revoked." in after.content
        assert b"<td>gone@example.org</td>" not in after.content
        assert b"No open invitations." in after.content

    @pytest.mark.parametrize("secret", ["inv_000000000000_not-a-real-secret", "garbage", "aims_000000000000_x"])
    def test_an_unknown_link_is_not_found(self, cast, client, secret):
        with nothing_written():
            response = client.get(reverse("tenancy:accept", args=[secret]))
            posted = signup(client, reverse("tenancy:accept", args=[secret]))

        assert response.status_code == posted.status_code == 404
        assert b"This invitation link is not valid." in response.content


class TestStaleInvitations:
    def test_an_open_invitation_closes_when_the_person_is_added_another_way(self, cast):
        from openaims.tenancy.services import membership_add
        from tests.conftest import make_user

        invitation, _link = invite(cast, email="Sam@Example.org")
        other_org_invitation, _ = invitation_create(
            actor=cast.tenant("outsider"), email="sam@example.org", role="viewer"
        )
        sam = make_user("sam")  # e-mail sam@example.org
        membership_add(actor=cast.tenant("owner"), user=sam, role="viewer")

        invitation.refresh_from_db()
        other_org_invitation.refresh_from_db()
        assert (invitation.status, other_org_invitation.status) == ("revoked", "open")
        event = AuditEvent.objects.filter(object_type="tenancy.invitation", object_id=str(invitation.pk)).last()
        assert event.action == "close" and "sam joined" in event.changes

    def test_accepting_one_link_closes_the_other_open_one(self, cast, client):
        first, first_link = invite(cast, email="twice@example.org")
        second, _ = invite(cast, email="twice@example.org", role="viewer")
        assert signup(client, first_link, username="twice", email="twice@example.org").status_code == 302
        first.refresh_from_db()
        second.refresh_from_db()
        assert (first.status, second.status) == ("accepted", "revoked")

    def test_the_link_page_has_a_copy_button_backed_by_a_static_script(self, cast, client_for):
        response = client_for(cast.users["owner"]).post(
            reverse("tenancy:invite", args=["acme"]), {"email": "copy@example.org", "role": "viewer"}
        )
        content = response.content.decode()
        assert 'data-copy="invitation-link"' in content and 'id="invitation-link"' in content
        assert "/static/openaims/copy.js" in content and "onfocus=" not in content and "<script>" not in content
