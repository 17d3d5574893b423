"""Tampering with the audit trail directly in the database is detected, classified and located.

Each test builds a 10-event chain for cast.org ("acme") through the services, changes rows with SQL
behind the application's back, and checks both `verify_chain` and `aims audit verify --org acme`.
"""

from __future__ import annotations

import pytest

from openaims.audittrail.chain import verify_chain
from openaims.audittrail.models import GENESIS_HASH, AuditChainHead, AuditEvent
from openaims.audittrail.services import EventSpec, record_events_bulk
from tests.audittrail import (
    CHAIN_LENGTH,
    as_superuser,
    assert_broken,
    assert_ok,
    build_chain,
    delete,
    edit,
    insert,
    rehash,
    row,
    set_seq,
    shift,
    swap,
)

pytestmark = pytest.mark.django_db

GARBAGE = "f" * 64  # a hash no event has
GARBAGE_LINK = "e" * 64  # a link to no event
EDITS = [
    ("changes", '{"role":["viewer","owner"]}'),
    ("action", "delete"),
    ("actor_label", "mallory"),
    ("object_repr", "someone else in Acme AI"),
]


@pytest.fixture
def org(cast):
    build_chain(cast)
    return cast.org


# --- untouched ---------------------------------------------------------------------------------


def test_an_untouched_chain_verifies(org):
    result = verify_chain(org.pk)
    last = row(org, CHAIN_LENGTH)
    assert result.ok and result.problem is None and result.seq is None
    assert (result.checked, result.head_seq, result.head_hash) == (CHAIN_LENGTH, CHAIN_LENGTH, last.hash)
    assert result.line() == f"chain {org.pk}: OK, {CHAIN_LENGTH} events, head #{CHAIN_LENGTH} {last.hash}"


def test_a_chain_with_no_events_verifies():
    result = verify_chain(987654)
    assert result.ok and (result.checked, result.head_seq, result.head_hash) == (0, 0, GENESIS_HASH)


def test_events_with_any_text_and_no_actor_verify(org, cast):
    """Non-ASCII text (stored as is: canonical JSON does not escape it) and events with no actor."""
    owner = cast.user("owner")
    specs = [
        EventSpec("tenancy.organization", "1", "Ærø 漢字 🚀", "update", {"name": ["Acme", "Ærø ☃"]}, owner),
        EventSpec("tenancy.organization", "1", "système", "update", {"note": [None, "naïve\u2028line"]}, None),
        EventSpec("tenancy.organization", "1", "tab\there", "update", {"k": "\x00\x1f"}, None),
    ]
    assert record_events_bulk(organization=org, specs=specs) == 3
    last = row(org, CHAIN_LENGTH + 3)
    assert last.actor_id is None and last.object_repr == "tab here"  # control characters are cleaned
    assert_ok(org, CHAIN_LENGTH + 3)
    edit(org, CHAIN_LENGTH + 1, object_repr="Ærø 漢字 🚁")
    assert_broken(org, "edited", CHAIN_LENGTH + 1)


# --- edited ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("field", "value"), EDITS)
@pytest.mark.parametrize("seq", [1, 5, CHAIN_LENGTH])
def test_an_edited_field_is_caught_at_that_event(org, field, value, seq):
    edit(org, seq, **{field: value})
    assert_broken(org, "edited", seq)


@pytest.mark.parametrize(("field", "value"), EDITS)
@pytest.mark.parametrize("seq", [1, 5, CHAIN_LENGTH])
def test_an_edited_and_rehashed_event_is_caught_at_that_event(org, field, value, seq):
    edit(org, seq, **{field: value})
    rehash(org, seq)
    assert_broken(org, "edited", seq)


def test_an_edited_prev_hash_is_caught(org):
    edit(org, 4, prev_hash=GARBAGE_LINK)
    assert_broken(org, "edited", 4)


def test_an_edited_occurrence_time_is_caught(org):
    edit(org, 6, occurred_at_us=row(org, 6).occurred_at_us - 86_400_000_000)
    assert_broken(org, "edited", 6)


