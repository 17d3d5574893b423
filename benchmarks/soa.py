"""SoA at size: 38 Annex A + 200 custom controls, 5,000 risks, 20,000 evidence links.

    python benchmarks/soa.py                 # SQLite in a temp dir
    python benchmarks/soa.py --runs 10

Prints the median server time of the SoA page (through Django's full request stack, test client) and
its query count, beside it the floor (the raw SQL that fetches the same data — each control with its
selecting risks, its requirement links and its current evidence — timed the same way) and the ratio
page/floor, and the time to build the XLSX and PDF exports. The organization, catalog and
controls are created through the services; the bulk rows (risks, risk→control links, evidence and
evidence links) are inserted with bulk_create to keep set-up short — the reads measured are the same.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--custom", type=int, default=200)
    parser.add_argument("--risks", type=int, default=5_000)
    parser.add_argument("--evidence-links", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="aims-bench-soa-")
    os.environ["AIMS_DATA_DIR"] = workdir
    os.environ.pop("AIMS_DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "openaims.settings"
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    import django
    from _floor import floor_text

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    settings.ALLOWED_HOSTS = ["testserver"]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("migrate", verbosity=0)

    from openaims.accounts.services import user_create
    from openaims.catalog.loader import load_catalog
    from openaims.controls import exports
    from openaims.controls.models import Control, ControlEvidence, Evidence
    from openaims.controls.pdf import soa_pdf
    from openaims.controls.selectors import soa_rows
    from openaims.controls.services import control_create_custom, controls_adopt_catalog
    from openaims.risk.models import Risk, RiskControl
    from openaims.tenancy.services import organization_create

    started = time.perf_counter()
    owner = user_create(actor=None, username="bench", password="bench-password-123", validate_password=False)
    org = organization_create(actor=owner, owner=owner, name="Bench Corp", slug="bench")
    load_catalog()
    controls_adopt_catalog(actor=owner, organization=org)
    for i in range(args.custom):
        control_create_custom(actor=owner, organization=org, ref_id=f"ORG-{i:03d}", title=f"Custom control {i}")
    controls = list(Control.objects.filter(organization=org))
    Control.objects.filter(organization=org).update(applicability="included", status="implemented")
    risks = Risk.objects.bulk_create(
        Risk(organization=org, title=f"Risk {i}", created_by=owner) for i in range(args.risks)
    )
    RiskControl.objects.bulk_create(
        (RiskControl(organization=org, risk=risk, control=controls[i % len(controls)]) for i, risk in enumerate(risks)),
        batch_size=2000,
    )
    evidence = Evidence.objects.bulk_create(
        (Evidence(organization=org, title=f"Evidence {i}", created_by=owner) for i in range(args.evidence_links)),
        batch_size=2000,
    )
    ControlEvidence.objects.bulk_create(
        (
            ControlEvidence(organization=org, control=controls[i % len(controls)], evidence=e)
            for i, e in enumerate(evidence)
        ),
        batch_size=2000,
    )
    print(
        f"set-up: {len(controls)} controls, {args.risks:,} risks, {args.evidence_links:,} evidence links "
        f"in {time.perf_counter() - started:.1f} s (SQLite, {workdir})"
    )

    client = Client()
    client.force_login(owner)
    url = "/o/bench/soa/"
    assert client.get(url).status_code == 200  # warm-up (templates, session)
    timings = []
    for _ in range(args.runs):
        with CaptureQueriesContext(connection) as queries:
            t0 = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200
    median = statistics.median(timings)
    floor = [
        (
            'SELECT c.id, c.ref_id, c.title, c."group", c.applicability, c.status, c.justification, n.urn, n.title '
            "FROM controls_control c LEFT JOIN catalog_catalognode n ON n.id = c.catalog_node_id "
            'WHERE c.organization_id = %s ORDER BY c."order", c.ref_id',
            [org.pk],
        ),
        (
            "SELECT rc.control_id, r.id, r.number, r.title FROM risk_riskcontrol rc "
            "JOIN risk_risk r ON r.id = rc.risk_id "
            "WHERE rc.organization_id = %s",
            [org.pk],
        ),
        (
            "SELECT cr.control_id, n.ref_id, n.title FROM controls_controlrequirement cr "
            "JOIN catalog_catalognode n ON n.id = cr.requirement_id WHERE cr.organization_id = %s",
            [org.pk],
        ),
        (
            "SELECT ce.control_id, COUNT(*) FROM controls_controlevidence ce JOIN controls_evidence e "
            "ON e.id = ce.evidence_id WHERE ce.organization_id = %s AND (e.valid_until IS NULL OR e.valid_until >= %s) "
            "GROUP BY ce.control_id",
            [org.pk, date.today()],
        ),
    ]
    print(
        f"SoA page   : median {median:7.1f} ms over {args.runs} runs "
        f"(min {min(timings):.1f}, max {max(timings):.1f}), {len(queries)} queries, "
        f"{len(response.content) / 1024:.0f} KiB | {floor_text(median, floor, args.runs)}"
    )

    t0 = time.perf_counter()
    rows = [row.as_dict() for row in soa_rows(org)]
    print(f"SoA rows   : {(time.perf_counter() - t0) * 1000:7.1f} ms to derive {len(rows)} rows")
    meta = exports.SoAMeta(organization=org.name, slug=org.slug)
    for key in ("xlsx", "csv", "json"):
        t0 = time.perf_counter()
        content = exports.FORMATS[key].render(rows, meta)
        print(f"{key.upper():<11}: {(time.perf_counter() - t0) * 1000:7.1f} ms, {len(content) / 1024:.0f} KiB")
    t0 = time.perf_counter()
    pdf = soa_pdf(rows, meta)
    print(f"PDF        : {(time.perf_counter() - t0) * 1000:7.1f} ms, {len(pdf) / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
