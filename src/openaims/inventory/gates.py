"""Life-cycle gates (A.6.2): what an AI system needs before it may enter a life-cycle stage.

A *gate item* is a named check on one system (`register_item`); an organization's *gate policy*
says which items each stage asks for (`gate_policy_for`, edited with `gate_policy_update`);
`system_transition` moves a system between stages and refuses a gated move while items are
missing, unless the organization's owner or the system's business owner overrides it with a
recorded reason.

Later capabilities register their own items from their AppConfig.ready(), e.g.::

    from openaims.inventory.gates import GateResult, register_item

    register_item("impact_assessment_approved", "Impact assessment approved",
                  lambda system: GateResult(ok=..., detail="..."), description="...")

A key in a policy that nothing has registered (an app not installed yet, a typo in data) is shown
as "not available yet" and does not block: a gate nobody can satisfy would stop every system.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import BooleanField, Count, ExpressionWrapper, Max, Q
from django.urls import reverse
from django.utils import timezone

from openaims.audittrail.services import Action, diff, record_event
from openaims.inventory.models import (
    AIModel,
    AISystem,
    Component,
    Dataset,
    GatePolicy,
    RiskClass,
    StageTransition,
    SystemCardVersion,
)
from openaims.inventory.vocabulary import lifecycle
from openaims.lib.errors import Conflict, Forbidden, ServiceError
from openaims.tenancy.models import Membership
from openaims.tenancy.roles import Perm, Role, effective_role, has_perm

logger = logging.getLogger(__name__)
RETIREMENT = "retirement"
REASON_LIMIT = 5_000


class TransitionAction:
    TRANSITION = "transition"
    OVERRIDE = "override_gate"
    REFUSED = "transition_refused"


# ------------------------------------------------------------------------------------------ registry


@dataclass(frozen=True)
class GateResult:
    ok: bool
    detail: str = ""


@dataclass(frozen=True)
class GateItem:
    key: str
    label: str
    check: Callable[[AISystem], GateResult]
    description: str = ""
    preload: Callable[[Sequence[AISystem]], None] | None = None


_items: dict[str, GateItem] = {}


def register_item(
    key: str,
    label: str,
    check: Callable[[AISystem], GateResult],
    *,
    description: str = "",
    preload: Callable[[Sequence[AISystem]], None] | None = None,
) -> None:
    """Make a gate item available to gate policies.

    `check(system)` answers for one system. `preload(systems)`, optional, loads what `check` needs
    for many systems at once (see `SystemFact`), so evaluating a gate costs a few queries whatever
    the number of systems or parts. Registering a key again replaces it (ready() may run twice).
    """
    if not key or not key.replace("_", "").isalnum() or not key[0].isalpha() or key != key.lower():
        raise ValueError(f"gate item key {key!r}: use lower-case letters, digits and '_'")
    _items[key] = GateItem(key, label, check, description, preload)


def registered_items() -> list[GateItem]:
    return list(_items.values())


def get_item(key: str) -> GateItem | None:
    return _items.get(key)


class SystemFact:
    """Data some checks need, loaded for many systems in one query and kept on each instance.

    `load(pks) -> {pk: value}`; systems absent from the answer get `default`. Inside an evaluation
    the value comes from the preload; a check called on its own loads it for its one system.
    """

    def __init__(self, name: str, load: Callable[[list[int]], Mapping[int, Any]], default: Any = None):
        self.name = name
        self.load = load
        self.default = default

    def preload(self, systems: Sequence[AISystem]) -> None:
        values = self.load([s.pk for s in systems])
        for system in systems:
            _memo(system)[self.name] = values.get(system.pk, self.default)

    def __call__(self, system: AISystem) -> Any:
        memo = _memo(system)
        if self.name in memo:
            return memo[self.name]
        return self.load([system.pk]).get(system.pk, self.default)


def _memo(system: AISystem) -> dict:
    return system.__dict__.setdefault("_gate_facts", {})


# ------------------------------------------------------------------------------- built-in gate items


def _filled(expr: str):
    return ExpressionWrapper(~Q(**{expr: ""}), output_field=BooleanField())


def _names(names: list[str], limit: int = 5) -> str:
    shown = ", ".join(names[:limit])
    return f"{shown} and {len(names) - limit} more" if len(names) > limit else shown


def _count_models(pks):
    rows = AIModel.objects.filter(system_id__in=pks).values("system_id").annotate(n=Count("id"))
    return {row["system_id"]: row["n"] for row in rows}


def _dataset_rows(pks):
    found: dict[int, list] = {}
    rows = (
        Dataset.objects.filter(system_id__in=pks)
        .annotate(
            has_source=_filled("source"), has_provenance=_filled("provenance"), has_quality=_filled("quality_checks")
        )
        .values_list("system_id", "name", "has_source", "has_provenance", "has_quality")
        .order_by("name", "pk")
    )
    for system_id, name, *filled in rows:
        found.setdefault(system_id, []).append((name, filled))
    return found


def _component_rows(pks):
    found: dict[int, list] = {}
    rows = (
        Component.objects.filter(system_id__in=pks)
        .annotate(has_responsibilities=_filled("responsibilities"))
        .values_list("system_id", "name", "supplier_id", "has_responsibilities")
        .order_by("name", "pk")
    )
    for system_id, name, supplier_id, has_responsibilities in rows:
        found.setdefault(system_id, []).append((name, supplier_id is not None, has_responsibilities))
    return found


def _card_facts(pks):
    rows = (
        SystemCardVersion.objects.filter(system_id__in=pks)
        .values("system_id")
        .annotate(number=Max("number"), system_version=Max("system_version"))
    )
    return {row["system_id"]: (row["number"], row["system_version"]) for row in rows}


MODEL_COUNT = SystemFact("inventory.models", _count_models, 0)
DATASETS = SystemFact("inventory.datasets", _dataset_rows, [])
COMPONENTS = SystemFact("inventory.components", _component_rows, [])
CARD = SystemFact("inventory.card", _card_facts, None)


def _owners_assigned(system) -> GateResult:
    lacking = [
        label
        for label, value in (
            ("business owner", system.business_owner_id),
            ("technical owner", system.technical_owner_id),
        )
        if value is None
    ]
    if lacking:
        return GateResult(False, f"No {' and no '.join(lacking)} assigned.")
    return GateResult(True, "Business and technical owners assigned.")


def _intended_use_documented(system) -> GateResult:
    lacking = [
        label
        for label, value in (("intended use", system.intended_use), ("affected persons", system.affected_persons))
        if not (value or "").strip()
    ]
    if lacking:
        return GateResult(False, f"{' and '.join(lacking).capitalize()} not described.")
    return GateResult(True, "Intended use and affected persons described.")


def _classification_current(system) -> GateResult:
    if not system.classification_id:
        return GateResult(False, "Not classified under the EU AI Act yet.")
    if system.classification_stale:
        return GateResult(False, "A classification input changed since the last classification: classify again.")
    return GateResult(True, "Classification is current.")


def _not_prohibited(system) -> GateResult:
    # Only a prohibited result blocks; an unclassified system passes here (classification_current asks for one).
    if system.risk_class == RiskClass.PROHIBITED:
        return GateResult(False, "Classified as a prohibited practice (EU AI Act Art. 5).")
    if system.risk_class == RiskClass.UNCLASSIFIED:
        return GateResult(True, "Not classified; nothing shows a prohibited practice.")
    return GateResult(True, f"Classified as {RiskClass(system.risk_class).label.lower()}.")


def _models_registered(system) -> GateResult:
    count = MODEL_COUNT(system)
    if not count:
        return GateResult(False, "No model registered for the system.")
    return GateResult(True, f"{count} model{'s' if count != 1 else ''} registered.")


def _datasets_documented(system) -> GateResult:
    rows = DATASETS(system)
    if not rows:
        return GateResult(False, "No dataset documented for the system.")
    fields = ("source", "provenance", "quality checks")
    incomplete = [
        f"{name} (no {', no '.join(f for f, ok in zip(fields, filled, strict=True) if not ok)})"
        for name, filled in rows
        if not all(filled)
    ]
    if incomplete:
        return GateResult(False, f"{len(incomplete)} of {len(rows)} datasets incomplete: {_names(incomplete)}.")
    return GateResult(True, f"{len(rows)} dataset{'s' if len(rows) != 1 else ''} with source, provenance and checks.")


def _suppliers_documented(system) -> GateResult:
    rows = COMPONENTS(system)
    if not rows:
        return GateResult(True, "No third-party components.")
    incomplete = []
    for name, has_supplier, has_responsibilities in rows:
        lacking = [
            label for label, ok in (("supplier", has_supplier), ("responsibilities", has_responsibilities)) if not ok
        ]
        if lacking:
            incomplete.append(f"{name} (no {', no '.join(lacking)})")
    if incomplete:
        return GateResult(False, f"{len(incomplete)} of {len(rows)} components incomplete: {_names(incomplete)}.")
    return GateResult(True, f"{len(rows)} component{'s' if len(rows) != 1 else ''} with supplier and responsibilities.")


def _oversight_defined(system) -> GateResult:
    if not system.oversight_mode:
        return GateResult(False, "No human oversight mode chosen.")
    if system.oversight_mode != "none" and not system.oversight_description.strip():
        return GateResult(False, "How people oversee the system is not described.")
    if system.oversight_mode == "none":
        return GateResult(True, "Recorded as without human oversight.")
    return GateResult(True, "Oversight mode and arrangements described.")


def _technical_documentation_present(system) -> GateResult:
    card = CARD(system)
    if card is None:
        return GateResult(False, "No system card published.")
    number, system_version = card
    if system_version != system.version:
        return GateResult(
            False,
            f"System card v{number} describes entry version {system_version}; the entry is at version "
            f"{system.version}: publish the card again.",
        )
    return GateResult(True, f"System card v{number} describes the current entry.")


def _register_builtin_items() -> None:
    register_item(
        "owners_assigned",
        "Owners assigned",
        _owners_assigned,
        description="A business owner and a technical owner are named for the system.",
    )
    register_item(
        "intended_use_documented",
        "Intended use documented",
        _intended_use_documented,
        description="The intended use and the persons the system affects are described.",
    )
    register_item(
        "classification_current",
        "Classification current",
        _classification_current,
        description="The system has an EU AI Act classification and none of its inputs changed since.",
    )
    register_item(
        "not_prohibited",
        "Not a prohibited practice",
        _not_prohibited,
        description="The classification did not find a prohibited practice. An unclassified system passes this item.",
    )
    register_item(
        "models_registered",
        "Models registered",
        _models_registered,
        description="At least one model of the system is in the register.",
        preload=MODEL_COUNT.preload,
    )
    register_item(
        "datasets_documented",
        "Datasets documented",
        _datasets_documented,
        description="At least one dataset is recorded, each with its source, provenance and quality checks.",
        preload=DATASETS.preload,
    )
    register_item(
        "suppliers_documented",
        "Suppliers documented",
        _suppliers_documented,
        description="Every third-party component names its supplier and who is responsible for what "
        "(met when there are no components).",
        preload=COMPONENTS.preload,
    )
    register_item(
        "oversight_defined",
        "Human oversight defined",
        _oversight_defined,
        description="An oversight mode is chosen and, unless it is 'no human oversight', described.",
    )
    register_item(
        "technical_documentation_present",
        "Technical documentation current",
        _technical_documentation_present,
        description="A system card is published for the register entry's current version.",
        preload=CARD.preload,
    )


_register_builtin_items()


# ------------------------------------------------------------------------------------------- policy


def gated_stages() -> list[str]:
    """Every stage but the first: systems start there, so it has no gate."""
    return lifecycle().keys[1:]


def gate_policy_for(organization) -> dict[str, list[str]]:
    """{stage: [item key, ...]} for every gated stage: the organization's policy, else the data defaults."""
    row = GatePolicy.objects.filter(organization=organization).values_list("items", flat=True).first()
    source = row if isinstance(row, dict) else lifecycle().default_gates
    return {stage: list(source.get(stage, ())) for stage in gated_stages()}