def test_a_rehashed_chain_that_does_not_match_its_head_is_caught(org):
    """Rewriting event 5 and re-linking everything after it still disagrees with the recorded head."""
    edit(org, 5, object_repr="rewritten")
    prev = rehash(org, 5)
    for seq in range(6, CHAIN_LENGTH + 1):
        edit(org, seq, prev_hash=prev)
        prev = rehash(org, seq)
    assert_broken(org, "edited", CHAIN_LENGTH)


# --- deleted -----------------------------------------------------------------------------------


@pytest.mark.parametrize("seq", [1, 2, 5, CHAIN_LENGTH - 1])
def test_a_deleted_event_is_caught(org, seq):
    delete(org, seq)
    assert_broken(org, "deleted", seq)


def test_deleted_events_are_caught_at_the_first(org):
    delete(org, 4)
    delete(org, 5)
    delete(org, 6)
    assert_broken(org, "deleted", 4)
    assert "#4..#6 are missing" in verify_chain(org.pk).reason


def test_a_deleted_tail_is_caught(org):
    delete(org, CHAIN_LENGTH)
    assert_broken(org, "deleted", CHAIN_LENGTH)


def test_a_deleted_tail_of_several_events_is_caught(org):
    for seq in range(7, CHAIN_LENGTH + 1):
        delete(org, seq)
    assert_broken(org, "deleted", 7)


def test_an_emptied_chain_is_caught(org):
    with as_superuser():
        AuditEvent.objects.filter(organization=org).delete()
    assert_broken(org, "deleted", 1)


@pytest.mark.parametrize("seq", [1, 2, 5, CHAIN_LENGTH - 1])
def test_a_deleted_event_is_caught_when_the_rest_are_renumbered(org, seq):
    """The gap in seq is closed, but the chain comes up short of its head: a deletion, not an edit."""
    delete(org, seq)
    shift(org, seq + 1, -1)
    assert_broken(org, "deleted", seq)


# --- inserted ----------------------------------------------------------------------------------


@pytest.mark.parametrize("seq", [1, 2, 5, CHAIN_LENGTH])
def test_an_inserted_event_with_a_garbage_hash_is_caught(org, seq):
    shift(org, seq, +1)
    insert(org, seq, prev_hash=GARBAGE_LINK, digest=GARBAGE)
    assert_broken(org, "inserted", seq)


@pytest.mark.parametrize("seq", [1, 2, 5, CHAIN_LENGTH])
def test_an_inserted_event_with_a_wrong_hash_but_a_true_link_is_caught(org, seq):
    prev = GENESIS_HASH if seq == 1 else row(org, seq - 1).hash
    shift(org, seq, +1)
    insert(org, seq, prev_hash=prev, digest=GARBAGE)
    assert_broken(org, "inserted", seq)


@pytest.mark.parametrize("seq", [1, 2, 5, CHAIN_LENGTH])
def test_an_inserted_event_linked_and_hashed_correctly_is_caught(org, seq):
    prev = GENESIS_HASH if seq == 1 else row(org, seq - 1).hash
    shift(org, seq, +1)
    insert(org, seq, prev_hash=prev)
    assert_broken(org, "inserted", seq)


def test_several_inserted_events_linked_and_hashed_correctly_are_caught_at_the_first(org):
    shift(org, 4, +3)
    prev = row(org, 3).hash
    for seq in (4, 5, 6):
        prev = insert(org, seq, prev_hash=prev, object_id=str(900 + seq))
    assert_broken(org, "inserted", 4)


def test_a_replayed_event_is_caught_where_it_was_inserted(org):
    """A byte-for-byte copy of event 2 slipped in at 7 (same hash): the copy is the insertion."""
    original = row(org, 2)
    shift(org, 7, +1)
    copy = insert(
        org,
        7,
        prev_hash=original.prev_hash,
        occurred_at_us=original.occurred_at_us,
        actor_id=original.actor_id,
        **{f: getattr(original, f) for f in ("actor_label", "object_type", "object_id", "object_repr", "action")},
        **{f: getattr(original, f) for f in ("changes", "context")},
    )
    assert copy == original.hash
    assert_broken(org, "inserted", 7)


def test_an_event_appended_after_the_end_with_a_garbage_hash_is_caught(org):
    insert(org, CHAIN_LENGTH + 1, prev_hash=GARBAGE_LINK, digest=GARBAGE)
    assert_broken(org, "inserted", CHAIN_LENGTH + 1)


