"""Canonical form, hashing and verification of the audit chain.

The canonical content of an event is its fields joined by the ASCII unit separator (0x1F) behind a
format tag. JSON fields are stored as canonical JSON text, which escapes control characters, and the
text fields are cleaned of control characters when written, so no field can contain the separator
and the framing is unambiguous. `seq` is deliberately *not* hashed: position is given by the links,
which lets verification tell a reordering (links point elsewhere in the chain) from an edit.

Verification is the hot path (`aims audit verify` walks every event of every chain), so on SQLite it
reads rows through a SQL function rather than the cursor (see `_walk_sqlite`), reads one snapshot,
and on a long chain splits the walk over forked processes (see `_plan`). Whatever the route, the
result is the one the plain walk in seq order gives: any doubt sends the walk back to that.
"""

from __future__ import annotations

import gc
import hashlib
import itertools
import os
import pickle
import signal
import sqlite3
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import connection

from openaims.audittrail.models import GENESIS_HASH, AuditChainHead

FORMAT = "aims-audit-v1"
SEP = "\x1f"
_sha256 = hashlib.sha256


def event_hash(
    organization_id: int | None,
    occurred_at_us: int,
    actor_id: int | None,
    actor_label: str,
    object_type: str,
    object_id: str,
    object_repr: str,
    action: str,
    changes: str,
    context: str,
    prev_hash: str,
) -> str:
    org = "" if organization_id is None else organization_id
    actor = "" if actor_id is None else actor_id
    message = (
        f"{FORMAT}\x1f{org}\x1f{occurred_at_us}\x1f{actor}\x1f{actor_label}\x1f{object_type}\x1f"
        f"{object_id}\x1f{object_repr}\x1f{action}\x1f{changes}\x1f{context}\x1f{prev_hash}"
    )
    return _sha256(message.encode()).hexdigest()


def chain_key(organization_id: int | None) -> str:
    return "global" if organization_id is None else str(organization_id)


@dataclass(frozen=True)
class VerifyResult:
    chain: str
    ok: bool
    checked: int
    head_seq: int
    head_hash: str
    problem: str | None = None  # edited | deleted | inserted | reordered
    seq: int | None = None
    reason: str | None = None

    def line(self) -> str:
        if self.ok:
            return f"chain {self.chain}: OK, {self.checked} events, head #{self.head_seq} {self.head_hash}"
        return f"chain {self.chain}: BROKEN at event #{self.seq}: {self.problem}: {self.reason}"


_TABLE = "audittrail_auditevent"
_BATCH = 20_000  # rows per page (SQLite) or per fetch (PostgreSQL)
_PARALLEL_MIN = 200_000  # events; a shorter chain is walked by one process
_MAX_WORKERS = 4
_PARTS_PER_PROCESS = 8
_FUNCTION = "aims_verify_row"
_drain: Callable[[Iterable[object]], None] = deque[object](maxlen=0).extend
# A walk's state, advanced in place by its checker: [last good seq, its hash, failure or None], where a
# failure is (seq, prev_hash, hash, content_ok). A list, not an object, because the hot loop mutates it.
_State = list[Any]
# What a walked part reports: (hash it starts on, last good seq, its hash, failed).
_PartResult = tuple[str, int, str, bool]
# The walk reads these columns; the actor comes back as "" for none, which formats as the hash wants.
_COLUMNS = (
    "seq, occurred_at_us, {actor}, actor_label, object_type, object_id, object_repr, action, "
    "changes, context, prev_hash, hash"
)


def _columns(vendor: str) -> str:
    # SQLite returns what is stored, and str() of it is what was hashed; PostgreSQL needs one type.
    actor = "IFNULL(actor_id, '')" if vendor == "sqlite" else "COALESCE(CAST(actor_id AS TEXT), '')"
    return _COLUMNS.format(actor=actor)


