"""Every write of the impact app. Each service validates, runs in one transaction and records its audit event.

Workflow: draft → in review → approved, or returned → (edited) → in review again. The approver is never
the assessor (separation of duties). An approved version never changes: `impact_assessment_new_version`
copies it into draft N+1. A harm rated at or above the catalog's `risk_threshold` is linked to a risk in
the register, created through the risk app's `risk_create` when none is given (6.1.4: impact assessment
results feed the risk assessment).
"""

from __future__ import annotations

import hashlib
import json
from datetime import date

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from openaims.audittrail.revisions import claim_revision
from openaims.audittrail.services import Action, diff, record_event, snapshot
from openaims.impact import selectors
from openaims.impact.catalog import impact_catalog
from openaims.impact.models import EDITABLE, Impact, ImpactAssessment, ImpactKind, Status, Trigger
from openaims.inventory.models import RiskClass
from openaims.inventory.vocabulary import vocabulary
from openaims.lib.errors import Conflict, Forbidden, ServiceError
from openaims.lib.validation import clean_text
from openaims.risk.criteria import map_by_rank
from openaims.risk.services import criteria_ensure, risk_assess_derived, risk_create
from openaims.tenancy.models import Tenant
from openaims.tenancy.numbering import next_number
from openaims.tenancy.roles import Perm

TEXT_LIMIT = 20_000


class WorkflowAction:
    SUBMIT = "submit"
    APPROVE = "approve"
    RETURN = "return"
    NEW_VERSION = "new_version"


# --------------------------------------------------------------------------------------------- helpers


def _months_ahead(months: int) -> date:
    today = timezone.localdate()
    year, month = divmod(today.month - 1 + months, 12)
    return date(today.year + year, month + 1, min(today.day, 28))


def _text(value, field: str, *, required: bool = False, limit: int = TEXT_LIMIT) -> str:
    # Browsers send textarea lines ending in CRLF; normalised, an untouched pre-filled section compares equal.
    if isinstance(value, str):
        value = value.replace("\r\n", "\n")
    return clean_text(value, field, required=required, limit=limit)


def _editable(assessment: ImpactAssessment) -> None:
    if assessment.status not in EDITABLE:
        what = (
            "approved and cannot change: start a new version"
            if assessment.status == Status.APPROVED
            else ("in review: it changes only after the reviewer returns it")
        )
        raise Conflict(f"impact assessment v{assessment.version} is {what}")


def _locked(assessment: ImpactAssessment) -> ImpactAssessment:
    return (
        ImpactAssessment.objects.select_for_update(of=("self",))
        .select_related("system", "organization")
        .get(pk=assessment.pk)
    )


def fria_applies(system) -> bool:
    """EU AI Act Art. 27: the organization deploys (EU sense) a system classified high-risk."""
    role = vocabulary().role(system.role)
    return bool(role and "deployer" in (role.eu_ai_act or []) and system.risk_class == RiskClass.HIGH_RISK)


def _summaries(system) -> dict[str, str]:
    vocab = vocabulary()
    models = [
        f"{m.name} {m.version}".strip() + (f" ({m.model_type})" if m.model_type else "") for m in system.models.all()
    ]
    components = [f"{c.name} {c.version}".strip() for c in system.components.all()]
    datasets = []
    for d in system.datasets.all():
        line = f"{d.name} [{vocab.label('dataset_purposes', d.purpose) or d.purpose}]"
        details = "; ".join(x for x in (d.source, d.quality_checks) if x)
        datasets.append(f"{line}: {details}" if details else line)
    lines = []
    if models:
        lines.append("Models: " + "; ".join(models))
    if components:
        lines.append("Third-party components: " + "; ".join(components))
    return {
        "models_summary": "\n".join(lines),
        "datasets_summary": ("Datasets: " + "\n".join(datasets)) if datasets else "",
        "automation_level": vocab.label("automation_levels", system.automation_level)
        if system.automation_level
        else "",
    }