def test_an_event_appended_after_the_end_linked_and_hashed_correctly_is_caught(org):
    insert(org, CHAIN_LENGTH + 1, prev_hash=row(org, CHAIN_LENGTH).hash)
    assert_broken(org, "inserted", CHAIN_LENGTH + 1)


def test_events_appended_after_the_end_are_caught_at_the_first(org):
    prev = row(org, CHAIN_LENGTH).hash
    for seq in (CHAIN_LENGTH + 1, CHAIN_LENGTH + 2):
        prev = insert(org, seq, prev_hash=prev, object_id=str(900 + seq))
    assert_broken(org, "inserted", CHAIN_LENGTH + 1)


# --- reordered ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("a", "b"), [(1, 2), (4, 5), (CHAIN_LENGTH - 1, CHAIN_LENGTH)])
def test_swapped_adjacent_events_are_caught(org, a, b):
    swap(org, a, b)
    assert_broken(org, "reordered", a)


@pytest.mark.parametrize(("a", "b"), [(1, 3), (3, 7), (2, CHAIN_LENGTH)])
def test_swapped_distant_events_are_caught(org, a, b):
    swap(org, a, b)
    assert_broken(org, "reordered", a)


def test_a_moved_event_is_caught(org):
    """Event 3 taken out and put back at the end, the events after it moved up one place."""
    set_seq(org, 3, 0)  # out of the way
    shift(org, 4, -1)
    set_seq(org, 0, CHAIN_LENGTH)
    assert_broken(org, "reordered", 3)


# --- chains are independent ----------------------------------------------------------------------


def test_tampering_with_one_organization_leaves_the_others_intact(org, cast):
    other_count = AuditEvent.objects.filter(organization=cast.other_org).count()
    global_count = AuditEvent.objects.filter(organization=None).count()
    assert_ok(cast.other_org, other_count)
    edit(org, 3, action="delete")
    delete(org, 7)
    assert_broken(org, "edited", 3)
    assert_ok(cast.other_org, other_count)
    assert_ok(None, global_count)


def test_tampering_with_another_organization_leaves_this_one_intact(org, cast):
    other = cast.other_org
    last = AuditEvent.objects.filter(organization=other).order_by("-seq").first()
    delete(other, last.seq)
    assert_broken(other, "deleted", last.seq)
    assert_ok(org, CHAIN_LENGTH)


def test_the_global_chain_holds_the_account_events_and_verifies(org, cast):
    events = list(AuditEvent.objects.filter(organization=None).order_by("seq"))
    # The six users the cast creates, in order.
    assert [(e.seq, e.object_type, e.action) for e in events][:6] == [
        (n, "accounts.user", "create") for n in range(1, 7)
    ]
    assert [e.changes_dict["username"][1] for e in events[:6]] == ["alice", "mona", "carl", "aude", "vera", "oscar"]
    assert_ok(None, len(events))
    head = AuditChainHead.objects.get(chain="global")
    assert (head.last_seq, head.last_hash) == (events[-1].seq, events[-1].hash)


def test_tampering_with_the_global_chain_is_caught_and_leaves_organizations_intact(org, cast):
    edit(None, 2, object_repr="not mona")
    result = verify_chain(None)
    assert (result.ok, result.problem, result.seq) == (False, "edited", 2)
    assert_ok(org, CHAIN_LENGTH)


# --- the walk split over processes gives the same answers ----------------------------------------

