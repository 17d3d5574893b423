"""`nothing_written()`: the rows of every table a request could write to are the same after the block."""

from __future__ import annotations

from contextlib import contextmanager

from django.contrib.auth import get_user_model

from openaims.accounts.models import ThrottleCounter
from openaims.audittrail.models import AuditChainHead, AuditEvent
from openaims.comments.models import Comment
from openaims.tenancy.models import ApiToken, Invitation, Membership, Organization


def row_counts() -> dict[str, int]:
    models = [
        AuditEvent,
        AuditChainHead,
        get_user_model(),
        Organization,
        Membership,
        Invitation,
        ApiToken,
        Comment,
        ThrottleCounter,
    ]
    return {model._meta.label: model.objects.count() for model in models}


@contextmanager
def nothing_written():
    before = row_counts()
    head = list(AuditChainHead.objects.order_by("chain").values_list("chain", "last_seq", "last_hash"))
    yield
    assert row_counts() == before
    assert list(AuditChainHead.objects.order_by("chain").values_list("chain", "last_seq", "last_hash")) == head
