"""The floor beside each page figure: the raw SQL (`connection.cursor()`) that fetches the data the page shows,
timed the same way (median of the same number of runs, after one warm-up), and the ratio page / floor.

The floor is what the database alone costs for that data; the ratio says how much the ORM, the templates and
Django's request stack add. A ratio that grows with the data size means the page does more than fetch it.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence

Statement = tuple[str, Sequence]


def median_ms(fn: Callable[[], object], runs: int) -> tuple[float, float, float]:
    """(median, min, max) in milliseconds of `runs` calls of `fn`, after one warm-up call."""
    fn()
    timings = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        timings.append((time.perf_counter() - t0) * 1000)
    return statistics.median(timings), min(timings), max(timings)


def floor_ms(statements: Sequence[Statement], runs: int) -> tuple[float, int]:
    """(median ms, rows) of running every statement through one cursor and fetching all its rows."""
    from django.db import connection

    rows = 0

    def fetch() -> None:
        nonlocal rows
        rows = 0
        with connection.cursor() as cursor:
            for sql, params in statements:
                cursor.execute(sql, list(params))
                rows += len(cursor.fetchall())

    median, _low, _high = median_ms(fetch, runs)
    return median, rows


def floor_text(page_median: float, statements: Sequence[Statement], runs: int) -> str:
    floor, rows = floor_ms(statements, runs)
    ratio = page_median / floor if floor > 0 else float("inf")
    return f"floor {floor:6.1f} ms ({len(statements)} SQL, {rows:,} rows), page/floor {ratio:5.1f}x"
