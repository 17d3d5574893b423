"""Every write of the risk app: criteria versions (6.1.1), the register (6.1.2), assessments (8.2),
treatment plans and the controls they select (6.1.3, 8.3), and acceptance of residual risk.

Each service validates, runs in one transaction and records its audit event there. Levels are never
taken from the caller: they are computed from the criteria version in force and stored with it.

Criteria bootstrap: an organization has no criteria rows until they are first needed for a write —
the first assessment, or a manager saving a draft — when `criteria_ensure` copies the shipped default
(`data/criteria-default.yaml`) into version 1, recorded in the audit trail like any other change.
Pages read the default without writing anything until then.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from openaims.audittrail import links
from openaims.audittrail.revisions import claim_revision
from openaims.audittrail.services import Action, diff, fk_label, record_event, snapshot
from openaims.catalog.models import CatalogNode
from openaims.inventory.models import AISystem
from openaims.inventory.significance import keyed_hashes
from openaims.lib.errors import Conflict, Forbidden, ServiceError
from openaims.lib.validation import clean_text as _text
from openaims.risk.criteria import AppetiteRule, CriteriaData, default_criteria, parse_criteria
from openaims.risk.models import (
    ActionStatus,
    Risk,
    RiskAcceptance,
    RiskAssessment,
    RiskControl,
    RiskCriteria,
    RiskObjective,
    RiskSource,
    RiskStatus,
    RiskSystem,
    TreatmentAction,
    TreatmentOption,
)
from openaims.tenancy.models import Organization, Tenant
from openaims.tenancy.numbering import next_number
from openaims.tenancy.roles import acceptance_authority, role_with_article
from openaims.tenancy.selectors import check_member

SOURCE_KIND = "risk_source"  # catalog node kinds a risk may cite (ISO/IEC 42001 Annex C.3.x, C.2.x)
OBJECTIVE_KIND = "objective"
ADDED_AFTER_ASSESSMENT = "added"


# --- Criteria (6.1.1) ---------------------------------------------------------------------------------


def current_criteria(organization) -> RiskCriteria | None:
    """The latest published criteria version, or None before the organization has any."""
    return (
        RiskCriteria.objects.filter(organization=organization, published_at__isnull=False).order_by("-number").first()
    )


def _next_criteria_number(organization) -> int:
    return (RiskCriteria.objects.filter(organization=organization).aggregate(m=Max("number"))["m"] or 0) + 1


def criteria_ensure(*, actor: Tenant) -> RiskCriteria:
    """The criteria in force; on first use, version 1 copied from the shipped default (audited)."""
    organization = actor.organization
    organization = actor.organization
    version = current_criteria(organization)
    if version is not None:
        return version
    data = default_criteria()
    with transaction.atomic():
        # Concurrent first uses queue on the organization row, then the later ones find the first one's version.
        Organization.objects.select_for_update().filter(pk=organization.pk).first()
        version = current_criteria(organization)  # someone else may have just created it
        if version is not None:
            return version
        now = timezone.now()
        version = RiskCriteria.objects.create(
            organization=organization,
            number=_next_criteria_number(organization),
            content=data.as_json(),
            content_hash=data.content_hash(),
            note="The OpenAIMS default criteria, adopted on first use.",
            created_by=actor.user,
            created_at=now,
            published_by=actor.user,
            published_at=now,
        )
        record_event(
            actor=actor,
            organization=organization,
            obj=version,
            action=Action.CREATE,
            changes={
                "number": [None, version.number],
                "content_hash": [None, version.content_hash],
                "source": [None, "default"],
            },
        )
    return version


def criteria_draft_save(
    *, actor: Tenant, content: dict | CriteriaData, note: str = "", expected_revision: int | None = None
) -> RiskCriteria:
    """Create or replace the organization's draft of the next criteria version (published ones never change).

    `expected_revision`: the draft's revision the editor read (a stale one is refused, see lib/concurrency);
    0 when they started from the criteria in force (no draft yet), so a draft made meanwhile is not replaced.
    """
    organization = actor.organization
    data = content if isinstance(content, CriteriaData) else parse_criteria(content)
    base = criteria_ensure(actor=actor)
    with transaction.atomic():
        draft = (
            RiskCriteria.objects.select_for_update()
            .filter(organization=organization, published_at__isnull=True)
            .first()
        )
        if draft is None:
            if expected_revision:  # the draft they edited was published or discarded meanwhile
                raise Conflict("The draft was published or discarded since you opened it; reload the page.")
            draft = RiskCriteria(
                organization=organization,
                number=max(_next_criteria_number(organization), base.number + 1),
                created_by=actor.user,
            )
            before = {}
        else:
            before = {"content_hash": draft.content_hash, "note": draft.note}
            claim_revision(draft, expected_revision)
        draft.content = data.as_json()
        draft.content_hash = data.content_hash()
        draft.note = note.strip()
        try:
            with transaction.atomic():
                draft.save()
        except IntegrityError:
            raise Conflict("someone else is editing a draft of the risk criteria; reload the page") from None
        record_event(
            actor=actor,
            organization=organization,
            obj=draft,
            action=Action.UPDATE if before else Action.CREATE,
            changes=diff(before, {"content_hash": draft.content_hash, "note": draft.note})
            | ({} if before else {"number": [None, draft.number]}),
        )
    return draft


def criteria_draft_discard(*, actor: Tenant) -> None:
    """Drop the draft of the next criteria version."""
    organization = actor.organization
    organization = actor.organization
    with transaction.atomic():
        draft = RiskCriteria.objects.filter(organization=organization, published_at__isnull=True).first()
        if draft is None:
            raise Conflict("there is no draft of the risk criteria")
        record_event(
            actor=actor,
            organization=organization,
            obj=draft,
            action=Action.DELETE,
            changes={"number": [draft.number, None]},
        )
        draft.delete()


def criteria_publish(*, actor: Tenant) -> RiskCriteria:
    """Publish the draft as the criteria in force. Later assessments use it; earlier ones keep their version."""
    organization = actor.organization
    organization = actor.organization
    with transaction.atomic():
        draft = (
            RiskCriteria.objects.select_for_update()
            .filter(organization=organization, published_at__isnull=True)
            .first()
        )
        if draft is None:
            raise Conflict("there is no draft of the risk criteria to publish")
        parse_criteria(draft.content)  # a draft stored by an older release is checked again
        current = current_criteria(organization)
        if current is not None and current.content_hash == draft.content_hash:
            raise Conflict(f"the draft is the same as version {current.number}: change something first")
        draft.published_by = actor.user
        draft.published_at = timezone.now()
        draft.save(update_fields=["published_by", "published_at"])
        record_event(
            actor=actor,
            organization=organization,
            obj=draft,
            action="publish",
            changes={
                "published": [current.number if current else None, draft.number],
                "content_hash": [current.content_hash if current else None, draft.content_hash],
            },
        )
    return draft


# --- Helpers ------------------------------------------------------------------------------------------


def _systems(organization, systems: Iterable) -> list:
    systems = list(dict.fromkeys(systems or ()))
    for system in systems:
        if system.organization_id != organization.pk:
            raise ServiceError("an AI system of another organization cannot be linked", field="systems")
    return systems


def _nodes(nodes: Iterable[CatalogNode], kind: str, field: str) -> list[CatalogNode]:
    nodes = list(dict.fromkeys(nodes or ()))
    for node in nodes:
        if node.kind != kind:
            what = "risk source" if kind == SOURCE_KIND else "objective"
            raise ServiceError(f"{node.ref_id or node.urn} is not a {what} of the catalog", field=field)
    return nodes


def _set_links(link_model, risk: Risk, attname: str, wanted: list) -> tuple[list, list]:
    """Make the risk's links of one kind exactly `wanted`; returns (before, after) labels for the audit event."""
    current = {getattr(link, attname): link for link in link_model.objects.filter(risk=risk)}
    wanted_ids = {obj.pk for obj in wanted}
    removed = [pk for pk in current if pk not in wanted_ids]
    if removed:
        link_model.objects.filter(risk=risk, **{f"{attname}__in": removed}).delete()
    added = [obj for obj in wanted if obj.pk not in current]
    field = attname.removesuffix("_id")
    link_model.objects.bulk_create(
        [link_model(organization_id=risk.organization_id, risk=risk, **{field: obj}) for obj in added]
    )
    return sorted(current), sorted(wanted_ids)


