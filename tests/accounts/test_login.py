"""Logging in and out: by username or email, throttled after repeated failures, recorded in the global chain."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from openaims.accounts.models import ThrottleCounter
from openaims.audittrail.chain import verify_chain
from openaims.audittrail.models import AuditEvent
from tests.conftest import PASSWORD
from tests.tenancy.rows import nothing_written

LOGIN = reverse("accounts:login")


def log_in(client, username, password=PASSWORD, *, remote_addr="127.0.0.1", **extra):
    return client.post(LOGIN, {"username": username, "password": password, **extra}, REMOTE_ADDR=remote_addr)


def logged_in_user_id(client):
    return client.session.get("_auth_user_id")


def global_events(action, user):
    return AuditEvent.objects.filter(organization=None, action=action, object_id=str(user.pk))


@pytest.mark.parametrize("identifier", ["alice", "ALICE", "alice@example.org", "Alice@Example.org"])
def test_it_logs_in_with_username_or_email(cast, client, identifier):
    response = log_in(client, identifier)

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert logged_in_user_id(client) == str(cast.users["owner"].pk)


def test_it_refuses_a_wrong_password_with_a_form_error(cast, client):
    response = log_in(client, "alice", "not-the-password")

    assert response.status_code == 400
    assert b"Wrong username or password." in response.content
    assert logged_in_user_id(client) is None


def test_it_refuses_an_unknown_username_with_the_same_message(cast, client):
    response = log_in(client, "nobody-here", PASSWORD)

    assert response.status_code == 400
    assert b"Wrong username or password." in response.content
    assert logged_in_user_id(client) is None


def test_it_refuses_an_empty_form_with_field_errors(cast, client):
    with nothing_written():
        response = client.post(LOGIN, {"username": "", "password": ""})

    assert response.status_code == 400
    assert b"This field is required." in response.content


def test_it_records_login_and_failed_login_in_the_global_chain(cast, client):
    alice = cast.users["owner"]

    log_in(client, "alice", "wrong-password-x")
    log_in(client, "alice@example.org")

    failed = global_events("login_failed", alice).get()
    assert failed.actor_id is None
    assert failed.object_type == "accounts.user"
    ok = global_events("login", alice).get()
    assert ok.actor_id == alice.pk
    assert ok.seq == failed.seq + 1
    assert not AuditEvent.objects.filter(organization=cast.org, action__in=["login", "login_failed"]).exists()
    assert verify_chain(None).ok


def test_it_records_no_event_for_an_unknown_username(cast, client):
    before = AuditEvent.objects.count()

    log_in(client, "nobody-here", "whatever-password")

    assert AuditEvent.objects.count() == before
    assert ThrottleCounter.objects.get(key="login:127.0.0.1|nobody-here").failures == 1


def time_passes(seconds):
    """Move every throttle counter `seconds` into the past, as if that much time had gone by."""
    for row in ThrottleCounter.objects.all():
        row.forget_after -= timedelta(seconds=seconds)
        if row.locked_until:
            row.locked_until -= timedelta(seconds=seconds)
        row.save()


class TestThrottling:
    def fail(self, client, times, identifier="alice", remote_addr="127.0.0.1"):
        for _ in range(times):
            assert log_in(client, identifier, "wrong-password-x", remote_addr=remote_addr).status_code == 400

    def test_it_refuses_even_the_right_password_after_too_many_failures(self, cast, client, settings):
        assert settings.AIMS_LOGIN_MAX_FAILURES == 5
        self.fail(client, 5)

        response = log_in(client, "alice")

        assert response.status_code == 429
        assert b"Too many failed attempts. Try again in 1 minute." in response.content
        assert logged_in_user_id(client) is None
        assert not global_events("login", cast.users["owner"]).exists()

    def test_it_allows_the_attempts_below_the_limit(self, cast, client):
        self.fail(client, 4)

        assert log_in(client, "alice").status_code == 302
        assert logged_in_user_id(client) == str(cast.users["owner"].pk)

    def test_it_lets_the_person_in_again_once_the_delay_has_passed(self, cast, client, settings):
        self.fail(client, 5)
        assert log_in(client, "alice").status_code == 429

        time_passes(settings.AIMS_LOGIN_DELAY_SECONDS + 1)

        assert log_in(client, "alice").status_code == 302
        assert logged_in_user_id(client) == str(cast.users["owner"].pk)

    def test_it_doubles_the_delay_with_each_failure_past_the_limit_up_to_the_cap(self, cast, client, settings):
        settings.AIMS_LOGIN_MAX_DELAY_SECONDS = 5 * 60
        self.fail(client, 5)
        minutes = []
        for _ in range(4):
            refused = log_in(client, "alice", "wrong-password-x")
            assert refused.status_code == 429
            minutes.append(refused.content.decode().split("Try again in ")[1].split(" minute")[0])
            time_passes(settings.AIMS_LOGIN_MAX_DELAY_SECONDS)  # the delay ends: one more guess, then a longer one
            assert log_in(client, "alice", "wrong-password-x").status_code == 400

        assert minutes == ["1", "2", "4", "5"]

    def test_it_forgets_failures_after_a_quiet_window(self, cast, client, settings):
        self.fail(client, 4)

        time_passes(settings.AIMS_LOGIN_WINDOW_SECONDS + 1)
        self.fail(client, 4)

        assert log_in(client, "alice").status_code == 302

    def test_it_honours_a_shorter_configured_limit_and_delay(self, cast, client, settings):
        settings.AIMS_LOGIN_MAX_FAILURES = 2
        settings.AIMS_LOGIN_DELAY_SECONDS = 120
        self.fail(client, 2)

        response = log_in(client, "alice")
        assert response.status_code == 429
        assert b"Too many failed attempts. Try again in 2 minutes." in response.content

        time_passes(121)
        assert log_in(client, "alice").status_code == 302

    def test_it_writes_nothing_while_locked(self, cast, client):
        self.fail(client, 5)

        with nothing_written():
            assert log_in(client, "alice").status_code == 429

    def test_it_counts_failures_per_account_whether_named_by_username_or_email(self, cast, client):
        self.fail(client, 3, "alice")
        self.fail(client, 2, "ALICE@example.org")

        assert log_in(client, "alice").status_code == 429
        assert log_in(client, "alice@example.org").status_code == 429

    def test_it_locks_only_the_attacked_username(self, cast, client):
        self.fail(client, 5, "alice")

        assert log_in(client, "mona").status_code == 302
        assert logged_in_user_id(client) == str(cast.users["manager"].pk)

    def test_a_client_behind_a_shared_address_slows_only_the_accounts_it_guesses_at(self, cast, client, settings):
        # Before: 20 failures from one address locked every account behind that NAT.
        for name in ("a1", "a2", "a3", "a4", "a5"):
            self.fail(client, 5, name)
        for name in ("nobody", "ghost", "x@example.org"):
            self.fail(client, 5, name)

        assert log_in(client, "mona").status_code == 302
        assert logged_in_user_id(client) == str(cast.users["manager"].pk)

    def test_the_attacked_person_still_logs_in_from_another_address(self, cast, client):
        self.fail(client, 5, remote_addr="203.0.113.9")

        assert log_in(client, "alice", remote_addr="198.51.100.7").status_code == 302
        assert logged_in_user_id(client) == str(cast.users["owner"].pk)

    def test_guesses_spread_over_many_addresses_delay_the_account(self, cast, client, settings):
        assert settings.AIMS_LOGIN_ACCOUNT_MAX_FAILURES == 20
        for n in range(20):
            self.fail(client, 1, remote_addr=f"203.0.113.{n}")

        response = log_in(client, "alice", remote_addr="198.51.100.7")

        assert response.status_code == 429
        assert b"Too many failed attempts. Try again in 1 minute." in response.content

    def test_a_successful_login_clears_the_earlier_failures(self, cast, client):
        self.fail(client, 4)
        assert log_in(client, "alice").status_code == 302
        assert logged_in_user_id(client) == str(cast.users["owner"].pk)
        client.post(reverse("accounts:logout"))

        self.fail(client, 4)
        assert log_in(client, "alice").status_code == 302
        assert logged_in_user_id(client) == str(cast.users["owner"].pk)

    def test_successful_logins_never_add_up_to_a_delay(self, cast, client, settings):
        for _ in range(settings.AIMS_LOGIN_ACCOUNT_MAX_FAILURES + 1):
            assert log_in(client, "alice", remote_addr="198.51.100.7").status_code == 302
            client.post(reverse("accounts:logout"))


class TestLogout:
    def test_it_logs_out_on_post(self, cast, client_for):
        client = client_for(cast.users["viewer"])

        response = client.post(reverse("accounts:logout"))

        assert response.status_code == 302
        assert response["Location"] == LOGIN
        assert logged_in_user_id(client) is None

    def test_it_refuses_logout_by_get(self, cast, client_for):
        client = client_for(cast.users["viewer"])

        response = client.get(reverse("accounts:logout"))

        assert response.status_code == 405
        assert logged_in_user_id(client) == str(cast.users["viewer"].pk)


class TestRedirectAfterLogin:
    def test_it_follows_a_local_next(self, cast, client):
        response = log_in(client, "alice", next="/o/acme/members/")

        assert response["Location"] == "/o/acme/members/"

    @pytest.mark.parametrize(
        "target", ["https://evil.example", "https://evil.example/o/acme/", "//evil.example/", "http:///evil.example"]
    )
    def test_it_never_redirects_to_another_host(self, cast, client, target):
        response = client.post(f"{LOGIN}?next={target}", {"username": "alice", "password": PASSWORD})

        assert response.status_code == 302
        assert response["Location"] == "/"
        assert logged_in_user_id(client) == str(cast.users["owner"].pk)

    def test_it_does_not_echo_a_foreign_next_into_the_form(self, cast, client):
        response = client.get(f"{LOGIN}?next=https://evil.example")

        assert response.status_code == 200
        assert b"evil.example" not in response.content

    def test_it_sends_a_logged_in_visitor_on_but_not_off_site(self, cast, client_for):
        client = client_for(cast.users["owner"])

        assert client.get(f"{LOGIN}?next=https://evil.example")["Location"] == "/"
        assert client.get(f"{LOGIN}?next=/o/acme/settings/")["Location"] == "/o/acme/settings/"


class TestCsrf:
    def test_it_refuses_a_login_without_the_form_token(self, cast):
        client = Client(enforce_csrf_checks=True)

        with nothing_written():
            response = log_in(client, "alice")

        assert response.status_code == 403
        assert b"The form expired" in response.content
        assert logged_in_user_id(client) is None

    def test_it_refuses_a_change_without_the_form_token_and_writes_nothing(self, cast):
        client = Client(enforce_csrf_checks=True)
        client.force_login(cast.users["owner"])

        with nothing_written():
            response = client.post(reverse("tenancy:settings", args=["acme"]), {"name": "Hacked"})

        assert response.status_code == 403
        assert b"The form expired" in response.content
        cast.org.refresh_from_db()
        assert cast.org.name == "Acme AI"

    def test_it_accepts_the_same_change_with_the_token(self, cast):
        client = Client(enforce_csrf_checks=True)
        client.force_login(cast.users["owner"])
        url = reverse("tenancy:settings", args=["acme"])
        client.get(url)

        response = client.post(url, {"name": "Acme Two", "csrfmiddlewaretoken": client.cookies["csrftoken"].value})

        assert response.status_code == 302
        cast.org.refresh_from_db()
        assert cast.org.name == "Acme Two"


class TestExpiredSession:
    def test_a_flushed_session_sends_the_person_to_the_login_page(self, cast, client):
        log_in(client, "alice")
        assert client.get("/o/acme/").status_code == 200

        client.session.flush()

        response = client.get("/o/acme/")
        assert response.status_code == 302
        assert response["Location"] == f"{LOGIN}?next=/o/acme/"

    def test_a_session_past_its_expiry_sends_the_person_to_the_login_page(self, cast, client):
        log_in(client, "alice")
        Session.objects.filter(session_key=client.session.session_key).update(
            expire_date=timezone.now() - timedelta(seconds=1)
        )

        response = client.get(reverse("tenancy:members", args=["acme"]))

        assert response.status_code == 302
        assert response["Location"].startswith(f"{LOGIN}?next=")

    def test_an_expired_session_cannot_post_changes(self, cast, client):
        log_in(client, "alice")
        client.session.flush()

        with nothing_written():
            response = client.post(reverse("tenancy:settings", args=["acme"]), {"name": "Changed"})

        assert response.status_code == 302
        assert response["Location"].startswith(LOGIN)