def prefill(system, template_key: str, sector_key: str = "") -> dict[str, str]:
    """The assessment's sections copied from the inventory entry (a record of what was assessed)."""
    summaries = _summaries(system)
    sections = {}
    for element in impact_catalog().elements_for(template_key, sector_key):
        values = []
        for name in element.prefill:
            value = summaries[name] if name in summaries else getattr(system, name, "")
            if value:
                values.append(str(value).strip())
        sections[element.id] = "\n\n".join(values)
    return sections


def content_hash(assessment: ImpactAssessment) -> str:
    impacts = list(
        Impact.objects.filter(assessment=assessment)
        .order_by("pk")
        .values(*[f if f != "risk" else "risk_id" for f in Impact.AUDITED])
    )
    data = {"sections": assessment.sections, "fria": assessment.fria, "impacts": impacts}
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


# ------------------------------------------------------------------------------------------ assessments


def impact_assessment_create(
    *, actor: Tenant, system, template: str = "", sector: str = "", trigger: str = Trigger.NEW_SYSTEM
) -> ImpactAssessment:
    """Start the first impact assessment of a system from a template, pre-filled from the inventory."""
    catalog = impact_catalog()
    template = template or catalog.template_for_technique(system.technique).key
    if catalog.template(template) is None:
        keys = ", ".join(t.key for t in catalog.templates)
        raise ServiceError(f"unknown template {template!r}; use one of {keys}", field="template")
    if catalog.sector(sector or "") is None:
        raise ServiceError(f"unknown sector {sector!r}", field="sector")
    if trigger not in Trigger.values:
        raise ServiceError(f"unknown trigger {trigger!r}; use one of {', '.join(Trigger.values)}", field="trigger")
    with transaction.atomic():
        if ImpactAssessment.objects.filter(system=system).exists():
            raise Conflict(
                f"AIS-{system.number} already has an impact assessment: continue it or start a new version of it",
                field="system",
            )
        now = timezone.now()
        assessment = ImpactAssessment.objects.create(
            organization=system.organization,
            system=system,
            number=next_number(system.organization, "impact_assessment"),
            version=1,
            trigger=trigger,
            template=template,
            sector=sector or "",
            sections=prefill(system, template, sector or ""),
            fria_required=fria_applies(system),
            fria={e.id: "" for e in catalog.fria} if fria_applies(system) else {},
            assessor=actor.user,
            created_at=now,
            updated_at=now,
        )
        record_event(
            actor=actor,
            organization=system.organization,
            obj=assessment,
            action=Action.CREATE,
            changes={
                "system": [None, f"AIS-{system.number}"],
                "version": [None, 1],
                "template": [None, template],
                "trigger": [None, trigger],
            },
        )
    return assessment


