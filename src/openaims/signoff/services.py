"""Writes of the sign-off component: request, sign, return, withdraw. Each is audited in its transaction.

Rules: the requester is never the approver; the approver holds the `approve` permission in the
organization when asked and when deciding; only the named approver decides; only the requester
withdraws; a decided request never changes again. The owning app is told of every outcome through
`signoff.registry` inside the same transaction.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from openaims.accounts.models import User
from openaims.audittrail.services import record_event
from openaims.lib.errors import Conflict, Forbidden, ServiceError
from openaims.lib.uris import check_site_path
from openaims.signoff import registry
from openaims.signoff.models import SignOffRequest, SignOffStatus
from openaims.tenancy.models import Membership, Organization, Tenant
from openaims.tenancy.roles import Perm, has_perm

MAX_COMMENT = 5_000


def _may_approve(organization: Organization, user: User) -> bool:
    role = Membership.objects.filter(organization=organization, user=user).values_list("role", flat=True).first()
    return role is not None and has_perm(role, Perm.APPROVE)


def _comment(comment: str, *, required: bool = False, what: str = "a comment") -> str:
    comment = (comment or "").strip()
    if required and not comment:
        raise ServiceError(f"{what} is needed", field="comment")
    if len(comment) > MAX_COMMENT:
        raise ServiceError(f"the comment is longer than {MAX_COMMENT} characters", field="comment")
    return comment


def _state(request: SignOffRequest) -> dict[str, Any]:
    return {
        "subject": f"{request.subject_kind}:{request.subject_id}",
        "approver": request.approver.get_username(),
        "status": request.status,
    }


def validate_approver(*, organization: Organization, requester: User, approver: User | None) -> None:
    """The checks `signoff_request` makes, for callers that want to refuse before writing anything."""
    if approver is None:
        raise ServiceError("name the person who signs this off", field="approver")
    if approver.pk == requester.pk:
        raise ServiceError("you cannot sign off your own request: name another approver", field="approver")
    if not _may_approve(organization, approver):
        raise ServiceError(
            f"the approver must be an owner or manager of the organization ({approver.get_username()} is not)",
            field="approver",
        )


def signoff_request(
    *,
    actor: Tenant,
    subject_kind: str,
    subject_id: object,
    subject_label: str,
    approver: User,
    subject_url: str = "",
    comment: str = "",
) -> SignOffRequest:
    """Ask `approver` to sign the subject off. Runs inside the caller's transaction when there is one."""
    registry.get(subject_kind)
    organization = actor.organization
    requester = actor.person("asking for a sign-off")
    validate_approver(organization=organization, requester=requester, approver=approver)
    comment = _comment(comment)
    subject_url = check_site_path(subject_url, "subject_url")  # the decision redirects there: this site only
    with transaction.atomic():
        if SignOffRequest.objects.filter(
            organization=organization,
            subject_kind=subject_kind,
            subject_id=str(subject_id),
            status=SignOffStatus.PENDING,
        ).exists():
            raise Conflict(f"{subject_label} is already awaiting sign-off")
        request = SignOffRequest.objects.create(
            organization=organization,
            subject_kind=subject_kind,
            subject_id=str(subject_id),
            subject_label=subject_label[:200],
            subject_url=subject_url[:300],
            requester=requester,
            approver=approver,
            request_comment=comment,
        )
        record_event(
            actor=actor,
            organization=organization,
            obj=request,
            action="request",
            changes={**{k: [None, v] for k, v in _state(request).items()}, "comment": [None, comment or None]},
        )
    return request


def _decide(*, actor: Tenant, request: SignOffRequest, status: str, comment: str, action: str) -> SignOffRequest:
    with transaction.atomic():
        locked = SignOffRequest.objects.select_for_update().get(pk=request.pk)
        if locked.status != SignOffStatus.PENDING:
            raise Conflict(f"this request was already {locked.get_status_display().lower()}")
        # Deciding and withdrawing are a named person's acts, never the system's.
        person = actor.person("deciding a sign-off")
        if locked.organization_id != actor.organization.pk:
            raise Forbidden("this request belongs to another organization")
        if action == "withdraw":
            if locked.requester_id != person.pk:
                raise Forbidden("only the person who asked for the sign-off may withdraw it")
        else:
            if locked.approver_id != person.pk:
                raise Forbidden(f"only {locked.approver.get_username()}, the named approver, may decide this")
            # The membership must still allow approving, and so must the API token it acts through.
            if not _may_approve(locked.organization, person) or not actor.can(Perm.APPROVE):
                raise Forbidden("your role no longer allows approving in this organization")
        before = locked.status
        locked.status = status
        locked.decision_comment = comment
        locked.decided_at = timezone.now()
        locked.save(update_fields=["status", "decision_comment", "decided_at"])
        record_event(
            actor=actor,
            organization=locked.organization,
            obj=locked,
            action=action,
            changes={"status": [before, status], "comment": [None, comment or None]},
        )
        registry.get(locked.subject_kind).on_decided(actor, locked)
    return locked


def signoff_sign(*, actor: Tenant, request: SignOffRequest, comment: str = "") -> SignOffRequest:
    """The named approver signs: the subject becomes approved by this act."""
    return _decide(actor=actor, request=request, status=SignOffStatus.SIGNED, comment=_comment(comment), action="sign")


def signoff_return(*, actor: Tenant, request: SignOffRequest, comment: str) -> SignOffRequest:
    """The named approver sends it back, saying why (the comment is required)."""
    comment = _comment(comment, required=True, what="a reason for returning it")
    return _decide(actor=actor, request=request, status=SignOffStatus.RETURNED, comment=comment, action="return")


def signoff_withdraw(*, actor: Tenant, request: SignOffRequest, comment: str = "") -> SignOffRequest:
    """The requester takes the request back before it is decided."""
    return _decide(
        actor=actor, request=request, status=SignOffStatus.WITHDRAWN, comment=_comment(comment), action="withdraw"
    )
