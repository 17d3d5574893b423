"""Reads of sign-off requests: an approver's inbox, an organization's list, a subject's latest request."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from openaims.accounts.models import User
from openaims.signoff.models import SignOffRequest, SignOffStatus
from openaims.tenancy.models import Organization


def _base() -> QuerySet[SignOffRequest]:
    return SignOffRequest.objects.select_related("requester", "approver", "organization")


def pending_for(user: User, organization: Organization | None = None) -> QuerySet[SignOffRequest]:
    """The requests waiting on `user` (in one organization, or in all of theirs), oldest first."""
    found = _base().filter(approver=user, status=SignOffStatus.PENDING)
    if organization is not None:
        found = found.filter(organization=organization)
    return found.order_by("requested_at", "pk")


def for_organization(organization: Organization, *, status: str | None = None) -> QuerySet[SignOffRequest]:
    found = _base().filter(organization=organization)
    if status:
        found = found.filter(status=status)
    return found.order_by("-requested_at", "-pk")


def latest_for_subject(organization: Organization, subject_kind: str, subject_id: object) -> SignOffRequest | None:
    return (
        _base()
        .filter(organization=organization, subject_kind=subject_kind, subject_id=str(subject_id))
        .order_by("-requested_at", "-pk")
        .first()
    )


def latest_by_subject(
    organization: Organization, subject_kind: str, subject_ids: Iterable[object]
) -> dict[str, SignOffRequest]:
    """{subject id: its latest request} for many subjects in one query (lists of versions)."""
    found: dict[str, SignOffRequest] = {}
    for request in (
        _base()
        .filter(organization=organization, subject_kind=subject_kind, subject_id__in=[str(i) for i in subject_ids])
        .order_by("requested_at", "pk")
    ):
        found[request.subject_id] = request
    return found