def _where(organization_id: int | None, mark: str = "%s") -> tuple[str, list[int]]:
    if organization_id is None:
        return "organization_id IS NULL", []
    return f"organization_id = {mark}", [organization_id]


def _checker(prefix: str, prev_seq: int, prev_hash: str) -> tuple[_State, Callable[..., None]]:
    """A function that checks the next row of the chain, and the state it advances: [seq, hash, failure].

    `failure` stays None until a row does not follow the last good one; then it holds that row's
    (seq, prev_hash, hash, content_ok) and later rows are ignored. Good rows have consecutive seq
    from 1, so the last good seq is also the count of events checked.
    """
    state: _State = [prev_seq, prev_hash, None]
    sha = _sha256

    def check(
        seq: int,
        ts: int,
        actor: int | str,
        label: str,
        otype: str,
        oid: str,
        orepr: str,
        action: str,
        changes: str,
        context: str,
        linked: str,
        digest: str,
    ) -> None:
        # The hot loop: one f-string, one SHA-256, three comparisons per event.
        if state[2] is not None:
            return
        message = (
            f"{prefix}{ts}\x1f{actor}\x1f{label}\x1f{otype}\x1f{oid}\x1f{orepr}\x1f{action}\x1f"
            f"{changes}\x1f{context}\x1f{linked}"
        )
        content_ok = sha(message.encode()).hexdigest() == digest
        if content_ok and linked == state[1] and seq == state[0] + 1:
            state[0] = seq
            state[1] = digest
        else:
            state[2] = (seq, linked, digest, content_ok)

    return state, check


def _walk_cursor(organization_id: int | None, check: Callable[..., None], state: _State) -> None:
    """Feed the chain's rows in seq order to `check` through a server-side cursor (PostgreSQL)."""
    where, params = _where(organization_id)
    with connection.chunked_cursor() as cursor:
        cursor.execute(f"SELECT {_columns(connection.vendor)} FROM {_TABLE} WHERE {where} ORDER BY seq", params)
        while rows := cursor.fetchmany(_BATCH):
            for row in rows:
                check(*row)
            if state[2] is not None:
                return


def _walk_sqlite(
    raw: sqlite3.Connection,
    organization_id: int | None,
    check: Callable[..., None],
    state: _State,
    after: int | None = None,
    upto: int | None = None,
) -> None:
    """Feed the rows with `after` < seq <= `upto` to `check` in seq order, in keyset pages.

    Python's sqlite3 module is slow at building result rows (it releases and retakes the GIL for every
    column); the arguments of a SQL function are converted a good deal faster. So `check` is
    registered as one and each page is `SELECT check(columns...) ... ORDER BY seq LIMIT n`.
    """
    where, params = _where(organization_id, "?")
    if upto is not None:
        where, params = f"{where} AND seq <= ?", [*params, upto]
    select = f"SELECT {_FUNCTION}({_columns('sqlite')}) FROM {_TABLE} WHERE {where}"
    raw.create_function(_FUNCTION, 12, check)
    try:
        while True:
            start = state[0]
            if after is None:
                cursor = raw.execute(f"{select} ORDER BY seq LIMIT ?", [*params, _BATCH])
            else:
                cursor = raw.execute(f"{select} AND seq > ? ORDER BY seq LIMIT ?", [*params, after, _BATCH])
            _drain(cursor)  # the rows are all NULL: the work is done in `check`
            # A full page of good rows moved the checked seq on by exactly _BATCH: there may be more.
            if state[2] is not None or state[0] - start != _BATCH:
                return
            after = state[0]
    finally:
        raw.create_function(_FUNCTION, 12, None)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic garbage collection during a walk: it allocates no cycles, only many short-lived tuples."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _head(key: str) -> tuple[int, str]:
    head = AuditChainHead.objects.filter(chain=key).values_list("last_seq", "last_hash").first()
    return head or (0, GENESIS_HASH)