def _labels(model, pks: list[int], label) -> list[str]:
    objects = model.objects.filter(pk__in=pks) if pks else []
    return sorted(label(obj) for obj in objects)


def _system_label(system) -> str:
    return f"AIS-{system.number}"


def _state(risk: Risk) -> dict:
    values = snapshot(risk, Risk.AUDITED_FIELDS)
    values["owner"] = fk_label(risk.owner)
    return values


# --- The register (6.1.2) -----------------------------------------------------------------------------


def risk_create(
    *,
    actor: Tenant,
    title: str,
    description: str = "",
    owner=None,
    systems: Iterable = (),
    sources: Iterable[CatalogNode] = (),
    objectives: Iterable[CatalogNode] = (),
    other_sources: str = "",
    other_objectives: str = "",
    existing_controls: str = "",
    treatment_plan: str = "",
    review_date: date | None = None,
) -> Risk:
    """Record an identified AI risk (6.1.2 c): for some AI systems, or organization-wide when none is named."""
    organization = actor.organization
    title = _text(title, "title", limit=200, required=True)
    check_member(organization, owner, field="owner")
    systems = _systems(organization, systems)
    sources = _nodes(sources, SOURCE_KIND, "sources")
    objectives = _nodes(objectives, OBJECTIVE_KIND, "objectives")
    with transaction.atomic():
        number = next_number(organization, "risk")
        now = timezone.now()
        risk = Risk.objects.create(
            organization=organization,
            number=number,
            title=title,
            description=_text(description, "description"),
            owner=owner,
            other_sources=_text(other_sources, "other_sources"),
            other_objectives=_text(other_objectives, "other_objectives"),
            existing_controls=_text(existing_controls, "existing_controls"),
            treatment_plan=_text(treatment_plan, "treatment_plan"),
            review_date=review_date,
            created_by=actor.user,
            created_at=now,
            updated_at=now,
        )
        RiskSystem.objects.bulk_create([RiskSystem(organization=organization, risk=risk, system=s) for s in systems])
        RiskSource.objects.bulk_create([RiskSource(organization=organization, risk=risk, node=n) for n in sources])
        RiskObjective.objects.bulk_create(
            [RiskObjective(organization=organization, risk=risk, node=n) for n in objectives]
        )
        changes = diff({}, _state(risk))
        changes["number"] = [None, number]
        if systems:
            changes["systems"] = [None, sorted(_system_label(s) for s in systems)]
        if sources:
            changes["sources"] = [None, sorted(n.ref_id for n in sources)]
        if objectives:
            changes["objectives"] = [None, sorted(n.ref_id for n in objectives)]
        record_event(actor=actor, organization=organization, obj=risk, action=Action.CREATE, changes=changes)
    return risk