def impact_assessment_update(
    *,
    actor: Tenant,
    assessment: ImpactAssessment,
    sections: dict | None = None,
    fria: dict | None = None,
    trigger: str | None = None,
    expected_revision: int | None = None,
) -> ImpactAssessment:
    """Change the text of sections (and the FRIA) of a draft or returned assessment; unknown ids are refused.

    `expected_revision`: the revision the editor read (a stale one is refused, see lib/concurrency).
    """
    with transaction.atomic():
        assessment = _locked(assessment)
        _editable(assessment)
        before = {"sections": dict(assessment.sections), "fria": dict(assessment.fria), "trigger": assessment.trigger}
        if sections is not None:
            if not isinstance(sections, dict):
                raise ServiceError("sections: give {element id: text}", field="sections")
            known = {e.id for e in impact_catalog().elements_for(assessment.template, assessment.sector)}
            unknown = sorted(set(sections) - known)
            if unknown:
                raise ServiceError(f"unknown section(s): {', '.join(unknown)}", field="sections")
            merged = dict(assessment.sections)
            for key, value in sections.items():
                merged[key] = _text(value, key)
            assessment.sections = merged
        if fria is not None:
            if not assessment.fria_required:
                raise ServiceError("this system needs no EU AI Act FRIA (Art. 27)", field="fria")
            if not isinstance(fria, dict):
                raise ServiceError("fria: give {element id: text}", field="fria")
            known = {e.id for e in impact_catalog().fria}
            unknown = sorted(set(fria) - known)
            if unknown:
                raise ServiceError(f"unknown FRIA element(s): {', '.join(unknown)}", field="fria")
            merged = dict(assessment.fria)
            for key, value in fria.items():
                merged[key] = _text(value, key)
            assessment.fria = merged
        if trigger is not None:
            if trigger not in Trigger.values:
                raise ServiceError(f"unknown trigger {trigger!r}", field="trigger")
            assessment.trigger = trigger
        after = {"sections": assessment.sections, "fria": assessment.fria, "trigger": assessment.trigger}
        changes = {}
        for group in ("sections", "fria"):
            for key, change in diff(before[group], after[group]).items():
                changes[f"{group}.{key}"] = change
        changes.update(diff({"trigger": before["trigger"]}, {"trigger": after["trigger"]}))
        if changes:
            claim_revision(assessment, expected_revision)
            assessment.updated_at = timezone.now()
            assessment.save(update_fields=["sections", "fria", "trigger", "updated_at"])
            record_event(
                actor=actor, organization=assessment.organization, obj=assessment, action=Action.UPDATE, changes=changes
            )
    return assessment


def impact_assessment_submit(*, actor: Tenant, assessment: ImpactAssessment) -> ImpactAssessment:
    with transaction.atomic():
        assessment = _locked(assessment)
        _editable(assessment)
        if not Impact.objects.filter(assessment=assessment).exists():
            raise ServiceError("record at least one impact (benefit or harm) before submitting", field="impacts")
        if not (assessment.sections.get("scope") or "").strip():
            raise ServiceError("describe the scope and trigger before submitting", field="scope")
        before = assessment.status
        assessment.status = Status.IN_REVIEW
        assessment.submitted_at = timezone.now()
        assessment.return_reason = ""
        assessment.updated_at = assessment.submitted_at
        assessment.save(update_fields=["status", "submitted_at", "return_reason", "updated_at"])
        record_event(
            actor=actor,
            organization=assessment.organization,
            obj=assessment,
            action=WorkflowAction.SUBMIT,
            changes={"status": [before, Status.IN_REVIEW]},
        )
    return assessment


def _reviewer(assessment, actor: Tenant, verb: str) -> None:
    if assessment.organization_id != actor.organization.pk or not actor.can(Perm.APPROVE) or actor.user is None:
        raise Forbidden(f"only owners and managers {verb} impact assessments")
    if assessment.status != Status.IN_REVIEW:
        raise Conflict(f"impact assessment v{assessment.version} is not in review")
    if assessment.assessor_id == actor.user.pk:
        raise Forbidden(
            f"you are the assessor of this impact assessment; another owner or manager must {verb} it "
            "(separation of duties)"
        )


def impact_assessment_approve(
    *, actor: Tenant, assessment: ImpactAssessment, decision: str, review_date: date | None = None
) -> ImpactAssessment:
    """Approve (5.11): the decision is recorded, content and system fingerprint are frozen with it."""
    decision = _text(decision, "decision", required=True)
    with transaction.atomic():
        assessment = _locked(assessment)
        _reviewer(assessment, actor, "approve")
        now = timezone.now()
        review_date = review_date or _months_ahead(impact_catalog().review_months)
        if review_date <= timezone.localdate():
            raise ServiceError("the review date must be in the future", field="review_date")
        fingerprint = selectors.current_fingerprint(assessment.system)
        assessment.status = Status.APPROVED
        assessment.approver = actor.user
        assessment.approved_at = now
        assessment.decision = decision
        assessment.review_date = review_date
        assessment.system_fingerprint = fingerprint
        assessment.system_fingerprint_hash = selectors.fingerprint_hash(fingerprint)
        assessment.content_hash = content_hash(assessment)
        assessment.updated_at = now
        assessment.save()
        record_event(
            actor=actor,
            organization=assessment.organization,
            obj=assessment,
            action=WorkflowAction.APPROVE,
            changes={
                "status": [Status.IN_REVIEW, Status.APPROVED],
                "decision": [None, decision],
                "review_date": [None, review_date.isoformat()],
                "content_hash": [None, assessment.content_hash],
            },
        )
    return assessment