def unknown_default_items() -> list[str]:
    """Problems for `aims catalog check`: keys in lifecycle.yaml's default gates that no app registered."""
    return [
        f"lifecycle.yaml: default gate of {stage} names {key!r}, which no installed capability provides"
        for stage, keys in lifecycle().default_gates.items()
        for key in keys
        if key not in _items
    ]


def _ordered(keys: Iterable[str]) -> list[str]:
    """Registered items in registry order, then unknown ones as given; no duplicates."""
    keys = list(dict.fromkeys(keys))
    known = [key for key in _items if key in keys]
    return known + [key for key in keys if key not in _items]


def _role(actor, organization, token=None) -> str | None:
    membership = Membership.objects.filter(organization=organization, user=actor).only("role").first()
    if membership is None:
        return None
    return effective_role(membership.role, token.role if token is not None else None)


def gate_policy_update(*, actor, organization, items: Mapping[str, Iterable[str]], token=None) -> dict[str, list[str]]:
    """Set which items each stage asks for (owners and managers); returns the policy now in force.

    Stages left out ask for nothing. A key must be a registered item, or one the stage already
    asks for (so an item whose app is not installed yet survives an edit of the other items).
    """
    if not has_perm(_role(actor, organization, token) or "", Perm.APPROVE):
        raise Forbidden("only owners and managers change the life-cycle gates")
    if not isinstance(items, Mapping):
        raise ServiceError("items must map each stage to a list of gate item keys", field="items")
    stages = gated_stages()
    first = lifecycle().keys[0]
    with transaction.atomic():
        policy = GatePolicy.objects.select_for_update().filter(organization=organization).first()
        before = gate_policy_for(organization)
        cleaned: dict[str, list[str]] = {}
        for stage, keys in items.items():
            if stage == first:
                raise ServiceError(f"{lifecycle().label(first)} is where systems start; it has no gate", field="items")
            if stage not in stages:
                raise ServiceError(f"unknown life-cycle stage {stage!r}; use one of {', '.join(stages)}", field="items")
            if isinstance(keys, str) or not isinstance(keys, Iterable):
                raise ServiceError(f"{stage}: give a list of gate item keys", field="items")
            keys = [str(key) for key in keys]
            unknown = [key for key in keys if key not in _items and key not in before[stage]]
            if unknown:
                raise ServiceError(
                    f"{stage}: unknown gate item(s) {', '.join(unknown)}; available: {', '.join(_items)}",
                    field="items",
                )
            cleaned[stage] = _ordered(keys)
        after = {stage: cleaned.get(stage, []) for stage in stages}
        changes = diff(before, after)
        if not changes:
            return after
        if policy is None:
            policy = GatePolicy.objects.create(organization=organization, items=after, updated_by=actor)
            action = Action.CREATE
        else:
            policy.items = after
            policy.updated_by = actor
            policy.updated_at = timezone.now()
            policy.save(update_fields=["items", "updated_by", "updated_at"])
            action = Action.UPDATE
        record_event(actor=actor, organization=organization, obj=policy, action=action, changes=changes)
    return after