TEXT_FIELDS = ("title", "description", "other_sources", "other_objectives", "existing_controls", "treatment_plan")
UPDATABLE = {
    "title",
    "description",
    "owner",
    "systems",
    "sources",
    "objectives",
    "other_sources",
    "other_objectives",
    "existing_controls",
    "treatment_plan",
    "review_date",
}


def _relink_systems(risk: Risk, systems: list) -> dict:
    """Link exactly `systems`; the audit change of the links, if any."""
    old, new = _set_links(RiskSystem, risk, "system_id", systems)
    if risk.has_inherent:
        # The assessment did not cover a system linked after it: suggest a re-assessment.
        RiskSystem.objects.filter(risk=risk, system_id__in=set(new) - set(old)).update(
            assessed_fingerprint=ADDED_AFTER_ASSESSMENT
        )
    if old == new:
        return {}
    return {"systems": [_labels(AISystem, old, _system_label), _labels(AISystem, new, _system_label)]}


def risk_update(*, actor: Tenant, risk: Risk, expected_revision: int | None = None, **values) -> Risk:
    """Change what the register says about a risk. Scores change only through `risk_assess`.

    `expected_revision`: the revision the editor read (a stale one is refused, see lib/concurrency).
    """
    unknown = set(values) - UPDATABLE
    if unknown:
        raise ServiceError(f"cannot change {', '.join(sorted(unknown))} here", field=sorted(unknown)[0])
    organization = risk.organization
    with transaction.atomic():
        risk = Risk.objects.select_for_update(of=("self",)).select_related("owner").get(pk=risk.pk)
        before = _state(risk)
        for name in TEXT_FIELDS:
            if name in values:
                limit = 200 if name == "title" else None
                setattr(risk, name, _text(values[name], name, limit=limit, required=name == "title"))
        if "owner" in values:
            risk.owner = check_member(organization, values["owner"], field="owner")
        if "review_date" in values:
            risk.review_date = values["review_date"]
        changes = diff(before, _state(risk))
        if "systems" in values:
            changes.update(_relink_systems(risk, _systems(organization, values["systems"])))
        for name, model, kind in (("sources", RiskSource, SOURCE_KIND), ("objectives", RiskObjective, OBJECTIVE_KIND)):
            if name in values:
                old, new = _set_links(model, risk, "node_id", _nodes(values[name], kind, name))
                if old != new:
                    label = lambda n: n.ref_id or n.urn  # noqa: E731
                    changes[name] = [_labels(CatalogNode, old, label), _labels(CatalogNode, new, label)]
        if changes:
            claim_revision(risk, expected_revision)
            risk.updated_at = timezone.now()
            risk.save()
            record_event(actor=actor, organization=organization, obj=risk, action=Action.UPDATE, changes=changes)
    return risk


