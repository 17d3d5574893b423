"""`aims token create`: a token for automation, made by the same service as the tokens page, and audited alike."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from typer.testing import CliRunner

from openaims.audittrail.chain import verify_chain
from openaims.audittrail.models import AuditEvent
from openaims.cli import app
from openaims.tenancy.models import ApiToken
from tests.conftest import ApiClient

pytestmark = pytest.mark.django_db


def token_create(*args: str):
    return CliRunner().invoke(app, ["token", "create", *args])


def test_it_prints_only_the_token_which_then_works_on_the_api(cast):
    result = token_create("--org", "acme", "--user", "mona")
    assert result.exit_code == 0, result.output
    raw = result.stdout.strip()
    assert raw.startswith("aims_") and "\n" not in raw
    assert "for mona as manager of acme, without expiry" in result.stderr
    me = ApiClient(raw).get("/api/v1/me")
    assert me.status_code == 200
    token = ApiToken.objects.get(user=cast.user("manager"))
    assert (token.role, token.expires_at, token.name.startswith("cli ")) == ("manager", None, True)


def test_it_is_audited_like_a_token_made_on_the_page(cast):
    result = token_create("--org", "acme", "--user", "mona@example.org", "--role", "viewer", "--name", "nightly sync")
    assert result.exit_code == 0, result.output
    event = AuditEvent.objects.filter(organization=cast.org, object_type="tenancy.apitoken").get()
    assert (event.action, event.actor_id, event.context_dict["via"]) == ("create", cast.user("manager").pk, "cli")
    assert event.changes_dict["role"] == [None, "viewer"]
    assert event.changes_dict["name"] == [None, "nightly sync"]
    assert verify_chain(cast.org.pk).ok


def test_it_sets_the_expiry_in_days(cast):
    result = token_create("--org", "acme", "--user", "carl", "--expires", "30")
    assert result.exit_code == 0, result.output
    token = ApiToken.objects.get(user=cast.user("contributor"))
    assert abs(token.expires_at - (timezone.now() + timedelta(days=30))) < timedelta(minutes=1)
    assert "until " in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--org", "acme", "--user", "vera", "--role", "owner"], "a token cannot have more rights than you"),
        (["--org", "acme", "--user", "oscar"], "oscar is not a member of acme"),
        (["--org", "acme", "--user", "nobody"], "no user 'nobody'"),
        (["--org", "nope", "--user", "alice"], "no organization with the slug 'nope'"),
        (["--org", "acme", "--user", "alice", "--role", "emperor"], "unknown role 'emperor'"),
    ],
)
def test_it_refuses_in_one_line_and_creates_nothing(cast, args, message):
    result = token_create(*args)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("error: ") and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not ApiToken.objects.exists()