def verify_chain(organization_id: int | None) -> VerifyResult:
    """Walk one chain in order and report the first broken link, classified by what explains it."""
    key = chain_key(organization_id)
    org = "" if organization_id is None else organization_id
    prefix = f"{FORMAT}\x1f{org}\x1f"
    state, check = _checker(prefix, 0, GENESIS_HASH)
    if connection.vendor != "sqlite":
        head_seq, head_hash = _head(key)
        _walk_cursor(organization_id, check, state)
        return _result(organization_id, key, head_seq, head_hash, state)

    plan = _plan(organization_id, key)  # closes the connection when it forks
    with _gc_paused():
        return _verify_sqlite(organization_id, key, prefix, plan, state, check)


def _verify_sqlite(
    organization_id: int | None, key: str, prefix: str, plan: _Plan, state: _State, check: Callable[..., None]
) -> VerifyResult:
    claims: int | None = None
    workers: list[_Worker] = []
    if plan.bounds:
        claims = _claims(len(plan.bounds) - 1)
        args = (plan.path, organization_id, prefix, plan.bounds, claims)
        workers = [_Worker(_walk_parts_alone, *args) for _ in range(plan.children)]
    try:
        connection.ensure_connection()
        raw = connection.connection
        # One read transaction, so the head and every page come from the same snapshot.
        own = not connection.in_atomic_block and not raw.in_transaction
        if own:
            raw.execute("BEGIN DEFERRED")
        try:
            head_seq, head_hash = _head(key)
            after = None
            if workers and claims is not None:
                parts = _walk_parts(raw, organization_id, prefix, plan.bounds, claims)
                for worker in workers:
                    parts.update(worker.join() or {})
                # Chain the parts in order while each starts on the event where the chain so far ends.
                for i, (lo, hi) in enumerate(itertools.pairwise(plan.bounds)):
                    part = parts.get(i)
                    if part is None or part[3] or state[0] != lo or part[0] != state[1]:
                        break
                    state[0], state[1], after = part[1], part[2], hi
            # The rest (all of it, or from the first part that did not chain on) one row after the other.
            _walk_sqlite(raw, organization_id, check, state, after=after)
            return _result(organization_id, key, head_seq, head_hash, state)
        finally:
            if own and raw.in_transaction:
                raw.execute("COMMIT")
    finally:
        for worker in workers:
            worker.stop()
        if claims is not None:
            os.close(claims)


def _result(organization_id: int | None, key: str, head_seq: int, head_hash: str, state: _State) -> VerifyResult:
    prev_seq, prev_hash, failure = state
    checked = prev_seq

    def broken(problem: str, seq: int, reason: str) -> VerifyResult:
        return VerifyResult(key, False, checked, head_seq, head_hash, problem, seq, reason)

    if failure is not None:
        seq, linked, digest, content_ok = failure
        return _classify(organization_id, broken, head_seq, prev_seq, prev_hash, seq, linked, digest, content_ok)
    if prev_seq < head_seq:
        return broken("deleted", prev_seq + 1, f"the chain ends at #{prev_seq} but its head records #{head_seq}")
    if prev_seq > head_seq:
        return broken("inserted", head_seq + 1, f"events after the recorded head #{head_seq} were added")
    if prev_hash != head_hash:
        return broken("edited", prev_seq, "the last event was rewritten: its hash differs from the recorded head")
    return VerifyResult(key, True, checked, head_seq, head_hash)


# --- the walk over several processes (SQLite) -------------------------------------------------------