# --- Assessment (8.2) ---------------------------------------------------------------------------------


def _scores(risk: Risk) -> dict:
    values = {name: getattr(risk, name) for name in Risk.SCORE_FIELDS}
    values["criteria_version"] = risk.criteria.number if risk.criteria_id else None
    values["status"] = risk.status
    return values


def _revoke_acceptance(risk: Risk, reason: str) -> RiskAcceptance | None:
    acceptance = RiskAcceptance.objects.filter(risk=risk, revoked_at__isnull=True).first()
    if acceptance is not None:
        acceptance.revoked_at = timezone.now()
        acceptance.revoked_reason = reason
        acceptance.save(update_fields=["revoked_at", "revoked_reason"])
    return acceptance


def _fingerprint_links(risk: Risk) -> None:
    """Remember each linked system's significant fields as assessed ("reassessment suggested" compares them)."""
    links = list(RiskSystem.objects.filter(risk=risk))
    if not links:
        return
    hashes = keyed_hashes(risk.organization, [link.system_id for link in links])
    for link in links:
        link.assessed_fingerprint = hashes.get(link.system_id, "")
    RiskSystem.objects.bulk_update(links, ["assessed_fingerprint"])


def risk_assess(
    *,
    actor: Tenant,
    risk: Risk,
    inherent_likelihood: int,
    inherent_consequence: int | None = None,
    inherent_consequences: dict[str, int] | None = None,
    treatment_option: str = "",
    residual_likelihood: int | None = None,
    residual_consequence: int | None = None,
    residual_consequences: dict[str, int] | None = None,
    review_date: date | None = None,
    note: str = "",
) -> RiskAssessment:
    """(Re-)assess a risk under the criteria in force: levels are computed, the scores kept as history.

    Consequences are rated per dimension of the criteria (`*_consequences`); one value (`*_consequence`)
    holds for every dimension. The level comes from the highest of them. A residual risk needs a
    treatment option; retaining a risk without stating the residual keeps the inherent scores. A
    residual level above the inherent one is refused (a treatment does not add risk). Any earlier
    acceptance no longer holds: the risk owner signs off the new residual risk again.
    """
    return _assess(
        actor=actor,
        risk=risk,
        inherent_likelihood=inherent_likelihood,
        inherent_consequence=inherent_consequence,
        inherent_consequences=inherent_consequences,
        treatment_option=treatment_option,
        residual_likelihood=residual_likelihood,
        residual_consequence=residual_consequence,
        residual_consequences=residual_consequences,
        review_date=review_date,
        note=note,
    )


