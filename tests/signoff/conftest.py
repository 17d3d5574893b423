from __future__ import annotations

import pytest

from openaims.audittrail.context import audit_context
from openaims.controls.services import SOA_SIGNOFF_KIND, controls_adopt_catalog, soa_publish
from openaims.signoff.selectors import latest_for_subject
from tests.catalog.conftest import load_tiny

TINY = "urn:openaims:framework:tiny-1"


def pending_signoff(cast):
    """SoA v1 of acme published by alice (owner), awaiting mona's (manager) sign-off; idempotent within a test."""
    from openaims.controls.models import SoAVersion

    version = SoAVersion.objects.filter(organization=cast.org, number=1).first()
    if version is None:
        with audit_context(via="test"):
            load_tiny()
            controls_adopt_catalog(actor=cast.tenant("owner"), framework_urn=TINY)
            version = soa_publish(
                actor=cast.tenant("owner"),
                approver=cast.users["manager"],
                note="Ahead of stage 1",
                confirm_undecided=True,
            )
    return latest_for_subject(cast.org, SOA_SIGNOFF_KIND, version.pk)


@pytest.fixture
def pending(cast):
    return pending_signoff(cast)