def impact_assessment_return(*, actor: Tenant, assessment: ImpactAssessment, reason: str) -> ImpactAssessment:
    reason = _text(reason, "reason", required=True)
    with transaction.atomic():
        assessment = _locked(assessment)
        _reviewer(assessment, actor, "return")
        assessment.status = Status.RETURNED
        assessment.return_reason = reason
        assessment.updated_at = timezone.now()
        assessment.save(update_fields=["status", "return_reason", "updated_at"])
        record_event(
            actor=actor,
            organization=assessment.organization,
            obj=assessment,
            action=WorkflowAction.RETURN,
            changes={"status": [Status.IN_REVIEW, Status.RETURNED], "reason": [None, reason]},
        )
    return assessment


def impact_assessment_new_version(
    *, actor: Tenant, assessment: ImpactAssessment, trigger: str = Trigger.SIGNIFICANT_CHANGE, refresh: bool = True
) -> ImpactAssessment:
    """Copy the latest, approved version into draft N+1 (the approved one never changes).

    With `refresh`, sections pre-filled from the inventory take the system's current text where the
    system changed, so the new draft starts from what is now true.
    """
    if trigger not in Trigger.values:
        raise ServiceError(f"unknown trigger {trigger!r}", field="trigger")
    with transaction.atomic():
        source = _locked(assessment)
        if source.status != Status.APPROVED:
            raise Conflict("only an approved impact assessment starts a new version; edit this one instead")
        latest = ImpactAssessment.objects.filter(system_id=source.system_id).aggregate(m=Max("version"))["m"]
        if latest != source.version:
            raise Conflict(f"version {latest} already exists; continue that one")
        sections = dict(source.sections)
        if refresh:
            fresh = prefill(source.system, source.template, source.sector)
            old = source.system_fingerprint or {}
            if old != selectors.current_fingerprint(source.system):
                for key, value in fresh.items():
                    if value and not sections.get(key):
                        sections[key] = value
                for key in ("purpose", "intended_uses", "model", "data"):
                    if fresh.get(key):
                        sections[key] = fresh[key]
        now = timezone.now()
        fria_required = fria_applies(source.system) or source.fria_required
        fria = dict(source.fria)
        if fria_required and not fria:
            fria = {e.id: "" for e in impact_catalog().fria}
        new = ImpactAssessment.objects.create(
            organization=source.organization,
            system=source.system,
            number=source.number,
            version=source.version + 1,
            trigger=trigger,
            template=source.template,
            sector=source.sector,
            sections=sections,
            fria_required=fria_required,
            fria=fria,
            assessor=actor.user,
            created_at=now,
            updated_at=now,
        )
        Impact.objects.bulk_create(
            [
                Impact(
                    organization=source.organization,
                    assessment=new,
                    **{
                        f if f != "risk" else "risk_id": getattr(i, f if f != "risk" else "risk_id")
                        for f in Impact.AUDITED
                    },
                )
                for i in Impact.objects.filter(assessment=source).order_by("pk")
            ]
        )
        record_event(
            actor=actor,
            organization=source.organization,
            obj=new,
            action=WorkflowAction.NEW_VERSION,
            changes={"version": [source.version, new.version], "trigger": [None, trigger]},
        )
    return new


# ---------------------------------------------------------------------------------------------- impacts

IMPACT_FIELDS = {
    "kind",
    "description",
    "affected_party",
    "vulnerable_group",
    "severity",
    "likelihood",
    "reversibility",
    "scale",
    "measures",
    "residual_severity",
    "residual_likelihood",
    "risk",
}