def risk_assess_derived(
    *,
    actor: Tenant,
    risk: Risk,
    likelihood: int,
    consequences: dict[str, int],
    derived_from: str,
    note: str = "",
) -> RiskAssessment:
    """An inherent assessment carried over from another rating (a harm of an impact assessment, 6.1.4),
    recorded as derived from it. Only the dimensions the source rated are given; a normal re-assessment
    replaces it like any other."""
    derived_from = _text(derived_from, "derived_from", limit=200, required=True)
    return _assess(
        actor=actor,
        risk=risk,
        inherent_likelihood=likelihood,
        inherent_consequences=consequences,
        partial=True,
        derived_from=derived_from,
        note=note,
    )


@dataclass(frozen=True)
class _Rating:
    """An assessment's scores as checked against the criteria, with the consequences and levels they give."""

    inherent_likelihood: int
    inherent_by_dimension: dict[str, int]
    inherent_consequence: int
    inherent_level: str
    residual_likelihood: int | None
    residual_by_dimension: dict[str, int]
    residual_consequence: int | None
    residual_level: str
    treatment_option: str

    def fields(self) -> dict[str, Any]:
        """The values a risk and its assessment record alike."""
        return {
            "inherent_likelihood": self.inherent_likelihood,
            "inherent_consequence": self.inherent_consequence,
            "inherent_consequences": self.inherent_by_dimension,
            "inherent_level": self.inherent_level,
            "treatment_option": self.treatment_option,
            "residual_likelihood": self.residual_likelihood,
            "residual_consequence": self.residual_consequence,
            "residual_consequences": self.residual_by_dimension,
            "residual_level": self.residual_level,
        }


def _rate(
    data: CriteriaData,
    *,
    inherent_likelihood: int,
    inherent_consequence: int | None,
    inherent_consequences: dict[str, int] | None,
    treatment_option: str,
    residual_likelihood: int | None,
    residual_consequence: int | None,
    residual_consequences: dict[str, int] | None,
    partial: bool,
) -> _Rating:
    """Check an assessment's scores against the criteria and compute its consequences and levels."""
    if treatment_option and treatment_option not in TreatmentOption.values:
        raise ServiceError(f"unknown treatment option {treatment_option!r}", field="treatment_option")
    residual_rated = residual_consequence is not None or bool(residual_consequences)
    if (residual_likelihood is None) == residual_rated:
        raise ServiceError("give both residual likelihood and consequence, or neither", field="residual_likelihood")
    inherent_by_dimension = data.consequences(
        inherent_consequence, inherent_consequences, what="inherent", partial=partial
    )
    inherent_consequence = data.consequence_of(inherent_by_dimension)
    if treatment_option == TreatmentOption.RETAIN and residual_likelihood is None:
        residual_likelihood, residual_by_dimension = inherent_likelihood, dict(inherent_by_dimension)
    elif residual_likelihood is not None:
        residual_by_dimension = data.consequences(residual_consequence, residual_consequences, what="residual")
    else:
        residual_by_dimension = {}
    residual_consequence = data.consequence_of(residual_by_dimension) if residual_by_dimension else None
    if residual_likelihood is not None and not treatment_option:
        raise ServiceError("choose a treatment option before scoring the residual risk", field="treatment_option")
    data.check_scores(inherent_likelihood, inherent_consequence, what="inherent")
    inherent_level = data.level_key(inherent_likelihood, inherent_consequence)
    residual_level = ""
    if residual_likelihood is not None:
        data.check_scores(residual_likelihood, residual_consequence, what="residual")
        residual_level = data.level_key(residual_likelihood, residual_consequence)
        if data.rank(residual_level) > data.rank(inherent_level):
            raise ServiceError(
                f"the residual level ({data.level(residual_level).name}) cannot be higher than the inherent level "
                f"({data.level(inherent_level).name})",
                field="residual_likelihood",
            )
    return _Rating(
        inherent_likelihood=inherent_likelihood,
        treatment_option=treatment_option,
        inherent_by_dimension=inherent_by_dimension,
        inherent_consequence=inherent_consequence,
        inherent_level=inherent_level,
        residual_likelihood=residual_likelihood,
        residual_by_dimension=residual_by_dimension,
        residual_consequence=residual_consequence,
        residual_level=residual_level,
    )


