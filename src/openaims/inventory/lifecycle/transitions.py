"""Moving a system between life-cycle stages (A.6.2): refused while gate items are missing, unless the
organization's owner or the system's business owner overrides with a recorded reason."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from openaims.audittrail.services import record_event
from openaims.inventory.lifecycle.evaluation import evaluate_gate, transition_kind
from openaims.inventory.lifecycle.policy import gate_policy_for
from openaims.inventory.models import (
    AISystem,
    StageTransition,
)
from openaims.inventory.vocabulary import lifecycle
from openaims.lib.errors import Conflict, Forbidden, ServiceError
from openaims.tenancy.models import Tenant
from openaims.tenancy.roles import Perm

REASON_LIMIT = 5_000


class TransitionAction:
    TRANSITION = "transition"
    OVERRIDE = "override_gate"
    REFUSED = "transition_refused"


class GateRefused(Conflict):
    """A gated transition with items missing and no override: `missing` lists them ({key, label, detail})."""

    code = "gate_refused"

    def __init__(self, stage: str, missing: list[dict]):
        listed = "; ".join(
            f"{item['label']}: {item['detail']}" if item["detail"] else item["label"] for item in missing
        )
        super().__init__(f"{lifecycle().label(stage)} needs what is missing: {listed}", field="to_stage")
        self.stage = stage
        self.missing = missing
        # One entry per missing item in the API's `details`, for clients that read only those.
        self.details = [{"field": "to_stage", "message": f"{item['label']}: {item['detail']}"} for item in missing]

    @property
    def extra(self) -> dict:
        """Added to the API's error object next to code, message and details."""
        return {"missing": self.missing}


def may_override(actor: Tenant, system: AISystem) -> bool:
    """Who holds OVERRIDE_GATES (tenancy.roles), or the system's business owner when they may write."""
    if actor.can(Perm.OVERRIDE_GATES):
        return True
    return actor.user is not None and system.business_owner_id == actor.user.pk and actor.can(Perm.WRITE)


def system_transition(*, actor: Tenant, system: AISystem, to_stage: str, override_reason: str = "") -> StageTransition:
    """`_system_transition`, and a refused move recorded in the audit trail: who tried which move, what was missing."""
    try:
        return _system_transition(actor=actor, system=system, to_stage=to_stage, override_reason=override_reason)
    except GateRefused as refused:
        # The move's own transaction rolled back; the attempt is a fact of its own and commits on its own.
        with transaction.atomic():
            locked = AISystem.objects.select_for_update(of=("self",)).select_related("organization").get(pk=system.pk)
            record_event(
                actor=actor,
                organization=locked.organization,
                obj=locked,
                action=TransitionAction.REFUSED,
                changes={"stage": [locked.stage, to_stage], "missing": [None, [m["key"] for m in refused.missing]]},
            )
        raise


def _system_transition(*, actor: Tenant, system: AISystem, to_stage: str, override_reason: str = "") -> StageTransition:
    """Move a system to another life-cycle stage (A.6.2).

    Forward one stage, or to retirement from any stage, passes that stage's gate; back to an
    earlier stage (rework) does not. Leaving retirement is a reactivation: the gate of the stage
    the system returns to applies. With items missing, the move is refused (`GateRefused`) unless
    someone allowed to override (`may_override`) gives a reason; the transition then keeps what was
    missing and why. A move is a person's act (the transition names who made it).
    """
    override_reason = (override_reason or "").strip()
    if len(override_reason) > REASON_LIMIT:
        raise ServiceError(f"the reason is longer than {REASON_LIMIT} characters", field="override_reason")
    with transaction.atomic():
        system = AISystem.objects.select_for_update(of=("self",)).select_related("organization").get(pk=system.pk)
        if system.organization_id != actor.organization.pk or not actor.can(Perm.WRITE) or actor.user is None:
            raise Forbidden("your role may not move systems through the life cycle")
        from_stage = system.stage
        kind = transition_kind(from_stage, to_stage)
        missing: list[dict] = []
        if kind != "back":
            gate = evaluate_gate(system, to_stage, policy=gate_policy_for(system.organization))
            missing = gate.missing
        if missing:
            if not override_reason:
                raise GateRefused(to_stage, missing)
            if not may_override(actor, system):
                raise Forbidden(
                    "only the organization's owner or the system's business owner may override a gate", field="to_stage"
                )
        transition = StageTransition.objects.create(
            organization=system.organization,
            system=system,
            from_stage=from_stage,
            to_stage=to_stage,
            missing=missing,
            override_reason=override_reason,
            actor=actor.user,
        )
        system.stage = to_stage
        system.updated_at = timezone.now()
        system.save(update_fields=["stage", "updated_at"])
        changes: dict[str, list] = {"stage": [from_stage, to_stage]}
        if missing:
            changes["missing"] = [None, [item["key"] for item in missing]]
        if override_reason:
            changes["override_reason"] = [None, override_reason]
        record_event(
            actor=actor,
            organization=system.organization,
            obj=system,
            action=TransitionAction.OVERRIDE if missing else TransitionAction.TRANSITION,
            changes=changes,
        )
    return transition