def _clean_impact(assessment, values: dict, current: Impact | None) -> dict:
    unknown = set(values) - IMPACT_FIELDS
    if unknown:
        raise ServiceError(f"unknown field(s): {', '.join(sorted(unknown))}")
    scale = impact_catalog().scale
    merged = (
        {f: getattr(current, f) for f in IMPACT_FIELDS}
        if current
        else {
            "kind": ImpactKind.HARM,
            "affected_party": "",
            "vulnerable_group": False,
            "reversibility": 1,
            "scale": 1,
            "measures": "",
            "residual_severity": None,
            "residual_likelihood": None,
            "risk": None,
            "severity": None,
            "likelihood": None,
            "description": "",
        }
    )
    merged.update(values)
    if merged["kind"] not in ImpactKind.values:
        raise ServiceError("kind: benefit or harm", field="kind")
    merged["description"] = _text(merged["description"], "description", required=True)
    merged["affected_party"] = _text(merged["affected_party"], "affected_party", limit=200)
    merged["measures"] = _text(merged["measures"], "measures")
    merged["vulnerable_group"] = bool(merged["vulnerable_group"])
    for dimension, field in (
        ("severity", "severity"),
        ("likelihood", "likelihood"),
        ("reversibility", "reversibility"),
        ("scale", "scale"),
        ("severity", "residual_severity"),
        ("likelihood", "residual_likelihood"),
    ):
        value = merged[field]
        optional = field.startswith("residual_")
        if value is None and optional:
            continue
        allowed = scale.values(dimension)
        if value not in allowed:
            raise ServiceError(
                f"{field.replace('_', ' ')}: one of {', '.join(map(str, allowed))} on the impact scale", field=field
            )
    if (merged["residual_severity"] is None) != (merged["residual_likelihood"] is None):
        raise ServiceError("give both residual severity and residual likelihood, or neither", field="residual_severity")
    risk = merged["risk"]
    if risk is not None and risk.organization_id != assessment.organization_id:
        raise ServiceError("a risk of another organization cannot be linked", field="risk")
    merged["level"] = scale.rate(merged["severity"], merged["likelihood"], merged["reversibility"], merged["scale"]).key
    merged["residual_level"] = (
        scale.rate(
            merged["residual_severity"], merged["residual_likelihood"], merged["reversibility"], merged["scale"]
        ).key
        if merged["residual_severity"] is not None
        else ""
    )
    return merged


def _short_title(prefix: str, text: str, limit: int = 120) -> str:
    """`prefix` + the first line of `text`, cut at a word boundary with an ellipsis when too long."""
    line = " ".join(text.split())
    room = limit - len(prefix)
    if len(line) <= room:
        return prefix + line
    cut = line[: room - 1]
    if " " in cut and not line[room - 1].isspace():
        cut = cut[: cut.rindex(" ")]
    return prefix + cut.rstrip(" ,;:-") + "…"


def derived_rating(impact: Impact, data) -> tuple[int, dict[str, int]]:
    """The harm's rating on the organization's risk criteria `data`: (likelihood, {dimension: consequence}).

    Mapped by rank (`risk.criteria.map_by_rank`): the impact scale's ends onto the criteria's ends, the
    steps between proportionally. Severity is the consequence for individuals; for societies too when
    the harm reaches society (the impact's widest `scale`). An irreversible harm (the impact scale's
    `raise_when` threshold) is one consequence step worse, as the impact level is one level higher.
    The organization dimension is left unrated: an impact assessment does not rate it.
    """
    scale = impact_catalog().scale
    likelihood = map_by_rank(
        scale.values("likelihood").index(impact.likelihood) + 1, len(scale.likelihood), len(data.likelihood)
    )
    m = len(data.consequence)
    consequence = map_by_rank(scale.values("severity").index(impact.severity) + 1, len(scale.severity), m)
    if impact.reversibility >= scale.raise_when.get("reversibility", 10**6):
        consequence = min(m, consequence + 1)
    keys = data.dimension_keys
    consequences = {}
    if "individuals" in keys:
        consequences["individuals"] = consequence
    if impact.scale >= max(scale.values("scale")) and "societies" in keys:
        consequences["societies"] = consequence
    if not consequences:
        # Criteria without these dimensions: the harm's consequence stands for every dimension they have.
        consequences = dict.fromkeys(keys, consequence)
    return likelihood, consequences