# ---------------------------------------------------------------------------------------- evaluation


@dataclass
class ItemStatus:
    """One gate item's answer for one system."""

    key: str
    label: str
    description: str
    available: bool  # False: no capability registered this key (shown, never blocks)
    ok: bool
    detail: str

    @property
    def blocking(self) -> bool:
        return self.available and not self.ok

    def as_missing(self) -> dict:
        return {"key": self.key, "label": self.label, "detail": self.detail}


@dataclass
class GateStatus:
    """A stage's gate for one system: every item it asks for and whether the system may enter."""

    stage: str
    label: str
    items: list[ItemStatus] = field(default_factory=list)

    @property
    def missing(self) -> list[dict]:
        return [item.as_missing() for item in self.items if item.blocking]

    @property
    def ready(self) -> bool:
        return not any(item.blocking for item in self.items)


def _unavailable(key: str) -> ItemStatus:
    return ItemStatus(key, key.replace("_", " ").capitalize(), "", False, False, "Not available yet; does not block.")


def evaluate_systems(
    systems: Sequence[AISystem], stages: Iterable[str] | None = None, *, policy: Mapping[str, list[str]]
) -> dict[int, dict[str, GateStatus]]:
    """{system pk: {stage: GateStatus}} for many systems of one organization.

    Each item's preload runs once for all systems and each check once per system, whatever the
    number of stages asking for it: a few queries in all, not one per system, part or item.
    """
    stages = list(stages) if stages is not None else gated_stages()
    keys = _ordered(key for stage in stages for key in policy.get(stage, ()))
    items = [_items[key] for key in keys if key in _items]
    for system in systems:
        system.__dict__.pop("_gate_facts", None)  # answers are for now, not from an earlier evaluation
    preloads = list(dict.fromkeys(item.preload for item in items if item.preload is not None))
    for preload in preloads:
        preload(systems)
    answers: dict[int, dict[str, ItemStatus]] = {}
    for system in systems:
        found = answers.setdefault(system.pk, {})
        for item in items:
            try:
                result = item.check(system)
            except Exception:  # one capability's broken check must not take the system page down
                logger.exception("gate item %s failed for system %s", item.key, system.pk)
                result = GateResult(False, "Could not be checked (the error is in the server log).")
            found[item.key] = ItemStatus(item.key, item.label, item.description, True, bool(result.ok), result.detail)
    return {
        system.pk: {
            stage: GateStatus(
                stage,
                lifecycle().label(stage),
                [answers[system.pk].get(key) or _unavailable(key) for key in policy.get(stage, ())],
            )
            for stage in stages
        }
        for system in systems
    }