PARALLEL_SCRIPT = r"""
import json
import sys

import django

django.setup()
from django.core.management import call_command

call_command("migrate", verbosity=0)

from openaims.accounts.services import user_create
from openaims.audittrail import chain
from openaims.audittrail.models import GENESIS_HASH
from openaims.audittrail.services import EventSpec, record_events_bulk
from openaims.tenancy.services import organization_create
from tests.audittrail import delete, edit, insert, rehash, row, shift, swap

N = 398  # + 2 events from organization_create: 400, in 32 parts (4 processes), bounds 100, 200, 300 among them
user = user_create(actor=None, username="bench", password="x", validate_password=False)


def forged_insert(org, seq):
    prev = GENESIS_HASH if seq == 1 else row(org, seq - 1).hash
    shift(org, seq, +1)
    insert(org, seq, prev_hash=prev)


def renumbered_delete(org, seq):
    delete(org, seq)
    shift(org, seq + 1, -1)


def rehashed_edit(org, seq):
    edit(org, seq, object_repr="rewritten")
    rehash(org, seq)


cases = {"untouched": lambda org: None}
for seq in (1, 99, 100, 101, 200, 201, 300, 301, 400):
    cases[f"edit-{seq}"] = lambda org, seq=seq: edit(org, seq, action="delete")
    cases[f"rehash-{seq}"] = lambda org, seq=seq: rehashed_edit(org, seq)
    cases[f"delete-{seq}"] = lambda org, seq=seq: delete(org, seq)
    cases[f"insert-{seq}"] = lambda org, seq=seq: forged_insert(org, seq)
for seq in (100, 200, 300):
    cases[f"renumber-{seq}"] = lambda org, seq=seq: renumbered_delete(org, seq)
for a, b in ((99, 100), (100, 101), (200, 201), (50, 350), (301, 400)):
    cases[f"swap-{a}-{b}"] = lambda org, a=a, b=b: swap(org, a, b)
cases["append"] = lambda org: insert(org, 401, prev_hash=row(org, 400).hash)

forks = []
_Worker = chain._Worker


def counting_worker(*args):
    forks.append(args)
    return _Worker(*args)


chain._Worker = counting_worker
chain._cpus = lambda: 4
chain._BATCH = 37  # pages end all over the parts
out = {}
for i, (name, tamper) in enumerate(cases.items()):
    org = organization_create(actor=user, owner=user, name=name, slug=f"org-{i}")
    specs = [EventSpec("test.thing", str(n), f"thing {n}", "update", {"n": [n, n + 1]}, user) for n in range(N)]
    record_events_bulk(organization=org, specs=specs)
    tamper(org)
    chain._PARALLEL_MIN = 10**12
    single = chain.verify_chain(org.pk)
    chain._PARALLEL_MIN = 1
    del forks[:]
    split = chain.verify_chain(org.pk)
    out[name] = [single.line(), split.line(), len(forks)]
json.dump(out, sys.stdout)
"""


@pytest.fixture(scope="module")
def parallel_results(tmp_path_factory):
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    env = {k: v for k, v in os.environ.items() if k != "AIMS_DATABASE_URL"}
    env.update(
        AIMS_DATA_DIR=str(tmp_path_factory.mktemp("parallel")),
        DJANGO_SETTINGS_MODULE="openaims.settings",
        PYTHONPATH=os.pathsep.join([str(root), env.get("PYTHONPATH", "")]),
    )
    done = subprocess.run(
        [sys.executable, "-c", PARALLEL_SCRIPT], cwd=root, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.subprocess
def test_the_walk_split_over_processes_agrees_with_the_single_walk(parallel_results):
    assert len(parallel_results) == 46
    for name, (single, split, forks) in parallel_results.items():
        assert forks == 3, name  # three children, the fourth part walked here
        assert split == single, name


@pytest.mark.subprocess
@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("untouched", "OK, 400 events, head #400"),
        ("edit-100", "BROKEN at event #100: edited: "),
        ("edit-101", "BROKEN at event #101: edited: "),
        ("rehash-200", "BROKEN at event #200: edited: "),
        ("rehash-400", "BROKEN at event #400: edited: "),
        ("delete-201", "BROKEN at event #201: deleted: "),
        ("delete-400", "BROKEN at event #400: deleted: "),
        ("renumber-300", "BROKEN at event #300: deleted: "),
        ("insert-101", "BROKEN at event #101: inserted: "),
        ("insert-300", "BROKEN at event #300: inserted: "),
        ("swap-100-101", "BROKEN at event #100: reordered: "),
        ("swap-50-350", "BROKEN at event #50: reordered: "),
        ("append", "BROKEN at event #401: inserted: "),
    ],
)
def test_the_walk_split_over_processes_classifies(parallel_results, case, expected):
    _single, split, _forks = parallel_results[case]
    assert split.split(": ", 1)[1].startswith(expected), split