def _assess(
    *,
    actor: Tenant,
    risk: Risk,
    inherent_likelihood: int,
    inherent_consequence: int | None = None,
    inherent_consequences: dict[str, int] | None = None,
    treatment_option: str = "",
    residual_likelihood: int | None = None,
    residual_consequence: int | None = None,
    residual_consequences: dict[str, int] | None = None,
    review_date: date | None = None,
    note: str = "",
    partial: bool = False,
    derived_from: str = "",
) -> RiskAssessment:
    organization = risk.organization
    criteria = criteria_ensure(actor=actor)
    data = criteria.data
    rating = _rate(
        data,
        inherent_likelihood=inherent_likelihood,
        inherent_consequence=inherent_consequence,
        inherent_consequences=inherent_consequences,
        treatment_option=treatment_option or "",
        residual_likelihood=residual_likelihood,
        residual_consequence=residual_consequence,
        residual_consequences=residual_consequences,
        partial=partial,
    )
    with transaction.atomic():
        risk = Risk.objects.select_for_update().get(pk=risk.pk)
        if risk.status == RiskStatus.CLOSED:
            raise Conflict("this risk is closed: reopen it before assessing it again")
        before = _scores(risk)
        now = timezone.now()
        for field, value in rating.fields().items():
            setattr(risk, field, value)
        risk.inherent_rank = data.rank(rating.inherent_level)
        risk.residual_rank = data.rank(rating.residual_level) if rating.residual_level else None
        risk.derived_from = derived_from
        risk.criteria = criteria
        risk.assessed_at = now
        risk.updated_at = now
        if review_date is not None:
            before["review_date"] = risk.review_date
            risk.review_date = review_date
        risk.status = RiskStatus.ASSESSED
        risk.save()
        assessment = RiskAssessment.objects.create(
            organization=organization,
            risk=risk,
            criteria=criteria,
            **rating.fields(),
            derived_from=derived_from,
            note=_text(note, "note"),
            assessed_by=actor.user,
            assessed_at=now,
        )
        _fingerprint_links(risk)
        revoked = _revoke_acceptance(risk, "re-assessed")
        after = _scores(risk)
        if "review_date" in before:
            after["review_date"] = risk.review_date
        changes = diff(before, after)
        changes["criteria_version"] = [None, criteria.number]  # the version this assessment used, always
        if revoked is not None:
            changes["acceptance"] = [revoked.accepted_by.get_username(), None]
        record_event(actor=actor, organization=organization, obj=risk, action="assess", changes=changes)
    return assessment


# --- Acceptance of residual risk (6.1.3, after g)) ----------------------------------------------------


def _acceptance_rule(actor: Tenant, risk: Risk) -> tuple[RiskCriteria, AppetiteRule]:
    """The criteria in force and their rule for the risk's residual level, if `actor` may accept it now;
    otherwise the refusal (see `risk_accept`)."""
    organization = risk.organization
    if risk.status == RiskStatus.CLOSED:
        raise Conflict("this risk is closed")
    if risk.status == RiskStatus.ACCEPTED:
        raise Conflict("the residual risk is already accepted; a new assessment needs a new acceptance")
    if not risk.has_residual:
        raise Conflict("assess the residual risk (treatment option and residual scores) before accepting it")
    if actor.user is None or risk.organization_id != actor.organization.pk:
        raise Forbidden("accepting a residual risk is the act of its owner, a member of this organization")
    if risk.created_by_id == actor.user.pk:
        raise Forbidden(
            "you recorded this risk, so you cannot also accept it: acceptance is a separate sign-off by the "
            "risk owner (separation of duties)"
        )
    if risk.owner_id is None:
        raise Conflict("name a risk owner first: only the risk owner can accept the residual risk")
    if risk.owner_id != actor.user.pk:
        raise Forbidden(f"only the risk owner ({risk.owner.get_username()}) can accept the residual risk")
    current = current_criteria(organization)
    if current is None or risk.criteria_id != current.pk:
        raise Conflict(
            f"this risk was assessed under risk criteria v{risk.criteria.number if risk.criteria_id else '?'}; "
            f"v{current.number if current else '?'} is in force: re-assess it before accepting"
        )
    data = current.data
    level = data.level(risk.residual_level)
    rule = data.rule(risk.residual_level)
    level_name = level.name if level else risk.residual_level
    if rule is None or rule.accept_role is None:
        raise Conflict(
            f"under risk criteria v{current.number} a {level_name} residual risk cannot be accepted: treat it further"
        )
    if actor.acceptance_authority() < acceptance_authority(rule.accept_role):
        where = "within" if rule.within_appetite else "above"
        raise Forbidden(
            f"the residual risk is {level_name}, {where} the risk appetite: under risk criteria v{current.number} "
            f"only {role_with_article(rule.accept_role)} or higher may accept it, and you act as {actor.role}. "
            "Hand the risk to an owner with that authority, or treat it further."
        )
    return current, rule