def evaluate_gate(system: AISystem, stage: str, *, policy: Mapping[str, list[str]] | None = None) -> GateStatus:
    policy = gate_policy_for(system.organization_id) if policy is None else policy
    return evaluate_systems([system], [stage], policy=policy)[system.pk][stage]


def next_stage(stage: str) -> str | None:
    keys = lifecycle().keys
    index = keys.index(stage) if stage in keys else -1
    return keys[index + 1] if 0 <= index < len(keys) - 1 else None


def transition_kind(from_stage: str, to_stage: str) -> str:
    """'forward', 'retire', 'back' or 'reactivate' (leaving retirement), or raises ServiceError."""
    keys = lifecycle().keys
    if to_stage not in keys:
        raise ServiceError(f"unknown life-cycle stage {to_stage!r}; use one of {', '.join(keys)}", field="to_stage")
    if to_stage == from_stage:
        raise ServiceError(f"the system is already in {lifecycle().label(to_stage)}", field="to_stage")
    if from_stage == RETIREMENT and from_stage in keys:
        return "reactivate"
    if to_stage == RETIREMENT:
        return "retire"
    if from_stage in keys and keys.index(to_stage) < keys.index(from_stage):
        return "back"
    if to_stage == next_stage(from_stage):
        return "forward"
    following = next_stage(from_stage)
    raise ServiceError(
        f"a system moves one stage at a time: from {lifecycle().label(from_stage)} the next stage is "
        f"{lifecycle().label(following) if following else 'none'}",
        field="to_stage",
    )


