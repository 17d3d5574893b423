"""Canonical form, hashing and verification of the audit chain.

The canonical content of an event is its fields joined by the ASCII unit separator (0x1F) behind a
format tag. JSON fields are stored as canonical JSON text, which escapes control characters, and the
text fields are cleaned of control characters when written, so no field can contain the separator
and the framing is unambiguous. `seq` is deliberately *not* hashed: position is given by the links,
which lets verification tell a reordering (links point elsewhere in the chain) from an edit.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass

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


_COLUMNS = (
    "seq, occurred_at_us, actor_id, actor_label, object_type, object_id, object_repr, action, "
    "changes, context, prev_hash, hash"
)
_TABLE = "audittrail_auditevent"


def _where(organization_id: int | None) -> tuple[str, list]:
    if organization_id is None:
        return "organization_id IS NULL", []
    return "organization_id = %s", [organization_id]


def _stream(organization_id: int | None, batch: int = 20_000) -> Iterator[list[tuple]]:
    where, params = _where(organization_id)
    # A server-side cursor on PostgreSQL; SQLite steps through the result as it is fetched. Either
    # way memory stays flat however long the chain is.
    with connection.chunked_cursor() as cursor:
        cursor.execute(f"SELECT {_COLUMNS} FROM {_TABLE} WHERE {where} ORDER BY seq", params)
        while rows := cursor.fetchmany(batch):
            yield rows


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
        return cursor.fetchone()[0]


def verify_chain(organization_id: int | None) -> VerifyResult:
    """Walk one chain in order and report the first broken link, classified by what explains it."""
    key = chain_key(organization_id)
    head = AuditChainHead.objects.filter(chain=key).values_list("last_seq", "last_hash").first()
    head_seq, head_hash = head or (0, GENESIS_HASH)
    org = "" if organization_id is None else organization_id
    prefix = f"{FORMAT}\x1f{org}\x1f"
    sha = _sha256
    prev_seq, prev_hash, checked = 0, GENESIS_HASH, 0

    def broken(problem: str, seq: int, reason: str) -> VerifyResult:
        return VerifyResult(key, False, checked, head_seq, head_hash, problem, seq, reason)

    for rows in _stream(organization_id):
        for seq, ts, actor, label, otype, oid, orepr, action, changes, context, linked, digest in rows:
            # The hot loop: one f-string, one SHA-256, two comparisons per event.
            actor = "" if actor is None else actor
            message = (
                f"{prefix}{ts}\x1f{actor}\x1f{label}\x1f{otype}\x1f{oid}\x1f{orepr}\x1f{action}\x1f"
                f"{changes}\x1f{context}\x1f{linked}"
            )
            content_ok = sha(message.encode()).hexdigest() == digest
            if not (content_ok and linked == prev_hash and seq == prev_seq + 1):
                return _classify(
                    organization_id, broken, head_seq, prev_seq, prev_hash, seq, linked, digest, content_ok
                )
            prev_seq, prev_hash = seq, digest
            checked += 1

    if prev_seq < head_seq:
        return broken("deleted", prev_seq + 1, f"the chain ends at #{prev_seq} but its head records #{head_seq}")
    if prev_seq > head_seq:
        return broken("inserted", head_seq + 1, f"events after the recorded head #{head_seq} were added")
    if prev_hash != head_hash:
        return broken("edited", prev_seq, "the last event was rewritten: its hash differs from the recorded head")
    return VerifyResult(key, True, checked, head_seq, head_hash)


def _classify(
    organization_id,
    broken,
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