def risk_accept(*, actor: Tenant, risk: Risk, note: str = "") -> RiskAcceptance:
    """The risk owner signs off the residual risk, within the authority the criteria give their role.

    Refused: for the risk's author (separation of duties), for anyone but the risk owner, for an actor
    whose acceptance authority (tenancy.roles: the role it acts with, narrowed by an API token) is below
    what the criteria require at the residual level (auditors, viewers and the system actor never
    accept), for a level the criteria do not let anyone accept, and before the residual risk is
    assessed under the criteria in force.
    """
    organization = risk.organization
    with transaction.atomic():
        risk = Risk.objects.select_for_update(of=("self",)).select_related("owner", "created_by").get(pk=risk.pk)
        current, rule = _acceptance_rule(actor, risk)
        acting = actor.role
        acceptance = RiskAcceptance.objects.create(
            organization=organization,
            risk=risk,
            criteria=current,
            accepted_by=actor.user,
            accepted_role=acting,
            residual_likelihood=risk.residual_likelihood,
            residual_consequence=risk.residual_consequence,
            residual_consequences=risk.residual_consequences,
            residual_level=risk.residual_level,
            within_appetite=rule.within_appetite,
            note=_text(note, "note"),
        )
        risk.status = RiskStatus.ACCEPTED
        risk.updated_at = timezone.now()
        risk.save(update_fields=["status", "updated_at"])
        record_event(
            actor=actor,
            organization=organization,
            obj=risk,
            action="accept",
            changes={
                "status": [RiskStatus.ASSESSED, RiskStatus.ACCEPTED],
                "residual_level": [None, risk.residual_level],
                "within_appetite": [None, rule.within_appetite],
                "criteria_version": [None, current.number],
                "role": [None, acting],
            },
        )
    return acceptance


def risk_close(*, actor: Tenant, risk: Risk, reason: str = "") -> Risk:
    """The risk no longer applies (system retired, activity stopped). It stays in the register, closed."""
    with transaction.atomic():
        risk = Risk.objects.select_for_update().get(pk=risk.pk)
        if risk.status == RiskStatus.CLOSED:
            raise Conflict("this risk is already closed")
        before = risk.status
        risk.status = RiskStatus.CLOSED
        risk.updated_at = timezone.now()
        risk.save(update_fields=["status", "updated_at"])
        changes = {"status": [before, risk.status]}
        if reason.strip():
            changes["reason"] = [None, reason.strip()]
        record_event(actor=actor, organization=risk.organization, obj=risk, action="close", changes=changes)
    return risk


def risk_reopen(*, actor: Tenant, risk: Risk) -> Risk:
    with transaction.atomic():
        risk = Risk.objects.select_for_update().get(pk=risk.pk)
        if risk.status != RiskStatus.CLOSED:
            raise Conflict("this risk is not closed")
        if RiskAcceptance.objects.filter(risk=risk, revoked_at__isnull=True).exists():
            risk.status = RiskStatus.ACCEPTED
        elif risk.has_inherent:
            risk.status = RiskStatus.ASSESSED
        else:
            risk.status = RiskStatus.IDENTIFIED
        risk.updated_at = timezone.now()
        risk.save(update_fields=["status", "updated_at"])
        record_event(
            actor=actor,
            organization=risk.organization,
            obj=risk,
            action="reopen",
            changes={"status": [RiskStatus.CLOSED, risk.status]},
        )
    return risk


# --- Treatment plan (6.1.3 g), 8.3) ------------------------------------------------------------------


def _action_state(action: TreatmentAction) -> dict:
    values = snapshot(action, TreatmentAction.AUDITED_FIELDS)
    values["owner"] = fk_label(action.owner)
    return values


