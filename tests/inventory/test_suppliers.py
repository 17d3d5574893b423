"""The supplier register (A.10.3): list, contract flags, create, edit, delete and what each supplies."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from openaims.audittrail.models import AuditEvent
from openaims.inventory.models import Supplier
from openaims.inventory.services import part_create, supplier_create
from openaims.inventory.views.part_selectors import contract_flag
from openaims.tenancy.selectors import tenant_of
from tests.inventory.conftest import make_system
from tests.inventory.test_parts import nothing_written
from tests.revisions import revision_of

LIST = reverse("inventory:suppliers", args=["acme"])
NEW = reverse("inventory:supplier_create", args=["acme"])


def url(name, supplier):
    return reverse(f"inventory:{name}", args=["acme", supplier.pk])


def days(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


def add(cast, name, **values) -> Supplier:
    return supplier_create(actor=cast.tenant("owner"), name=name, **values)


def test_it_adds_a_supplier_through_its_page(cast, client_for):
    client = client_for(cast.users["contributor"])
    assert client.get(NEW).status_code == 200
    response = client.post(
        NEW,
        {
            "name": "Hosted LLM Inc.",
            "contact": "legal@llm.example",
            "contract_ref": "MSA-7",
            "contract_ends": "2031-03-31",
        },
    )
    supplier = Supplier.objects.get(organization=cast.org)
    assert response.status_code == 302 and response["Location"] == url("supplier_detail", supplier)
    assert (supplier.contact, supplier.contract_ref, supplier.contract_ends) == (
        "legal@llm.example",
        "MSA-7",
        datetime.date(2031, 3, 31),
    )
    assert AuditEvent.objects.filter(
        object_type="inventory.supplier", object_id=str(supplier.pk), action="create"
    ).exists()


def test_it_refuses_a_second_supplier_of_the_same_name_and_keeps_the_input(cast, client_for):
    add(cast, "Hosted LLM Inc.")
    with nothing_written():
        response = client_for(cast.users["owner"]).post(NEW, {"name": "hosted llm inc.", "contact": "Jo Vendor"})
    assert response.status_code == 400
    assert b"exists" in response.content and b'value="Jo Vendor"' in response.content


def test_it_refuses_a_malformed_contract_date(cast, client_for):
    with nothing_written():
        response = client_for(cast.users["owner"]).post(NEW, {"name": "X", "contract_ends": "next spring"})
    assert response.status_code == 400 and b"Enter a valid date." in response.content


def test_it_edits_a_supplier_through_its_page(cast, client_for):
    supplier = add(cast, "Hosted LLM Inc.")
    client = client_for(cast.users["manager"])
    assert b'value="Hosted LLM Inc."' in client.get(url("supplier_edit", supplier)).content
    data = {"name": "Hosted LLM Ltd.", "contract_ends": "", "revision": revision_of(supplier)}
    response = client.post(url("supplier_edit", supplier), data)
    supplier.refresh_from_db()
    assert response.status_code == 302 and supplier.name == "Hosted LLM Ltd."
    event = AuditEvent.objects.get(object_type="inventory.supplier", object_id=str(supplier.pk), action="update")
    assert event.changes_dict["name"] == ["Hosted LLM Inc.", "Hosted LLM Ltd."]


def test_it_deletes_an_unused_supplier(cast, client_for):
    supplier = add(cast, "Unused")
    response = client_for(cast.users["contributor"]).post(url("supplier_delete", supplier))
    assert response.status_code == 302 and response["Location"] == LIST
    assert not Supplier.objects.filter(pk=supplier.pk).exists()


def test_it_refuses_to_delete_a_supplier_while_components_use_it(cast, client_for, system):
    supplier = add(cast, "Hosted LLM Inc.")
    part_create(actor=cast.tenant("owner"), system=system, kind="component", name="Chat API", supplier=supplier)
    client = client_for(cast.users["owner"])
    with nothing_written():
        response = client.post(url("supplier_delete", supplier), follow=True)
    assert response.redirect_chain[-1][0] == url("supplier_detail", supplier)
    assert b"supplies 1 component(s); reassign or remove them first" in response.content


def test_it_shows_what_a_supplier_supplies_across_systems(cast, client_for):
    supplier = add(cast, "Hosted LLM Inc.")
    owner = cast.users["owner"]
    first = make_system(cast, name="Credit scoring")
    second = make_system(cast, name="Support chatbot", purpose="Answers customer questions")
    part_create(actor=tenant_of(owner), system=first, kind="component", name="Scoring API", supplier=supplier)
    part_create(
        actor=tenant_of(owner),
        system=second,
        kind="component",
        name="Chat API",
        supplier=supplier,
        responsibilities="They host; we review answers.",
    )
    response = client_for(cast.users["viewer"]).get(url("supplier_detail", supplier))
    assert response.status_code == 200
    for text in (b"Scoring API", b"Chat API", b"AIS-1", b"AIS-2"):
        assert text in response.content
    assert b'data-testid="delete-supplier"' not in response.content, "viewers get no delete button"


def test_it_flags_contracts_that_ended_or_end_within_90_days(cast, client_for):
    today = timezone.localdate()
    assert contract_flag(None, today) == ""
    assert contract_flag(days(-1), today) == "ended"
    assert contract_flag(today, today) == "ending"
    assert contract_flag(days(90), today) == "ending"
    assert contract_flag(days(91), today) == ""

    add(cast, "Ended", contract_ends=days(-10))
    add(cast, "Ending", contract_ends=days(30))
    add(cast, "Far", contract_ends=days(400))
    add(cast, "Open-ended")
    client = client_for(cast.users["viewer"])
    content = client.get(LIST).content.decode()
    assert content.count('data-flag="ended"') == 1 and content.count('data-flag="ending"') == 1
    assert "contract ended" in content and "ends within 90 days" in content

    ending = client.get(LIST, {"contract": "ending"}).content.decode()
    assert 'data-supplier="Ending"' in ending and 'data-supplier="Far"' not in ending
    ended = client.get(LIST, {"contract": "ended"}).content.decode()
    assert 'data-supplier="Ended"' in ended and 'data-supplier="Ending"' not in ended
    detail = client.get(url("supplier_detail", Supplier.objects.get(name="Ended"))).content
    assert b'data-testid="contract-flag"' in detail


def test_it_searches_counts_components_and_pages_the_register(cast, client_for, system):
    vendor = add(cast, "Vector DB GmbH", contact="sales@vector.example")
    for i in range(3):
        part_create(actor=cast.tenant("owner"), system=system, kind="component", name=f"c{i}", supplier=vendor)
    for i in range(55):
        add(cast, f"Supplier {i:02}")
    client = client_for(cast.users["viewer"])
    found = client.get(LIST, {"q": "vector.example"}).content.decode()
    assert 'data-supplier="Vector DB GmbH"' in found and "Supplier 01" not in found
    assert '<td class="num">3</td>' in found
    first, second = client.get(LIST).content.decode(), client.get(LIST, {"page": 2}).content.decode()
    assert first.count("data-supplier=") == 50 and second.count("data-supplier=") == 6
    assert "Page 1 of 2" in first
    assert client.get(LIST, {"q": "nothing like this"}).content.count(b"No supplier matches") == 1


def test_it_answers_404_for_a_supplier_of_another_organization(cast, client_for):
    theirs = supplier_create(actor=cast.tenant("outsider"), name="Theirs")
    client = client_for(cast.users["owner"])
    assert client.get(url("supplier_detail", theirs)).status_code == 404
    with nothing_written():
        assert client.post(url("supplier_edit", theirs), {"name": "Mine"}).status_code == 404
        assert client.post(url("supplier_delete", theirs)).status_code == 404


# 4 for every organization page (session, user, the tenant's membership, the layout's organization
# switcher) + the supplier count + one page of suppliers (component counts annotated).
SUPPLIERS_PAGE_QUERIES = 6


@pytest.mark.parametrize("n", [1, 30])
def test_the_register_issues_a_fixed_number_of_queries(cast, client_for, django_assert_num_queries, system, n):
    for i in range(n):
        supplier = add(cast, f"Supplier {i:02}", contract_ends=days(i * 10 - 20))
        part_create(actor=cast.tenant("owner"), system=system, kind="component", name=f"c{i}", supplier=supplier)
    client = client_for(cast.users["owner"])
    client.get(LIST)  # remembers the organization in the session
    with django_assert_num_queries(SUPPLIERS_PAGE_QUERIES):
        response = client.get(LIST)
    assert response.content.count(b"data-supplier=") == n
