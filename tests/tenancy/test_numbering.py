"""Per-organization numbers from one allocator: AIS-, R-, IA- and SoA versions start at 1 in every organization."""

from __future__ import annotations

import threading

import pytest
from django.apps import apps
from django.db import connection, connections, transaction

from openaims.audittrail.context import audit_context
from openaims.tenancy.models import NumberCounter
from openaims.tenancy.numbering import counters_from_existing, next_number
from tests.impact.conftest import make_assessment, make_system
from tests.risk.conftest import make_risk


def test_a_new_organizations_first_records_are_number_one_whatever_the_others_hold(cast):
    with audit_context(via="test"):
        for name in ("One", "Two"):
            make_assessment(cast, make_system(cast, name))  # acme: two systems, two assessments, two risks
            make_risk(cast)
        from openaims.impact.services import impact_assessment_create
        from openaims.risk.services import risk_create

        system = make_system(cast, "Globex bot", org=cast.other_org)
        assessment = impact_assessment_create(actor=cast.tenant("outsider"), system=system)
        risk = risk_create(actor=cast.tenant("outsider"), title="Globex risk")
    assert (system.ref, assessment.ref, risk.number) == ("AIS-1", "IA-1", 1)


def test_a_new_version_of_an_assessment_keeps_its_number(cast):
    from openaims.impact.models import ImpactAssessment

    with audit_context(via="test"):
        first = make_assessment(cast)
        second = make_assessment(cast, make_system(cast, "Second"))
    assert (first.ref, second.ref) == ("IA-1", "IA-2")
    assert ImpactAssessment.objects.filter(number=1, organization=cast.org).count() == 1


@pytest.mark.django_db(transaction=True)
def test_it_refuses_to_allocate_outside_a_transaction(cast):
    with pytest.raises(RuntimeError, match="inside the caller's transaction"):
        next_number(cast.org, "risk")


def test_a_rolled_back_create_gives_its_number_back(cast):
    with transaction.atomic():
        assert next_number(cast.org, "thing") == 1
    try:
        with transaction.atomic():
            assert next_number(cast.org, "thing") == 2
            raise RuntimeError("the create failed")
    except RuntimeError:
        pass
    with transaction.atomic():
        assert next_number(cast.org, "thing") == 2
    with transaction.atomic():
        assert next_number(cast.other_org, "thing") == 1, "each organization counts on its own"


def test_the_migration_starts_each_counter_at_the_highest_number_in_use(cast):
    with audit_context(via="test"):
        make_risk(cast)
        make_risk(cast)
    NumberCounter.objects.filter(kind="risk").delete()
    counters_from_existing(apps, "risk.Risk", "risk")
    assert NumberCounter.objects.get(organization=cast.org, kind="risk").last == 2
    assert not NumberCounter.objects.filter(organization=cast.other_org, kind="risk").exists()
    with audit_context(via="test"):
        assert make_risk(cast).number == 3


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL")
def test_concurrent_first_allocations_get_distinct_numbers_on_postgresql(cast):
    barrier = threading.Barrier(8)
    results, errors = [], []

    def allocate():
        try:
            barrier.wait()
            with transaction.atomic():
                results.append(next_number(cast.org, "race"))
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=allocate) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(results) == list(range(1, 9))