# --------------------------------------------------------------------------------------- transitions


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


def may_override(role: str | None, user, system: AISystem) -> bool:
    """The organization's owner, or the system's business owner when their role may write."""
    if role is None:
        return False
    return role == Role.OWNER or (system.business_owner_id == user.pk and has_perm(role, Perm.WRITE))


def system_transition(
    *, actor, system: AISystem, to_stage: str, override_reason: str = "", token=None
) -> StageTransition:
    """`_system_transition`, and a refused move recorded in the audit trail: who tried which move, what was missing."""
    try:
        return _system_transition(
            actor=actor, system=system, to_stage=to_stage, override_reason=override_reason, token=token
        )
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


def _system_transition(
    *, actor, system: AISystem, to_stage: str, override_reason: str = "", token=None
) -> StageTransition:
    """Move a system to another life-cycle stage (A.6.2).

    Forward one stage, or to retirement from any stage, passes that stage's gate; back to an
    earlier stage (rework) does not. Leaving retirement is a reactivation: the gate of the stage
    the system returns to applies. With items missing, the move is refused (`GateRefused`) unless
    someone allowed to override (`may_override`) gives a reason; the transition then keeps what was
    missing and why. The actor's role is read here, narrowed by the API `token` they act with.
    """
    override_reason = (override_reason or "").strip()
    if len(override_reason) > REASON_LIMIT:
        raise ServiceError(f"the reason is longer than {REASON_LIMIT} characters", field="override_reason")
    with transaction.atomic():
        system = AISystem.objects.select_for_update(of=("self",)).select_related("organization").get(pk=system.pk)
        role = _role(actor, system.organization, token)
        if role is None or not has_perm(role, Perm.WRITE):
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
            if not may_override(role, actor, system):
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
            actor=actor,
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


