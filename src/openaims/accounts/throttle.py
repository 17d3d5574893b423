"""Progressive delays against password guessing, counted atomically per key.

A login counts against two keys: the (address, account) pair and the account. Each attempt is counted
*before* the password is checked, under a row lock, and the decision is taken on the value that count
produced: parallel guesses cannot all pass a check that each of them read before the others wrote.
The attempt that reaches a key's limit sets a delay (the first `AIMS_LOGIN_DELAY_SECONDS`, doubling with
each further failure, capped at `AIMS_LOGIN_MAX_DELAY_SECONDS`); until it ends, attempts on that key are
refused without a password check and without writing anything. A success undoes its own count (and
clears the pair). A key quiet for `AIMS_LOGIN_WINDOW_SECONDS` after its last failure or delay starts over.

Throttling per pair, not per address, means one client behind a shared NAT slows only the accounts it
guesses at; the per-account limit (higher) slows guessing spread over many addresses.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from openaims.accounts.models import ThrottleCounter
from openaims.lib.errors import Throttled


@dataclass(frozen=True)
class Key:
    """One thing attempts are counted against, with the number of failures it tolerates before a delay."""

    name: str
    limit: int


def login_keys(*, account: str, ip_address: str | None) -> list[Key]:
    account = account.strip().lower()
    return [
        Key(f"login:{ip_address or '-'}|{account}"[:400], settings.AIMS_LOGIN_MAX_FAILURES),
        Key(f"login:*|{account}"[:400], settings.AIMS_LOGIN_ACCOUNT_MAX_FAILURES),
    ]


def reset_keys(*, email: str, ip_address: str | None) -> list[Key]:
    """Password reset requests: per address asked about (mailbox flooding) and per client address."""
    return [
        Key(f"reset:*|{email.strip().lower()}"[:400], settings.AIMS_LOGIN_MAX_FAILURES),
        Key(f"reset:{ip_address or '-'}|*", settings.AIMS_LOGIN_ACCOUNT_MAX_FAILURES),
    ]


def delay_after(failures: int, limit: int) -> timedelta:
    """The delay set by the failure numbered `failures` (>= limit): the base, doubled per failure past the limit."""
    steps = min(failures - limit, 30)
    seconds = min(settings.AIMS_LOGIN_DELAY_SECONDS * 2**steps, settings.AIMS_LOGIN_MAX_DELAY_SECONDS)
    return timedelta(seconds=seconds)


def refusal_message(until: datetime, what: str = "failed attempts") -> str:
    minutes = max(1, math.ceil((until - timezone.now()).total_seconds() / 60))
    return f"Too many {what}. Try again in {minutes} minute{'s' if minutes != 1 else ''}."


def attempt_count(keys: list[Key], *, what: str = "failed attempts") -> None:
    """Count one attempt against every key, or raise Throttled (writing nothing) while one of them is delayed.

    Runs in a transaction of its own, committed before the caller checks the password: the row locks are
    held for a few milliseconds, never for the hasher's time.
    """
    names = sorted({key.name for key in keys})  # one lock order for everyone: no deadlocks
    limits = {key.name: key.limit for key in keys}
    now = timezone.now()
    with transaction.atomic():
        rows = _locked(names)
        _refuse_if_delayed(rows.values(), now, what)
        missing = [ThrottleCounter(key=name, forget_after=now) for name in names if name not in rows]
        if missing:
            # ON CONFLICT DO NOTHING: a parallel first attempt may insert the same key; then lock both rows.
            ThrottleCounter.objects.bulk_create(missing, ignore_conflicts=True)
            rows = _locked(names)
            _refuse_if_delayed(rows.values(), now, what)
        window = timedelta(seconds=settings.AIMS_LOGIN_WINDOW_SECONDS)
        for row in rows.values():
            if row.forget_after <= now:
                row.failures, row.locked_until = 0, None
            row.failures += 1
            if row.failures >= limits[row.key]:
                row.locked_until = now + delay_after(row.failures, limits[row.key])
            row.forget_after = max(now, row.locked_until or now) + window
            row.save(update_fields=["failures", "locked_until", "forget_after"])
    _prune(now)


def attempt_succeeded(keys: list[Key]) -> None:
    """The password was right: the pair (first key) starts over; the others take back this attempt's count."""
    pair, *others = keys
    with transaction.atomic():
        ThrottleCounter.objects.filter(key=pair.name).delete()
        ThrottleCounter.objects.filter(key__in=[k.name for k in others], failures__gt=0).update(
            failures=F("failures") - 1
        )


def _prune(now: datetime) -> None:
    """Delete rows forgotten a while ago (guessed usernames, old addresses): dead weight, never a limit.

    SKIP LOCKED: a row someone is counting right now is left alone, so pruning never waits and never deadlocks.
    """
    with transaction.atomic():
        stale = ThrottleCounter.objects.select_for_update(skip_locked=True).filter(forget_after__lt=now)
        ids = list(stale.values_list("pk", flat=True)[:500])
        if ids:
            ThrottleCounter.objects.filter(pk__in=ids).delete()


def _locked(names: list[str]) -> dict[str, ThrottleCounter]:
    return {row.key: row for row in ThrottleCounter.objects.select_for_update().filter(key__in=names).order_by("key")}


def _refuse_if_delayed(rows: Iterable[ThrottleCounter], now: datetime, what: str) -> None:
    until = max((r.locked_until for r in rows if r.locked_until and r.locked_until > now), default=None)
    if until is not None:
        raise Throttled(refusal_message(until, what))