@dataclass(frozen=True)
class _Plan:
    path: str = ""
    bounds: tuple[int, ...] = ()  # part i is bounds[i] < seq <= bounds[i + 1]
    children: int = 0


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _plan(organization_id: int | None, key: str) -> _Plan:
    """How to split the walk: into parts that this process and forked children claim one by one.

    Only for a long chain in a SQLite file, outside a transaction (a child would not see its writes)
    and in a process with no other thread (fork copies only the calling one). The children open
    their own connections, so this one is closed first: no SQLite state is carried across the fork.
    Parts are small, so a process slowed by others on the machine simply claims fewer of them.
    """
    processes = min(_MAX_WORKERS, _cpus())
    if processes < 2 or not hasattr(os, "fork") or connection.in_atomic_block or threading.active_count() != 1:
        return _Plan()
    path = os.fspath(connection.settings_dict["NAME"])
    # SQLite's wrapper has is_in_memory_db (the base class does not; this runs on SQLite only).
    if connection.is_in_memory_db() or not os.path.isfile(path):  # type: ignore[attr-defined]
        return _Plan()
    head_seq, _ = _head(key)  # only to size the parts; the walk reads the head again, in its snapshot
    if head_seq < _PARALLEL_MIN:
        return _Plan()
    parts = min(_PARTS_PER_PROCESS * processes, 255)
    connection.close()
    return _Plan(path, tuple(head_seq * i // parts for i in range(parts + 1)), processes - 1)


def _claims(parts: int) -> int:
    """A pipe holding one byte per part: reading a byte claims that part (reads of a pipe are atomic)."""
    read, write = os.pipe()
    os.write(write, bytes(range(parts)))
    os.close(write)  # once the bytes are gone a read returns b"", not waits
    return read


def _walk_parts(
    raw: sqlite3.Connection, organization_id: int | None, prefix: str, bounds: tuple[int, ...], claims: int
) -> dict[int, _PartResult]:
    """Walk the parts this process claims: {part: (hash it starts on, last good seq, its hash, failed)}.

    Each part is checked on its own, starting from the stored hash of the event it follows (none
    when that event is missing), and stops at its first bad row; the parent decides what counts.
    """
    results: dict[int, _PartResult] = {}
    while claimed := os.read(claims, 1):
        i = claimed[0]
        lo, hi = bounds[i], bounds[i + 1]
        if lo == 0:
            start, after = GENESIS_HASH, None
        else:
            where, params = _where(organization_id, "?")
            row = raw.execute(f"SELECT hash FROM {_TABLE} WHERE {where} AND seq = ?", [*params, lo]).fetchone()
            if row is None:
                continue
            start, after = row[0], lo
        state, check = _checker(prefix, lo, start)
        _walk_sqlite(raw, organization_id, check, state, after=after, upto=hi)
        results[i] = (start, state[0], state[1], state[2] is not None)
    return results


def _walk_parts_alone(
    path: str, organization_id: int | None, prefix: str, bounds: tuple[int, ...], claims: int
) -> dict[int, _PartResult]:
    """`_walk_parts` in a forked child, on a connection of its own (garbage collection stays paused)."""
    raw = sqlite3.connect(path, timeout=20, isolation_level=None)
    try:
        raw.execute("PRAGMA mmap_size = 1073741824")  # this connection only reads: map the file, skip a copy
        raw.execute("BEGIN DEFERRED")
        return _walk_parts(raw, organization_id, prefix, bounds, claims)
    finally:
        raw.close()


class _Worker:
    """A forked child running function(*args), and the pipe its pickled result comes back on."""

    def __init__(self, function: Callable[..., dict[int, _PartResult]], *args: object) -> None:
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: report through the pipe and leave without running any clean-up
            code = 1
            try:
                os.close(read)
                with os.fdopen(write, "wb") as out:
                    out.write(pickle.dumps(function(*args)))
                code = 0
            finally:
                os._exit(code)
        os.close(write)
        self.pid, self.reaped = pid, False
        self.read: int | None = read

    def join(self) -> dict[int, _PartResult] | None:
        """The child's result, or None if it failed."""
        read, self.read = self.read, None
        assert read is not None, "joined twice"
        with os.fdopen(read, "rb") as pipe:
            data = pipe.read()
        _, status = os.waitpid(self.pid, 0)
        self.reaped = True
        result: dict[int, _PartResult] | None = pickle.loads(data) if status == 0 and data else None
        return result

    def stop(self) -> None:
        """Kill the child if it has not been joined, and reap it."""
        if self.read is not None:
            os.close(self.read)
            self.read = None
        if not self.reaped:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
            self.reaped = True


# --- classification of the first bad event -----------------------------------------------------------


def _lookup_seq_by_hash(organization_id: int | None, digest: str) -> int | None:
    where, params = _where(organization_id)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT seq FROM {_TABLE} WHERE {where} AND hash = %s ORDER BY seq LIMIT 1", [*params, digest])
        row = cursor.fetchone()
    return row[0] if row else None


def _prev_hash_at(organization_id: int | None, seq: int) -> str | None:
    where, params = _where(organization_id)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT prev_hash FROM {_TABLE} WHERE {where} AND seq = %s", [*params, seq])
        row = cursor.fetchone()
    return row[0] if row else None


def _count(organization_id: int | None) -> int:
    where, params = _where(organization_id)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {_TABLE} WHERE {where}", params)
        count: int = cursor.fetchone()[0]
    return count


def _classify(
    organization_id: int | None,
    broken: Callable[[str, int, str], VerifyResult],
    head_seq: int,
    prev_seq: int,
    prev_hash: str,
    seq: int,
    linked: str,
    digest: str,
    content_ok: bool,
) -> VerifyResult:
    """Explain why event `seq` does not follow the verified event `prev_seq` (runs once, on failure).

    The simplest tampering that explains what is seen wins; every test is a query or two, never a
    second walk.
    """
    if linked == prev_hash and seq == prev_seq + 1:
        # In place and linked to its predecessor, but its content does not match its hash.
        if seq > head_seq:
            return broken("inserted", seq, f"it stands after the recorded chain head #{head_seq}")
        if _prev_hash_at(organization_id, seq + 1) == prev_hash:
            return broken("inserted", seq, "the event after it links past it, to its predecessor")
        return broken("edited", seq, "its content no longer matches its hash (a field was changed)")
    if content_ok:
        first = _lookup_seq_by_hash(organization_id, digest)
        if first is not None and first < seq:
            return broken("inserted", seq, f"it is a copy of event #{first}")
    target = 0 if linked == GENESIS_HASH else _lookup_seq_by_hash(organization_id, linked)
    if target is not None and target >= seq:
        return broken("reordered", seq, f"it links to event #{target}, which now stands after it")
    if target is not None and target < prev_seq:
        return broken(
            "inserted",
            target + 1,
            f"event #{seq} links to #{target}, so #{target + 1}..#{prev_seq} were put in between",
        )
    if seq > head_seq:
        return broken("inserted", seq, f"it stands after the recorded chain head #{head_seq}")
    if seq > prev_seq + 1:
        return broken("deleted", prev_seq + 1, f"events #{prev_seq + 1}..#{seq - 1} are missing")
    if target is None:
        # The predecessor this event names exists nowhere in the chain.
        if _prev_hash_at(organization_id, seq + 1) == prev_hash:
            return broken("inserted", seq, "the event after it links past it, to its predecessor")
        if not content_ok:
            return broken("edited", seq, "its content no longer matches its hash (a field was changed)")
        count = _count(organization_id)
        if count < head_seq:
            return broken(
                "deleted",
                seq,
                f"it links to a hash no event has and the chain holds {count} events where its head records "
                f"{head_seq}: events before it were removed and the rest renumbered",
            )
        if prev_seq == 0:
            return broken("edited", seq, "the first event links to a hash no event has: it was rewritten and rehashed")
        return broken(
            "edited",
            prev_seq,
            f"event #{seq} links to a hash no event has: #{prev_seq} was rewritten and rehashed, or replaced",
        )
    return broken("reordered", seq, f"it links to event #{target} instead of #{prev_seq}")