# ------------------------------------------------------------------------------------------- panel


def stage_targets(stage: str) -> list[dict]:
    """Where a system in `stage` may go: {key, label, kind} with kind forward, back, retire or reactivate."""
    targets = []
    for key, label in lifecycle().choices():
        try:
            kind = transition_kind(stage, key)
        except ServiceError:
            continue
        targets.append({"key": key, "label": label, "kind": kind})
    order = {"forward": 0, "retire": 1, "reactivate": 2, "back": 3}
    return sorted(targets, key=lambda t: order[t["kind"]])


def lifecycle_panel(tenant, system) -> dict:
    """What the system page shows about the life cycle, in a fixed number of queries.

    Keys: system, stages (stepper rows {key, label, state: done|current|upcoming}), current and
    next_stage ({key, label} or None), gate (GateStatus of the next stage, or None), retirement_gate
    (GateStatus, when retirement is not the next stage), targets (stage_targets), can_transition,
    can_override, transition_url, history_url, policy_url; return_to (where the form goes back to;
    empty: the page it is on) and to_stage, refusal ({to_stage, to_label, missing, message}),
    reason and error, which the transition view fills after a refused move.
    """
    stage = system.stage
    keys = lifecycle().keys
    position = keys.index(stage) if stage in keys else -1
    following = next_stage(stage)
    wanted = [s for s in dict.fromkeys([following, RETIREMENT]) if s and s != stage]
    policy = gate_policy_for(tenant.organization)
    gates = evaluate_systems([system], wanted, policy=policy)[system.pk]
    org = tenant.organization.slug
    return {
        "system": system,
        "stages": [
            {
                "key": key,
                "label": label,
                "state": "current" if i == position else ("done" if i < position else "upcoming"),
            }
            for i, (key, label) in enumerate(lifecycle().choices())
        ],
        "current": {"key": stage, "label": lifecycle().label(stage)},
        "next_stage": {"key": following, "label": lifecycle().label(following)} if following else None,
        "gate": gates.get(following) if following else None,
        "retirement_gate": gates.get(RETIREMENT) if following != RETIREMENT else None,
        "targets": stage_targets(stage),
        "can_transition": tenant.can(Perm.WRITE),
        "can_override": may_override(tenant.role, tenant.user, system),
        "transition_url": reverse("inventory:lifecycle_transition", args=[org, system.pk]),
        "history_url": reverse("inventory:lifecycle_history", args=[org, system.pk]),
        "policy_url": reverse("inventory:lifecycle_policy", args=[org]),
        "return_to": "",
        "to_stage": "",
        "refusal": None,
        "reason": "",
        "error": "",
    }
