"""An organization's gate policy: which gate items each life-cycle stage asks for (its own, or the data default)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.db import transaction
from django.utils import timezone

from openaims.audittrail.revisions import claim_revision, stale_edit
from openaims.audittrail.services import Action, diff, record_event
from openaims.inventory.lifecycle.items import _items
from openaims.inventory.models import GatePolicy, RiskClass
from openaims.inventory.vocabulary import GateEntry, lifecycle
from openaims.lib.errors import Conflict, Forbidden, ServiceError
from openaims.tenancy.models import Tenant
from openaims.tenancy.roles import Perm


def gated_stages() -> list[str]:
    """Every stage but the first: systems start there, so it has no gate."""
    return lifecycle().keys[1:]


# Which system fields a condition may name, and the values each may take.
CONDITION_FIELDS: dict[str, tuple[str, ...]] = {"risk_class": tuple(RiskClass.values)}


class GatePolicyMap(dict):
    """{stage: [item key, ...]}, and in `conditions` {stage: {key: {field: [values]}}} for the items that apply
    only to some systems (an item without a condition applies to every system)."""

    def __init__(self, items=(), conditions: Mapping[str, Mapping[str, dict]] | None = None, revision: int = 0):
        super().__init__(items)
        self.conditions: dict[str, dict[str, dict]] = {k: dict(v) for k, v in (conditions or {}).items()}
        self.revision = revision  # of the saved policy; 0 while the data defaults apply

    def when(self, stage: str, key: str) -> dict:
        return self.conditions.get(stage, {}).get(key, {})

    def entries(self) -> dict[str, list]:
        """The stored form: a key, or {"item": key, "when": {...}} for a conditional item."""
        return {
            stage: [{"item": key, "when": self.when(stage, key)} if self.when(stage, key) else key for key in keys]
            for stage, keys in self.items()
        }


def condition_text(when: Mapping[str, Iterable[str]]) -> str:
    """'Only for high-risk systems' — the condition as people read it."""
    if not when:
        return ""
    labels = dict(RiskClass.choices)
    classes = [labels.get(value, value).lower() for value in when.get("risk_class", ())]
    return f"Only for {' or '.join(classes)} systems" if classes else ""


def _clean_when(stage: str, key: str, when) -> dict:
    if not isinstance(when, Mapping):
        raise ServiceError(f"{stage}: the condition of {key} must map a field to a list of values", field="items")
    cleaned = {}
    for name, values in when.items():
        if name not in CONDITION_FIELDS:
            raise ServiceError(
                f"{stage}: {key} may depend on {', '.join(CONDITION_FIELDS)}, not {name!r}", field="items"
            )
        if isinstance(values, str) or not isinstance(values, Iterable):
            raise ServiceError(f"{stage}: the condition {name} of {key} needs a list of values", field="items")
        values = list(dict.fromkeys(str(v) for v in values))
        wrong = [v for v in values if v not in CONDITION_FIELDS[name]]
        if wrong or not values:
            raise ServiceError(
                f"{stage}: {name} of {key} takes {', '.join(CONDITION_FIELDS[name])}"
                + (f", not {', '.join(wrong)}" if wrong else ""),
                field="items",
            )
        cleaned[name] = values
    return cleaned


def _split(stage: str, entries: Iterable) -> tuple[list[str], dict[str, dict]]:
    """(keys, {key: condition}) from a stage's entries: keys, {"item", "when"} mappings or GateEntry rows."""
    keys, conditions = [], {}
    for entry in entries:
        if isinstance(entry, GateEntry):
            entry = entry.model_dump()
        if isinstance(entry, Mapping):
            key = str(entry.get("item") or "")
            if not key:
                raise ServiceError(f"{stage}: a conditional entry names its gate item in 'item'", field="items")
            when = _clean_when(stage, key, entry.get("when") or {})
            if when:
                conditions[key] = when
        else:
            key = str(entry)
        keys.append(key)
    return keys, conditions


def gate_policy_for(organization) -> GatePolicyMap:
    """{stage: [item key, ...]} for every gated stage, with its conditions: the organization's policy, else the
    data defaults. An organization that saved its own policy keeps it as saved: new default items (such as
    the high-risk ones) reach it only when it adds them (a stored policy is its decision)."""
    row = GatePolicy.objects.filter(organization=organization).values_list("items", "revision").first()
    source = row[0] if row and isinstance(row[0], dict) else lifecycle().default_gates
    policy, conditions = {}, {}
    for stage in gated_stages():
        policy[stage], conditions[stage] = _split(stage, source.get(stage, ()))
    return GatePolicyMap(policy, conditions, revision=row[1] if row else 0)