def _action_changes(before: dict, after: dict) -> dict:
    # Recorded on the risk: its history shows its whole treatment plan.
    changes = {f"action.{key}": value for key, value in diff(before, after).items()}
    changes["action"] = [before.get("title"), after.get("title")]
    return changes


def _clean_action(organization, values: dict, *, partial: bool) -> dict:
    allowed = {"title", "description", "owner", "due_date", "status"}
    unknown = set(values) - allowed
    if unknown:
        raise ServiceError(f"cannot change {', '.join(sorted(unknown))} of an action", field=sorted(unknown)[0])
    cleaned = {}
    if "title" in values or not partial:
        title = (values.get("title") or "").strip()
        if not title:
            raise ServiceError("an action needs a title", field="title")
        if len(title) > 200:
            raise ServiceError("title: at most 200 characters", field="title")
        cleaned["title"] = title
    if "description" in values:
        cleaned["description"] = (values["description"] or "").strip()
    if "owner" in values:
        cleaned["owner"] = check_member(organization, values["owner"], field="owner")
    if "due_date" in values:
        cleaned["due_date"] = values["due_date"]
    if "status" in values:
        status = values["status"] or ActionStatus.PLANNED
        if status not in ActionStatus.values:
            raise ServiceError(f"unknown action status {status!r}", field="status")
        cleaned["status"] = status
    return cleaned


def treatment_action_create(*, actor: Tenant, risk: Risk, **values) -> TreatmentAction:
    """Add an action to the risk's treatment plan: title, owner, due date, status."""
    cleaned = _clean_action(risk.organization, values, partial=False)
    with transaction.atomic():
        now = timezone.now()
        action = TreatmentAction.objects.create(
            organization=risk.organization,
            risk=risk,
            created_by=actor.user,
            created_at=now,
            updated_at=now,
            completed_at=now if cleaned.get("status") == ActionStatus.DONE else None,
            **cleaned,
        )
        record_event(
            actor=actor,
            organization=risk.organization,
            obj=risk,
            action="add_action",
            changes=_action_changes({}, _action_state(action)),
        )
    return action


def treatment_action_update(
    *, actor: Tenant, action: TreatmentAction, expected_revision: int | None = None, **values
) -> TreatmentAction:
    cleaned = _clean_action(action.organization, values, partial=True)
    with transaction.atomic():
        action = TreatmentAction.objects.select_for_update(of=("self",)).select_related("owner").get(pk=action.pk)
        before = _action_state(action)
        for name, value in cleaned.items():
            setattr(action, name, value)
        after = _action_state(action)
        if diff(before, after):
            claim_revision(action, expected_revision)
            if action.status == ActionStatus.DONE and before["status"] != ActionStatus.DONE:
                action.completed_at = timezone.now()
            elif action.status != ActionStatus.DONE:
                action.completed_at = None
            action.updated_at = timezone.now()
            action.save()
            record_event(
                actor=actor,
                organization=action.organization,
                obj=action.risk,
                action="update_action",
                changes=_action_changes(before, after),
                revised=action,
            )
    return action


def treatment_action_delete(*, actor: Tenant, action: TreatmentAction) -> None:
    with transaction.atomic():
        record_event(
            actor=actor,
            organization=action.organization,
            obj=action.risk,
            action="delete_action",
            changes={"action": [action.title, None]},
        )
        action.delete()


def risk_select_control(*, actor: Tenant, risk: Risk, control) -> tuple[RiskControl, bool]:
    """Record that the risk's treatment selects `control` (6.1.3 b)): the SoA then shows it as the reason.

    Returns (link, created); selecting twice changes nothing."""
    if control.organization_id != risk.organization_id:
        raise ServiceError("the control belongs to another organization")
    return links.link(
        actor=actor,
        owner=risk,
        model=RiskControl,
        values={"risk": risk, "control": control},
        action="select_control",
        key="control",
        shown=control.ref_id,
    )


def risk_deselect_control(*, actor: Tenant, risk: Risk, control) -> bool:
    """The risk's treatment no longer selects `control`; returns whether it did."""
    return links.unlink(
        actor=actor,
        owner=risk,
        model=RiskControl,
        values={"risk": risk, "control": control},
        action="deselect_control",
        key="control",
        shown=control.ref_id,
    )
