"""The AI system register at size: 5,000 systems with 20,000 models and datasets.

    python benchmarks/inventory.py             # SQLite in a temp dir
    python benchmarks/inventory.py --runs 10

Prints the median server time (Django's full request stack, test client) and the query count of the
register page unfiltered, with filters, with a search, sorted, and of one system's detail page — beside
each the floor (the raw SQL that fetches the same data, timed the same way) and the ratio page/floor — — for a
system with no parts and for one with many, to show the detail page's query count does not grow.
The organization and a handful of systems are created through the services; the bulk rows are inserted
with bulk_create to keep set-up short (the reads measured are the same).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--systems", type=int, default=5_000)
    parser.add_argument("--parts", type=int, default=20_000, help="models + datasets, half each")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="aims-bench-inventory-")
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
    from openaims.inventory.models import AIModel, AISystem, Dataset
    from openaims.inventory.services import part_create, system_create
    from openaims.inventory.vocabulary import lifecycle, vocabulary
    from openaims.tenancy.services import membership_add, organization_create

    started = time.perf_counter()
    owner = user_create(actor=None, username="bench", password="bench-password-123", validate_password=False)
    engineer = user_create(actor=None, username="eng", password="bench-password-123", validate_password=False)
    org = organization_create(actor=owner, owner=owner, name="Bench Corp", slug="bench")
    membership_add(actor=owner, organization=org, user=engineer, role="contributor")
    load_catalog()
    vocab = vocabulary()
    roles, techniques = sorted(vocab.keys("roles")), sorted(vocab.keys("techniques"))
    stages, crit = lifecycle().keys, sorted(vocab.keys("criticality"))
    classes = ["unclassified", "minimal", "limited_risk", "high_risk"]
    words = ["credit", "triage", "fraud", "chat", "vision", "forecast", "ranking", "routing", "summary", "pricing"]
    seeded = system_create(
        actor=owner, organization=org, name="Seeded system", purpose="Created through the service", role="provider",
        technique="ml", business_owner=owner, technical_owner=engineer,
    )  # fmt: skip
    AISystem.objects.bulk_create(
        (
            AISystem(
                organization=org,
                number=i + 2,
                name=f"{words[i % 10].title()} system {i}",
                purpose=f"Bench purpose {i} about {words[(i * 7) % 10]}",
                role=roles[i % len(roles)],
                technique=techniques[i % len(techniques)],
                stage=stages[i % len(stages)],
                criticality=crit[i % len(crit)],
                risk_class=classes[i % len(classes)],
                business_owner=owner if i % 3 else engineer,
                technical_owner=engineer,
                created_by=owner,
            )
            for i in range(args.systems - 1)
        ),
        batch_size=2000,
    )
    systems = list(AISystem.objects.filter(organization=org).values_list("pk", flat=True))
    half = args.parts // 2
    AIModel.objects.bulk_create(
        (
            AIModel(organization=org, system_id=systems[i % len(systems)], name=f"model-{i}", version=str(i % 5))
            for i in range(half)
        ),
        batch_size=2000,
    )
    Dataset.objects.bulk_create(
        (Dataset(organization=org, system_id=systems[i % len(systems)], name=f"data-{i}") for i in range(half)),
        batch_size=2000,
    )
    for i in range(20):  # one system with many parts, through the services
        part_create(actor=owner, system=seeded, kind="model", name=f"seeded-model-{i}", version="1")
        part_create(actor=owner, system=seeded, kind="dataset", name=f"seeded-data-{i}", source="bench")
    empty = system_create(actor=owner, organization=org, name="Empty system", purpose="No parts", role="user",
                          technique="rules")  # fmt: skip
    print(
        f"set-up: {AISystem.objects.filter(organization=org).count():,} systems, "
        f"{AIModel.objects.count() + Dataset.objects.count():,} models and datasets "
        f"in {time.perf_counter() - started:.1f} s (SQLite, {workdir})"
    )

    client = Client()
    client.force_login(owner)

    def measure(label: str, url: str, floor: list) -> None:
        assert client.get(url).status_code == 200, url  # warm-up (templates, session)
        timings = []
        for _ in range(args.runs):
            with CaptureQueriesContext(connection) as queries:
                t0 = time.perf_counter()
                response = client.get(url)
                timings.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200
        median = statistics.median(timings)
        print(
            f"{label:<34}: median {median:7.1f} ms over {args.runs} runs "
            f"(min {min(timings):.1f}, max {max(timings):.1f}), {len(queries):2d} queries, "
            f"{len(response.content) / 1024:.0f} KiB | {floor_text(median, floor, args.runs)}"
        )

    # The floors: a page of 50 systems with both owners and the total count; for the detail page the system
    # row with its owners and each kind of part. Same filters and order as the page.
    org_id = org.pk
    columns = (
        "s.id, s.number, s.name, s.purpose, s.role, s.technique, s.stage, s.criticality, s.risk_class, "
        "b.username, b.full_name, t.username, t.full_name"
    )
    joins = (
        "FROM inventory_aisystem s LEFT JOIN accounts_user b ON b.id = s.business_owner_id "
        "LEFT JOIN accounts_user t ON t.id = s.technical_owner_id WHERE s.organization_id = %s"
    )

    def register_floor(where: str = "", params: list = (), order: str = "s.number", offset: int = 0) -> list:
        return [
            (f"SELECT COUNT(*) {joins} {where}", [org_id, *params]),
            (f"SELECT {columns} {joins} {where} ORDER BY {order} LIMIT 50 OFFSET {offset}", [org_id, *params]),
        ]

    def detail_floor(pk: int) -> list:
        parts = [
            (f"SELECT * FROM inventory_{table} WHERE system_id = %s ORDER BY name", [pk])
            for table in ("aimodel", "dataset", "component", "resource")
        ]
        return [(f"SELECT s.*, b.username, t.username {joins} AND s.id = %s", [org_id, pk]), *parts]

    base = "/o/bench/systems/"
    measure("register, first page", base, register_floor())
    measure(
        "register, stage+risk class filter",
        f"{base}?stage=deployment&risk_class=high_risk",
        register_floor("AND s.stage = %s AND s.risk_class = %s", ["deployment", "high_risk"]),
    )
    measure(
        "register, owner+role filter",
        f"{base}?owner=eng&role=provider",
        register_floor("AND (b.username = %s OR t.username = %s) AND s.role = %s", ["eng", "eng", "provider"]),
    )
    measure(
        "register, search 'fraud'",
        f"{base}?q=fraud",
        register_floor("AND (s.name LIKE %s OR s.purpose LIKE %s)", ["%fraud%", "%fraud%"]),
    )
    measure(
        "register, sorted by name, page 40",
        f"{base}?sort=name&page=40",
        register_floor(order="s.name, s.number", offset=39 * 50),
    )
    measure("system detail, 40 parts", f"{base}{seeded.pk}/", detail_floor(seeded.pk))
    measure("system detail, no parts", f"{base}{empty.pk}/", detail_floor(empty.pk))
    t0 = time.perf_counter()
    response = client.get(f"{base}export.xlsx")
    assert response.status_code == 200
    print(f"{'register XLSX export (all)':<34}: {(time.perf_counter() - t0) * 1000:7.1f} ms, "
          f"{len(response.content) / 1024:.0f} KiB")  # fmt: skip


if __name__ == "__main__":
    main()
