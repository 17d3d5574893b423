"""Risk register at size: 20,000 risks over 2,000 AI systems.

    python benchmarks/risk.py                 # SQLite in a temp dir
    python benchmarks/risk.py --runs 10 --risks 50000

Prints the median server time (through Django's full request stack, test client) and the query count
— beside it the floor (the raw SQL that fetches the same data, timed the same way) and the ratio
page/floor — of the heat map, of the register page filtered to one residual level, of the register filtered to one
AI system and of a heat-map cell, plus the time to build the CSV and XLSX exports of a filtered register
and a treatment plan PDF.
The organization and the criteria are created through the services; the bulk rows (systems, risks,
risk→system links, assessments) are inserted with bulk_create to keep set-up short — the reads measured
are the same.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--systems", type=int, default=2_000)
    parser.add_argument("--risks", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--pdf-risks", type=int, default=100, help="risks in the timed treatment plan PDF")
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="aims-bench-risk-")
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
    from django.utils import timezone

    settings.ALLOWED_HOSTS = ["testserver"]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("migrate", verbosity=0)

    from openaims.accounts.services import user_create
    from openaims.inventory.models import AISystem
    from openaims.risk import exports, selectors
    from openaims.risk.models import Risk, RiskAssessment, RiskStatus, RiskSystem
    from openaims.risk.pdf import PlanMeta, treatment_plan_pdf
    from openaims.risk.services import criteria_ensure
    from openaims.tenancy.services import membership_add, organization_create

    rng = random.Random(42)
    started = time.perf_counter()
    owner = user_create(actor=None, username="bench", password="bench-password-123", validate_password=False)
    org = organization_create(actor=owner, owner=owner, name="Bench Corp", slug="bench")
    people = [owner]
    for i, role in enumerate(["manager", "manager", "contributor", "contributor", "contributor"]):
        user = user_create(actor=None, username=f"user{i}", password="bench-password-123", validate_password=False)
        membership_add(actor=owner, organization=org, user=user, role=role)
        people.append(user)
    criteria = criteria_ensure(actor=owner, organization=org)
    data = criteria.data
    systems = AISystem.objects.bulk_create(
        (
            AISystem(
                organization=org,
                number=i + 1,
                name=f"System {i + 1}",
                purpose="Benchmark system",
                role="provider",
                technique="ml",
                created_by=owner,
            )
            for i in range(args.systems)
        ),
        batch_size=2000,
    )
    today = timezone.localdate()
    now = timezone.now()
    risks = []
    for i in range(args.risks):
        il, ic = rng.randint(1, 5), rng.randint(1, 5)
        inherent = data.level_key(il, ic)
        scored = i % 10 != 0  # one in ten only identified
        residual = scored and i % 3 != 0
        rl, rc = (max(1, il - rng.randint(0, 2)), max(1, ic - rng.randint(0, 2))) if residual else (None, None)
        risks.append(
            Risk(
                organization=org,
                number=i + 1,
                title=f"Risk {i + 1}: {rng.choice(['bias', 'drift', 'privacy leak', 'outage', 'misuse'])}",
                description="Benchmark risk",
                owner=people[i % len(people)] if i % 7 else None,
                inherent_likelihood=il if scored else None,
                inherent_consequence=ic if scored else None,
                inherent_level=inherent if scored else "",
                inherent_rank=data.rank(inherent) if scored else None,
                treatment_option="modify" if residual else "",
                residual_likelihood=rl,
                residual_consequence=rc,
                residual_level=data.level_key(rl, rc) if residual else "",
                residual_rank=data.rank(data.level_key(rl, rc)) if residual else None,
                criteria=criteria if scored else None,
                assessed_at=now if scored else None,
                review_date=today + timedelta(days=rng.randint(-60, 300)),
                status=(RiskStatus.ASSESSED if scored else RiskStatus.IDENTIFIED),
                created_by=owner,
            )
        )
    risks = Risk.objects.bulk_create(risks, batch_size=2000)
    RiskSystem.objects.bulk_create(
        (
            RiskSystem(organization=org, risk=risk, system=systems[(i + k * 997) % len(systems)])
            for i, risk in enumerate(risks)
            for k in range(1 + i % 2)
        ),
        batch_size=5000,
    )
    RiskAssessment.objects.bulk_create(
        (
            RiskAssessment(
                organization=org,
                risk=r,
                criteria=criteria,
                inherent_likelihood=r.inherent_likelihood,
                inherent_consequence=r.inherent_consequence,
                inherent_level=r.inherent_level,
                treatment_option=r.treatment_option,
                residual_likelihood=r.residual_likelihood,
                residual_consequence=r.residual_consequence,
                residual_level=r.residual_level,
                assessed_by=owner,
                assessed_at=now,
            )
            for r in risks
            if r.inherent_likelihood is not None
        ),
        batch_size=5000,
    )
    print(
        f"set-up: {args.systems:,} AI systems, {args.risks:,} risks, "
        f"{RiskSystem.objects.count():,} risk→system links in {time.perf_counter() - started:.1f} s "
        f"(SQLite, {workdir})"
    )

    client = Client()
    client.force_login(owner)

    def measure(label: str, url: str, floor: list) -> None:
        assert client.get(url).status_code == 200  # warm-up (templates, session)
        timings = []
        for _ in range(args.runs):
            with CaptureQueriesContext(connection) as queries:
                t0 = time.perf_counter()
                response = client.get(url)
                timings.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200
        median = statistics.median(timings)
        print(
            f"{label:<28}: median {median:7.1f} ms over {args.runs} runs "
            f"(min {min(timings):.1f}, max {max(timings):.1f}), {len(queries)} queries, "
            f"{len(response.content) / 1024:.0f} KiB | {floor_text(median, floor, args.runs)}"
        )

    # The floors: what each page shows, fetched with plain SQL — the page of 50 risks with their owner and
    # systems, the total count, and for the heat map the two grouped counts. Same filters and order as the page.
    org_id, today = org.pk, timezone.localdate()
    columns = (
        "r.id, r.number, r.title, r.inherent_likelihood, r.inherent_consequence, r.inherent_level, "
        "r.treatment_option, r.residual_likelihood, r.residual_consequence, r.residual_level, r.status, "
        "r.review_date, u.username, u.full_name"
    )
    by_residual = (
        "ORDER BY r.residual_rank IS NULL, r.residual_rank DESC, r.inherent_rank IS NULL, r.inherent_rank DESC, "
        "r.number"
    )
    system_join = (
        "r.id IN (SELECT rs.risk_id FROM risk_risksystem rs JOIN inventory_aisystem s ON s.id = rs.system_id "
        "WHERE rs.organization_id = %s AND s.number = %s)"
    )

    def register_floor(where: str, params: list, order: str = by_residual, offset: int = 0) -> list:
        base = f"FROM risk_risk r LEFT JOIN accounts_user u ON u.id = r.owner_id WHERE r.organization_id = %s {where}"
        page = f"SELECT {columns} {base} {order} LIMIT 50 OFFSET {offset}"
        links = (
            "SELECT rs.risk_id, s.number, s.name FROM risk_risksystem rs JOIN inventory_aisystem s "
            f"ON s.id = rs.system_id WHERE rs.risk_id IN (SELECT id FROM ({page}) p) ORDER BY s.number"
        )
        return [
            (f"SELECT COUNT(*) {base}", [org_id, *params]),
            (page, [org_id, *params]),
            (links, [org_id, *params]),
        ]

    def heatmap_floor(where: str = "", params: list = ()) -> list:
        return [
            (
                f"SELECT r.{kind}_likelihood, r.{kind}_consequence, COUNT(*) FROM risk_risk r "
                f"WHERE r.organization_id = %s AND r.status <> 'closed' AND r.{kind}_likelihood IS NOT NULL {where} "
                f"GROUP BY r.{kind}_likelihood, r.{kind}_consequence",
                [org_id, *params],
            )
            for kind in ("inherent", "residual")
        ]

    open_high = "AND r.status <> 'closed' AND r.residual_level = %s"
    measure("heat map", "/o/bench/risks/heatmap/", heatmap_floor())
    measure("register, residual=high", "/o/bench/risks/?residual=high", register_floor(open_high, ["high"]))
    measure(
        "register, page 20",
        "/o/bench/risks/?residual=high&page=20",
        register_floor(open_high, ["high"], offset=19 * 50),
    )
    measure(
        "register, one AI system",
        "/o/bench/risks/?system=AIS-1000",
        register_floor(f"AND r.status <> 'closed' AND {system_join}", [org_id, 1000]),
    )
    measure(
        "register, heat-map cell",
        "/o/bench/risks/?il=4&ic=5&sort=review",
        register_floor(
            "AND r.status <> 'closed' AND r.inherent_likelihood = %s AND r.inherent_consequence = %s",
            [4, 5],
            order="ORDER BY r.review_date IS NULL, r.review_date, r.number",
        ),
    )
    measure(
        "register, search + overdue",
        "/o/bench/risks/?q=drift&overdue=1",
        register_floor(
            "AND r.status <> 'closed' AND (r.title LIKE %s OR r.description LIKE %s) AND r.review_date < %s",
            ["%drift%", "%drift%", today],
        ),
    )
    measure(
        "heat map of one AI system",
        "/o/bench/risks/heatmap/?system=AIS-1000",
        heatmap_floor(f"AND {system_join}", [org_id, 1000]),
    )

    version, criteria_data = selectors.criteria_in_force(org)
    levels = selectors.Levels(criteria_data)
    flt = selectors.RegisterFilter(residual="high")
    t0 = time.perf_counter()
    rows = selectors.decorate(selectors.export_risks(org, flt, current_id=version.pk), levels)
    print(f"{'export rows (residual=high)':<28}: {(time.perf_counter() - t0) * 1000:7.1f} ms for {len(rows):,} risks")
    for name, render in (("CSV", exports.register_csv), ("XLSX", exports.register_xlsx)):
        t0 = time.perf_counter()
        content = render(rows, levels)
        print(f"{name:<28}: {(time.perf_counter() - t0) * 1000:7.1f} ms, {len(content) / 1024:.0f} KiB")
    plan = rows[: args.pdf_risks]
    meta = PlanMeta(organization=org.name, slug=org.slug, criteria_version=version.number)
    t0 = time.perf_counter()
    content = treatment_plan_pdf(plan, meta, levels)
    label = f"treatment plan PDF ({len(plan)})"
    print(f"{label:<28}: {(time.perf_counter() - t0) * 1000:7.1f} ms, {len(content) / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
