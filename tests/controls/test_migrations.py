"""The SoA sign-off migration: versions published before sign-off existed stay the approved ones."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("controls", "0002_control_system"), ("tenancy", "0001_initial")]
AFTER = [("controls", "0003_soa_signoff")]


@pytest.mark.django_db(transaction=True)
def test_existing_versions_become_signed_by_their_recorded_approver_and_numbering_continues(cast):
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    OldVersion = old.get_model("controls", "SoAVersion")
    for number in (1, 2):
        OldVersion.objects.create(
            organization_id=cast.org.pk,
            number=number,
            approved_by_id=cast.users["manager"].pk,
            approved_on=timezone.localdate(),
            published_by_id=cast.users["owner"].pk,
            rows=[],
            content_hash="0" * 64,
        )

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    from openaims.controls.models import SoAVersion
    from openaims.tenancy.models import NumberCounter

    versions = list(SoAVersion.objects.filter(organization=cast.org).order_by("number"))
    assert [(v.status, v.approver_id, v.approved_by_id) for v in versions] == [
        ("signed", cast.users["manager"].pk, cast.users["manager"].pk)
    ] * 2
    assert NumberCounter.objects.get(organization=cast.org, kind="soa_version").last == 2