def default_only_items(organization) -> list[dict]:
    """Items the data default asks for that the organization's saved policy does not: [{stage, key, when}]."""
    if not GatePolicy.objects.filter(organization=organization).exists():
        return []
    mine = gate_policy_for(organization)
    default = GatePolicyMap()
    for stage in gated_stages():
        default[stage], default.conditions[stage] = _split(stage, lifecycle().default_gates.get(stage, ()))
    return [
        {"stage": stage, "key": key, "when": default.when(stage, key)}
        for stage, keys in default.items()
        for key in keys
        if key not in mine.get(stage, [])
    ]


def unknown_default_items() -> list[str]:
    """Problems for `aims catalog check`: keys in lifecycle.yaml's default gates that no app registered."""
    return [
        f"lifecycle.yaml: default gate of {stage} names {key!r}, which no installed capability provides"
        for stage, entries in lifecycle().default_gates.items()
        for key in _split(stage, entries)[0]
        if key not in _items
    ]


def _ordered(keys: Iterable[str]) -> list[str]:
    """Registered items in registry order, then unknown ones as given; no duplicates."""
    keys = list(dict.fromkeys(keys))
    known = [key for key in _items if key in keys]
    return known + [key for key in keys if key not in _items]


def gate_policy_update(
    *, actor: Tenant, items: Mapping[str, Iterable], expected_revision: int | None = None
) -> GatePolicyMap:
    """Set which items each stage asks for (owners and managers); returns the policy now in force.

    Stages left out ask for nothing. A key must be a registered item, or one the stage already
    asks for (so an item whose app is not installed yet survives an edit of the other items).
    An entry is a key or {"item": key, "when": {"risk_class": [...]}}; a bare key keeps the condition
    the stage already has for it (the policy page edits keys only), `"when": {}` removes it.
    """
    organization = actor.organization
    if not actor.can(Perm.APPROVE):
        raise Forbidden("only owners and managers change the life-cycle gates")
    if not isinstance(items, Mapping):
        raise ServiceError("items must map each stage to a list of gate item keys", field="items")
    stages = gated_stages()
    first = lifecycle().keys[0]
    with transaction.atomic():
        policy = GatePolicy.objects.select_for_update().filter(organization=organization).first()
        before = gate_policy_for(organization)
        cleaned: dict[str, list[str]] = {}
        conditions: dict[str, dict[str, dict]] = {}
        for stage, keys in items.items():
            if stage == first:
                raise ServiceError(f"{lifecycle().label(first)} is where systems start; it has no gate", field="items")
            if stage not in stages:
                raise ServiceError(f"unknown life-cycle stage {stage!r}; use one of {', '.join(stages)}", field="items")
            if isinstance(keys, str) or not isinstance(keys, Iterable):
                raise ServiceError(f"{stage}: give a list of gate item keys", field="items")
            keys = list(keys)
            explicit = {str(e.get("item")) for e in keys if isinstance(e, Mapping)}
            keys, given = _split(stage, keys)
            kept = {k: w for k, w in before.conditions.get(stage, {}).items() if k in keys and k not in explicit}
            conditions[stage] = kept | given
            unknown = [key for key in keys if key not in _items and key not in before[stage]]
            if unknown:
                raise ServiceError(
                    f"{stage}: unknown gate item(s) {', '.join(unknown)}; available: {', '.join(_items)}",
                    field="items",
                )
            cleaned[stage] = _ordered(keys)
        after = GatePolicyMap(
            {stage: cleaned.get(stage, []) for stage in stages},
            {stage: conditions.get(stage, {}) for stage in stages},
        )
        changes = diff(before.entries(), after.entries())
        after.revision = before.revision
        if not changes:
            return after
        if policy is None:
            if expected_revision:  # the editor saw a saved policy that is gone: their page is out of date
                raise Conflict("The gate policy changed since you opened it; reload the page.")
            policy = GatePolicy.objects.create(
                organization=organization, items=after.entries(), updated_by=actor.person()
            )
            action = Action.CREATE
        else:
            if expected_revision is not None and expected_revision != policy.revision:
                raise stale_edit(policy, expected_revision, policy.revision)
            claim_revision(policy, None)
            policy.items = after.entries()
            policy.updated_by = actor.person()
            policy.updated_at = timezone.now()
            policy.save(update_fields=["items", "updated_by", "updated_at"])
            action = Action.UPDATE
        record_event(actor=actor, organization=organization, obj=policy, action=action, changes=changes)
    after.revision = policy.revision
    return after
