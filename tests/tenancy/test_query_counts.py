"""Listing pages issue a fixed number of queries, however many rows there are (no N+1)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from openaims.audittrail.models import AuditEvent
from openaims.audittrail.services import EventSpec, record_events_bulk
from openaims.comments.services import comment_add
from openaims.tenancy.models import Membership
from openaims.tenancy.selectors import tenant_of
from openaims.tenancy.services import api_token_create, invitation_create, membership_add
from tests.conftest import make_user

SMALL, LARGE = "5 members, 10 events", "60 members, 300 events"

# Observed on SQLite and PostgreSQL. Every organization page costs 7: session, user, the tenant's
# membership, the layout's organization switcher, and saving the session (the last organization
# used: SAVEPOINT, UPDATE, RELEASE). The rest is the page's own, listed at each pin.
MEMBERS_PAGE_QUERIES = 10  # + member count, one page of members (users joined), open invitations (inviters joined)
MEMBERS_FRAGMENT_QUERIES = 9  # the rows only: no open invitations
AUDIT_LOG_QUERIES = 11  # + event count, one page of events, distinct actions, distinct object types
TOKENS_PAGE_QUERIES = 9  # + token count, one page of tokens (users joined)
HISTORY_PAGE_QUERIES = 10  # + event count, one page of events, comments (authors joined)


def grow(cast, members: int, events: int, invitations: int) -> None:
    """Bring acme to `members` members and `events` audit events, all written through the services."""
    owner = cast.users["owner"]
    api_token_create(actor=tenant_of(owner, cast.org), name="owner's token", role="owner")
    existing = Membership.objects.filter(organization=cast.org).count()
    for n in range(members - existing):
        user = make_user(f"member{n:03}", full_name=f"Member {n}")
        membership_add(actor=tenant_of(owner, cast.org), user=user, role=["viewer", "auditor", "contributor"][n % 3])
        api_token_create(actor=tenant_of(user, cast.org), name=f"token {n}", role="viewer")
    for n in range(invitations):
        invitation_create(actor=tenant_of(owner, cast.org), email=f"invitee{n}@example.org", role="viewer")
    for n in range(members - existing):
        comment_add(actor=tenant_of(owner, cast.org), target=cast.org, body=f"note {n}")
    missing = events - AuditEvent.objects.filter(organization=cast.org).count()
    assert missing >= 0
    record_events_bulk(
        organization=cast.org,
        specs=(
            EventSpec("tenancy.organization", str(cast.org.pk), cast.org.name, "review", {"n": [None, n]}, actor=owner)
            for n in range(missing)
        ),
    )
    assert Membership.objects.filter(organization=cast.org).count() == members
    assert AuditEvent.objects.filter(organization=cast.org).count() == events


@pytest.fixture(params=[SMALL, LARGE])
def sized(request, cast):
    if request.param == SMALL:
        grow(cast, members=5, events=10, invitations=1)
    else:
        grow(cast, members=60, events=300, invitations=12)
    return cast


def test_the_members_page_issues_a_fixed_number_of_queries(sized, client_for, django_assert_num_queries):
    client = client_for(sized.users["owner"])
    url = reverse("tenancy:members", args=["acme"])

    with django_assert_num_queries(MEMBERS_PAGE_QUERIES):
        response = client.get(url)

    assert response.status_code == 200
    assert b"alice" in response.content
    assert b"invitee0@example.org" in response.content


def test_the_members_fragment_for_htmx_issues_a_fixed_number_of_queries(sized, client_for, django_assert_num_queries):
    client = client_for(sized.users["owner"])
    url = reverse("tenancy:members", args=["acme"])

    with django_assert_num_queries(MEMBERS_FRAGMENT_QUERIES):
        response = client.get(url, {"q": "example.org"}, headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert b"<html" not in response.content


def test_the_audit_log_issues_a_fixed_number_of_queries(sized, client_for, django_assert_num_queries):
    client = client_for(sized.users["auditor"])

    with django_assert_num_queries(AUDIT_LOG_QUERIES):
        response = client.get(reverse("audittrail:log", args=["acme"]))

    assert response.status_code == 200
    assert b'data-testid="events"' in response.content


def test_the_tokens_page_issues_a_fixed_number_of_queries(sized, client_for, django_assert_num_queries):
    client = client_for(sized.users["owner"])

    with django_assert_num_queries(TOKENS_PAGE_QUERIES):
        response = client.get(reverse("tenancy:tokens", args=["acme"]))

    assert response.status_code == 200


def test_the_history_page_issues_a_fixed_number_of_queries(sized, client_for, django_assert_num_queries):
    client = client_for(sized.users["auditor"])

    with django_assert_num_queries(HISTORY_PAGE_QUERIES):
        response = client.get(reverse("audittrail:history", args=["acme", "tenancy.organization", sized.org.pk]))

    assert response.status_code == 200
