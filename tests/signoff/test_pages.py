"""The sign-off pages and API: the inbox, the panel on the SoA version, deciding through the web and the API."""

from __future__ import annotations

from django.urls import reverse

from openaims.controls.models import SoAVersion
from openaims.signoff.models import SignOffRequest
from openaims.signoff.services import signoff_sign
from tests.api.test_bad_input import assert_error
from tests.controls.helpers import publish_signed

BASE = "/api/v1/orgs/acme"


def test_the_inbox_lists_what_waits_on_me_and_what_i_asked(cast, pending, client_for):
    inbox = reverse("signoff:inbox", args=["acme"])
    mona = client_for(cast.users["manager"]).get(inbox).content.decode()
    waiting = mona[mona.index('data-testid="signoffs-waiting"') :]
    assert "Statement of Applicability v1" in waiting[: waiting.index("</table>")]
    alice = client_for(cast.users["owner"]).get(inbox).content.decode()
    assert 'data-testid="signoffs-none"' in alice and 'data-testid="signoffs-asked"' in alice
    nav = client_for(cast.users["manager"]).get(reverse("web:dashboard", args=["acme"])).content.decode()
    assert inbox in nav, "linked in the navigation for approvers"


def test_the_version_page_offers_the_form_to_the_named_approver_only(cast, pending, client_for):
    url = reverse("controls:version", args=["acme", 1])
    assert 'data-testid="signoff-form"' in client_for(cast.users["manager"]).get(url).content.decode()
    owner_page = client_for(cast.users["owner"]).get(url).content.decode()
    assert 'data-testid="signoff-form"' not in owner_page and 'data-testid="signoff-withdraw"' in owner_page
    assert "Awaiting sign-off" in client_for(cast.users["viewer"]).get(url).content.decode()


def test_signing_on_the_web_approves_the_version_and_returns_to_it(cast, pending, client_for):
    response = client_for(cast.users["manager"]).post(
        reverse("signoff:sign", args=["acme", pending.pk]), {"comment": "Looks right"}
    )
    assert response.status_code == 302 and response["Location"] == reverse("controls:version", args=["acme", 1])
    version = SoAVersion.objects.get(organization=cast.org, number=1)
    assert (version.status, version.approved_by) == ("signed", cast.users["manager"])
    content = client_for(cast.users["viewer"]).get(response["Location"]).content.decode()
    assert "Looks right" in content and "Approved (signed off)" in content


def test_returning_without_a_reason_shows_the_error_on_the_page(cast, pending, client_for):
    response = client_for(cast.users["manager"]).post(reverse("signoff:return", args=["acme", pending.pk]), {})
    assert response.status_code == 400 and b"a reason for returning it is needed" in response.content
    assert SignOffRequest.objects.get(pk=pending.pk).status == "pending"


def test_the_soa_page_names_the_newest_signed_version_as_the_approved_one(cast, pending, client_for):
    signoff_sign(actor=cast.tenant("manager"), request=pending)
    publish_signed(actor=cast.tenant("owner"), approver=cast.users["manager"], sign=False)
    content = client_for(cast.users["viewer"]).get(reverse("controls:soa", args=["acme"])).content.decode()
    approved = content[content.index('data-testid="approved-version"') :]
    approved = approved[: approved.index("</p>")]
    assert "v1</a>, signed off by mona" in approved and 'data-testid="awaiting-version">v2</a>' in approved


def test_the_api_lists_my_requests_and_lets_only_the_approver_decide(cast, pending, api_for):
    mona, alice = api_for(cast.users["manager"], cast.org), api_for(cast.users["owner"], cast.org)
    (mine,) = mona.get(f"{BASE}/signoffs").json()
    assert (mine["id"], mine["requester"], mine["approver"], mine["status"]) == (pending.pk, "alice", "mona", "pending")
    assert alice.get(f"{BASE}/signoffs").json() == []
    assert [s["id"] for s in alice.get(f"{BASE}/signoffs?scope=all").json()] == [pending.pk]

    assert_error(alice.post(f"{BASE}/signoffs/{pending.pk}/sign", json={}), 403, "forbidden")
    assert_error(mona.post(f"{BASE}/signoffs/{pending.pk}/return", json={}), 400, "invalid")
    signed = mona.post(f"{BASE}/signoffs/{pending.pk}/sign", json={"comment": "ok"})
    assert signed.status_code == 200 and signed.json()["status"] == "signed"
    assert_error(mona.post(f"{BASE}/signoffs/{pending.pk}/sign", json={}), 409, "conflict")
    assert SoAVersion.objects.get(organization=cast.org, number=1).approved_by == cast.users["manager"]


def test_another_organizations_request_is_404(cast, pending, api_for, client_for):
    outsider = api_for(cast.users["outsider"], cast.other_org)
    assert_error(outsider.get(f"/api/v1/orgs/globex/signoffs/{pending.pk}"), 404, "not_found")
    assert_error(outsider.post(f"/api/v1/orgs/globex/signoffs/{pending.pk}/sign", json={}), 404, "not_found")
    page = client_for(cast.users["outsider"]).get(reverse("signoff:detail", args=["globex", pending.pk]))
    assert page.status_code == 404


def test_the_publish_api_lists_undecided_controls_unless_confirmed(cast, api_for):
    from openaims.controls.services import controls_adopt_catalog
    from tests.catalog.conftest import load_tiny

    load_tiny()
    controls_adopt_catalog(actor=cast.tenant("owner"), framework_urn="urn:openaims:framework:tiny-1")
    alice = api_for(cast.users["owner"], cast.org)
    error = assert_error(alice.post(f"{BASE}/soa/versions", json={"approver": "mona"}), 409, "undecided_controls")
    assert [d["message"] for d in error["details"]] == ["A.1 is undecided", "A.2 is undecided"]
    assert not SoAVersion.objects.filter(organization=cast.org).exists()
    created = alice.post(f"{BASE}/soa/versions", json={"approver": "mona", "confirm_undecided": True})
    assert created.status_code == 201 and created.json()["status"] == "awaiting_signoff"
