"""Password reset: a link by e-mail (Django's tokens) that never says whether an address exists, and for operators
`aims user reset-password`; every reset audited, requests throttled like logins."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse
from typer.testing import CliRunner

from openaims.audittrail.chain import verify_chain
from openaims.audittrail.models import AuditEvent
from openaims.cli import app
from tests.accounts.test_login import log_in
from tests.cli.test_commands import aims, one_error_line
from tests.conftest import PASSWORD

RESET = reverse("accounts:password_reset")
NEW_PASSWORD = "a-brand-new-password-7"


def ask(client, email, remote_addr="127.0.0.1"):
    return client.post(RESET, {"email": email}, REMOTE_ADDR=remote_addr)


def link_in(message) -> str:
    return re.search(r"https?://\S+", message.body).group(0)


def without_csrf_tokens(html: bytes) -> bytes:
    return re.sub(rb'(value="|"X-CSRFToken": ")[A-Za-z0-9]{64}', b"TOKEN", html)


def events(action, user):
    return AuditEvent.objects.filter(organization=None, action=action, object_id=str(user.pk))


def choose_password(client, link, password=NEW_PASSWORD, again=None):
    form_url = client.get(link)["Location"]  # Django swaps the token for a session, off the address bar
    return client.post(form_url, {"new_password1": password, "new_password2": again or password})


class TestByEmail:
    def test_the_login_page_links_to_it(self, cast, client):
        assert RESET.encode() in client.get(reverse("accounts:login")).content

    def test_it_mails_a_link_that_sets_a_new_password_once(self, cast, client):
        alice = cast.users["owner"]

        response = ask(client, "ALICE@example.org")

        assert response.status_code == 302
        assert response["Location"] == reverse("accounts:password_reset_done")
        (message,) = mail.outbox
        assert message.to == ["alice@example.org"]
        assert "alice" in message.body
        link = link_in(message)
        assert link.startswith("http://testserver/accounts/reset/")

        done = choose_password(client, link)

        assert done.status_code == 302
        assert done["Location"] == reverse("accounts:password_reset_complete")
        assert log_in(client, "alice", PASSWORD).status_code == 400
        assert log_in(client, "alice", NEW_PASSWORD).status_code == 302
        assert events("password_reset_requested", alice).get().actor_id is None
        assert events("password_reset", alice).get().actor_id == alice.pk
        assert verify_chain(None).ok
        client.post(reverse("accounts:logout"))
        used = client.get(link, follow=True)
        assert b"This link no longer works" in used.content

    def test_it_answers_the_same_for_an_unknown_address_and_sends_nothing(self, cast, client):
        known = ask(client, "alice@example.org")
        unknown = ask(client, "nobody@example.org")

        assert (unknown.status_code, unknown["Location"]) == (known.status_code, known["Location"])
        assert len(mail.outbox) == 1
        page = client.get(unknown["Location"])
        assert b"If an account has that address" in page.content

    def test_it_refuses_a_password_the_validators_refuse_and_keeps_the_old_one(self, cast, client):
        ask(client, "alice@example.org")

        response = choose_password(client, link_in(mail.outbox[0]), "123")

        assert response.status_code == 400
        assert b"too short" in response.content
        assert not events("password_reset", cast.users["owner"]).exists()
        assert log_in(client, "alice", PASSWORD).status_code == 302

    def test_a_tampered_link_does_not_work(self, cast, client):
        ask(client, "alice@example.org")
        link = link_in(mail.outbox[0])

        response = client.get(link[:-3] + "zzz/", follow=True)

        assert b"This link no longer works" in response.content
        assert b"new_password1" not in response.content

    def test_it_signs_out_the_persons_other_sessions(self, cast, client, client_for):
        elsewhere = client_for(cast.users["owner"])
        ask(client, "alice@example.org")

        choose_password(client, link_in(mail.outbox[0]))

        assert elsewhere.get("/o/acme/").status_code == 302

    def test_it_throttles_requests_for_one_address(self, cast, client, settings):
        for _ in range(settings.AIMS_LOGIN_MAX_FAILURES):
            assert ask(client, "alice@example.org").status_code == 302

        refused = ask(client, "alice@example.org", remote_addr="198.51.100.4")

        assert refused.status_code == 429
        assert b"Too many reset requests. Try again in 1 minute." in refused.content
        assert len(mail.outbox) == settings.AIMS_LOGIN_MAX_FAILURES

    def test_it_throttles_one_client_asking_about_many_addresses(self, cast, client, settings):
        for n in range(settings.AIMS_LOGIN_ACCOUNT_MAX_FAILURES):
            assert ask(client, f"someone{n}@example.org").status_code == 302

        assert ask(client, "alice@example.org").status_code == 429
        assert mail.outbox == []
        assert ask(client, "alice@example.org", remote_addr="198.51.100.4").status_code == 302

    def test_throttling_says_the_same_for_unknown_addresses(self, cast, client, settings):
        for email in ("alice@example.org", "nobody@example.org"):
            for _ in range(settings.AIMS_LOGIN_MAX_FAILURES):
                ask(client, email)
        known, unknown = ask(client, "alice@example.org"), ask(client, "nobody@example.org")

        assert known.status_code == unknown.status_code == 429
        as_typed = [
            r.content.replace(email.encode(), b"EMAIL") for r, email in ((known, "alice@"), (unknown, "nobody@"))
        ]
        assert without_csrf_tokens(as_typed[0]) == without_csrf_tokens(as_typed[1])

    def test_an_empty_or_malformed_address_is_a_form_error(self, cast, client):
        assert ask(client, "").status_code == 400
        assert ask(client, "not-an-address").status_code == 400
        assert mail.outbox == []


runner = CliRunner()


class TestCommand:
    def test_it_prints_a_one_time_link_and_audits_it(self, cast, client):
        alice = cast.users["owner"]

        result = runner.invoke(app, ["user", "reset-password", "alice", "--base-url", "https://aims.example.org/"])

        assert result.exit_code == 0, result.output
        link = result.output.strip()
        assert link.startswith("https://aims.example.org/accounts/reset/")
        assert events("password_reset_link", alice).get().actor_id is None
        path = link.removeprefix("https://aims.example.org")
        assert choose_password(client, path).status_code == 302
        assert log_in(client, "alice", NEW_PASSWORD).status_code == 302
        client.post(reverse("accounts:logout"))
        assert b"This link no longer works" in client.get(path, follow=True).content

    def test_it_sets_a_password_read_from_stdin(self, cast, client):
        result = runner.invoke(
            app, ["user", "reset-password", "mona@example.org", "--password-stdin"], input=NEW_PASSWORD + "\n"
        )

        assert result.exit_code == 0, result.output
        assert "set a new password for mona" in result.output
        assert log_in(client, "mona", NEW_PASSWORD).status_code == 302
        event = events("password_reset", cast.users["manager"]).get()
        assert (event.actor_id, event.context) == (None, '{"via":"cli"}')

    def test_it_refuses_a_weak_password_from_stdin(self, cast, client):
        result = runner.invoke(app, ["user", "reset-password", "mona", "--password-stdin"], input="123\n")

        assert result.exit_code == 1
        assert "too short" in result.output
        assert log_in(client, "mona", PASSWORD).status_code == 302


@pytest.mark.subprocess
def test_the_command_answers_an_unknown_user_with_one_line(tmp_path):
    assert aims("migrate", data_dir=tmp_path).returncode == 0

    result = aims("user", "reset-password", "nobody", data_dir=tmp_path)

    assert one_error_line(result) == "error: no user 'nobody'"
    assert result.stdout == ""