def _link_risk(actor: Tenant, assessment, impact: Impact) -> None:
    """A harm rated high feeds the risk register: create a risk for the system unless one is linked,
    its inherent assessment carried over from the harm's rating (recorded as derived, 6.1.4)."""
    if impact.kind != ImpactKind.HARM or impact.risk_id or not impact_catalog().scale.is_high(impact.level):
        return
    system = assessment.system
    party = f" ({impact.affected_party})" if impact.affected_party else ""
    scale = impact_catalog().scale
    risk = risk_create(
        actor=actor,
        title=_short_title("Impact on people: ", impact.description),
        description=(
            f"Harm identified in impact assessment v{assessment.version} of AIS-{system.number} {system.name}{party}, "
            f"rated {impact.level.replace('_', ' ')} on the impact scale.\n\n{impact.description}"
            + (f"\n\nMeasures proposed: {impact.measures}" if impact.measures else "")
        ),
        owner=system.business_owner,
        systems=[system],
    )
    data = criteria_ensure(actor=actor).data
    likelihood, consequences = derived_rating(impact, data)
    source = (
        f"{assessment.ref} harm #{impact.pk}: severity {impact.severity} {scale.label('severity', impact.severity)}, "
        f"likelihood {impact.likelihood} {scale.label('likelihood', impact.likelihood)}, "
        f"{scale.label('reversibility', impact.reversibility).lower()}, {scale.label('scale', impact.scale).lower()}"
    )
    risk_assess_derived(
        actor=actor,
        risk=risk,
        likelihood=likelihood,
        consequences=consequences,
        derived_from=source[:200],
        note="Carried over from the impact assessment by rank of the impact scale onto the risk criteria; "
        "re-assess it to rate every dimension.",
    )
    impact.risk = risk
    impact.save(update_fields=["risk"])


def _impact_state(impact: Impact) -> dict:
    return snapshot(impact, Impact.AUDITED)


def impact_add(*, actor: Tenant, assessment: ImpactAssessment, **values) -> Impact:
    with transaction.atomic():
        assessment = _locked(assessment)
        _editable(assessment)
        cleaned = _clean_impact(assessment, values, None)
        impact = Impact.objects.create(organization=assessment.organization, assessment=assessment, **cleaned)
        _link_risk(actor, assessment, impact)
        record_event(
            actor=actor,
            organization=assessment.organization,
            obj=impact,
            action=Action.CREATE,
            changes=diff({}, _impact_state(impact)),
        )
    return impact


def impact_update(*, actor: Tenant, impact: Impact, expected_revision: int | None = None, **values) -> Impact:
    with transaction.atomic():
        assessment = _locked(impact.assessment)
        _editable(assessment)
        impact = Impact.objects.select_for_update().get(pk=impact.pk)
        before = _impact_state(impact)
        cleaned = _clean_impact(assessment, values, impact)
        for name, value in cleaned.items():
            setattr(impact, name, value)
        impact.save()
        _link_risk(actor, assessment, impact)
        changes = diff(before, _impact_state(impact))
        if changes:
            claim_revision(impact, expected_revision)
            record_event(
                actor=actor, organization=assessment.organization, obj=impact, action=Action.UPDATE, changes=changes
            )
    return impact


def impact_delete(*, actor: Tenant, impact: Impact) -> None:
    with transaction.atomic():
        assessment = _locked(impact.assessment)
        _editable(assessment)
        record_event(
            actor=actor,
            organization=assessment.organization,
            obj=impact,
            action=Action.DELETE,
            changes=diff(_impact_state(impact), {}),
        )
        impact.delete()
