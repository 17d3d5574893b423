"""The JSON Lines export (web and API): one event per line, oldest first, re-verifiable offline."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from openaims.audittrail.chain import event_hash
from openaims.audittrail.models import GENESIS_HASH, AuditEvent
from openaims.comments.services import comment_add
from openaims.tenancy.models import Membership
from openaims.tenancy.selectors import tenant_of
from openaims.tenancy.services import membership_change_role, organization_update

TRICKY = 'Line one\nLine two, "quoted", tab\there, unicode ✓ — ünïcödé, and a \x1f separator'


@pytest.fixture
def history(cast):
    """Some varied events in acme: an update, a role change and a comment with awkward characters."""
    owner = cast.users["owner"]
    organization_update(actor=tenant_of(owner, cast.org), name="Acme AI", description="Models & more")
    vera = Membership.objects.get(organization=cast.org, user=cast.users["viewer"])
    membership_change_role(actor=tenant_of(owner), membership=vera, role="contributor")
    comment_add(actor=cast.tenant("auditor"), target=vera, body=TRICKY)
    return cast


def web_export(client_for, cast, **params) -> tuple[object, bytes]:
    response = client_for(cast.users["auditor"]).get(reverse("audittrail:export", args=["acme"]), params)
    return response, b"".join(response.streaming_content)


def api_export(api_for, cast, **params) -> tuple[object, bytes]:
    api = api_for(cast.users["auditor"], cast.org)
    query = "&".join(f"{k}={v}" for k, v in params.items())
    response = api.get(f"/api/v1/orgs/acme/audit/events.jsonl{'?' + query if query else ''}")
    return response, b"".join(response.streaming_content)


EXPORTS = {"web": web_export, "api": api_export}


@pytest.fixture(params=list(EXPORTS))
def export(request, client_for, api_for):
    def run(cast, **params):
        fixture = client_for if request.param == "web" else api_for
        return EXPORTS[request.param](fixture, cast, **params)

    return run


def parse(body: bytes) -> list[dict]:
    text = body.decode("utf-8")
    assert text.endswith("\n")
    lines = text.split("\n")[:-1]
    assert all(line.strip() for line in lines), "no blank lines"
    return [json.loads(line) for line in lines]


def rehash(line: dict) -> str:
    return event_hash(
        line["organization_id"],
        line["occurred_at_us"],
        line["actor_id"],
        line["actor"],
        line["object_type"],
        line["object_id"],
        line["object_repr"],
        line["action"],
        line["changes_canonical"],
        line["context_canonical"],
        line["prev_hash"],
    )


def test_it_streams_ndjson_as_an_attachment(history, export):
    response, _body = export(history)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-ndjson"
    assert response["Content-Disposition"].startswith('attachment; filename="audit-acme')
    assert response["Content-Disposition"].endswith('.jsonl"')


def test_it_writes_one_json_object_per_line_oldest_first(history, export):
    _response, body = export(history)

    lines = parse(body)
    stored = AuditEvent.objects.filter(organization=history.org).order_by("seq")
    assert len(lines) == stored.count() >= 9
    assert [line["seq"] for line in lines] == list(range(1, len(lines) + 1))
    assert all(isinstance(line, dict) for line in lines)
    assert [line["hash"] for line in lines] == [e.hash for e in stored]
    assert {line["organization_id"] for line in lines} == {history.org.pk}
    comment = next(line for line in lines if line["action"] == "comment")
    assert comment["changes"] == {"comment": [None, TRICKY]}
    assert "\n" not in comment["changes_canonical"], "a newline in a comment stays inside its line"


def test_each_line_rehashes_to_its_stored_hash_and_links_to_the_one_before(history, export):
    _response, body = export(history)

    lines = parse(body)
    previous = GENESIS_HASH
    for line in lines:
        assert line["prev_hash"] == previous, f"event #{line['seq']} links to its predecessor"
        assert rehash(line) == line["hash"], f"event #{line['seq']} re-hashes to its hash"
        assert json.loads(line["changes_canonical"]) == line["changes"]
        assert json.loads(line["context_canonical"]) == line["context"]
        previous = line["hash"]


def test_a_changed_field_no_longer_rehashes(history, export):
    _response, body = export(history)
    line = next(
        line for line in parse(body) if line["object_type"] == "tenancy.membership" and line["action"] == "update"
    )

    line["changes_canonical"] = line["changes_canonical"].replace("contributor", "owner")

    assert rehash(line) != line["hash"]


def test_a_filtered_export_keeps_the_hashes_of_the_matching_events(history, export):
    _response, body = export(history, action="update")

    lines = parse(body)
    assert [line["action"] for line in lines] == ["update", "update"]
    assert all(rehash(line) == line["hash"] for line in lines)
    assert lines[0]["seq"] < lines[1]["seq"]


def test_it_exports_nothing_of_other_organizations_or_the_global_chain(history, export):
    _response, body = export(history)

    exported = {line["hash"] for line in parse(body)}
    elsewhere = set(AuditEvent.objects.exclude(organization=history.org).values_list("hash", flat=True))
    assert elsewhere
    assert exported.isdisjoint(elsewhere)


def test_it_refuses_roles_without_the_audit_log(history, client_for, api_for):
    assert client_for(history.users["viewer"]).get(reverse("audittrail:export", args=["acme"])).status_code == 403
    api = api_for(history.users["contributor"], history.org)
    assert api.get("/api/v1/orgs/acme/audit/events.jsonl").status_code == 403
