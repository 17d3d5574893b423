"""Changing one's password: the current one is required, Django's validators apply, the session survives."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from openaims.audittrail.models import AuditEvent
from tests.conftest import PASSWORD
from tests.tenancy.rows import nothing_written

URL = reverse("accounts:password")
NEW_PASSWORD = "another-long-password-7"


def change(client, old, new, again=None):
    return client.post(URL, {"old_password": old, "new_password": new, "new_password2": again or new})


def can_log_in(username, password) -> bool:
    client = Client()
    return client.post(reverse("accounts:login"), {"username": username, "password": password}).status_code == 302


def test_it_asks_anonymous_visitors_to_log_in(client, cast):
    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_it_refuses_a_wrong_current_password(cast, client_for):
    client = client_for(cast.users["viewer"])

    with nothing_written():
        response = change(client, "not-my-password", NEW_PASSWORD)

    assert response.status_code == 400
    assert b"your current password is not correct" in response.content
    assert can_log_in("vera", PASSWORD)


def test_it_refuses_a_weak_new_password_with_the_validators_message(cast, client_for):
    client = client_for(cast.users["viewer"])

    with nothing_written():
        short = change(client, PASSWORD, "abc123")
        common = change(client, PASSWORD, "password1234")
        numeric = change(client, PASSWORD, "8472910365")

    assert short.status_code == common.status_code == numeric.status_code == 400
    assert b"This password is too short. It must contain at least 10 characters." in short.content
    assert b"This password is too common." in common.content
    assert b"This password is entirely numeric." in numeric.content
    assert can_log_in("vera", PASSWORD)


def test_it_refuses_two_different_new_passwords(cast, client_for):
    client = client_for(cast.users["viewer"])

    with nothing_written():
        response = change(client, PASSWORD, NEW_PASSWORD, again=NEW_PASSWORD + "x")

    assert response.status_code == 400
    assert b"the two new passwords differ" in response.content


def test_it_changes_the_password_and_keeps_the_session(cast, client_for):
    vera = cast.users["viewer"]
    client = client_for(vera)

    response = change(client, PASSWORD, NEW_PASSWORD)

    assert response.status_code == 302
    assert client.get(URL).status_code == 200, "still logged in after the change"
    assert client.get("/o/acme/").status_code == 200
    assert can_log_in("vera", NEW_PASSWORD)
    assert not can_log_in("vera", PASSWORD)


def test_it_records_the_change_in_the_global_chain_without_the_hash(cast, client_for):
    vera = cast.users["viewer"]

    change(client_for(vera), PASSWORD, NEW_PASSWORD)

    event = AuditEvent.objects.get(organization=None, action="password_change", object_id=str(vera.pk))
    assert event.actor_id == vera.pk
    vera.refresh_from_db()
    assert vera.password not in event.changes
    assert NEW_PASSWORD not in event.changes
    assert event.changes == "{}"


def test_it_logs_out_the_persons_other_sessions(cast, client_for):
    here, elsewhere = Client(), Client()
    for c in (here, elsewhere):
        c.post(reverse("accounts:login"), {"username": "vera", "password": PASSWORD})

    change(here, PASSWORD, NEW_PASSWORD)

    assert here.get("/o/acme/").status_code == 200
    assert elsewhere.get("/o/acme/").status_code == 302
