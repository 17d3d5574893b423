"""The system card's content: its sections built from the register in a fixed number of queries.

Missing items stay in the card as "Not documented" and are listed as `gaps`, so what is not written
down is visible rather than silently left out.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from openaims.catalog.models import CatalogNode
from openaims.inventory.control_links import control_links
from openaims.inventory.models import AISystem, RiskClass
from openaims.inventory.vocabulary import lifecycle, vocabulary

FORMAT = "openaims-system-card/1"
NOT_DOCUMENTED = "Not documented"
NO_EVALUATION = "No evaluation results recorded in OpenAIMS yet."
RECENT_TRANSITIONS = 5
MARKDOWN_TEMPLATE = "inventory/card.md"
PDF_TEMPLATE = "inventory/card_pdf.html"
PUBLISH_ACTION = "publish_card"

_RISK_CLASS = dict(RiskClass.choices)


# --- content -------------------------------------------------------------------------------------


def _text(value) -> str | None:
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def _yes_no(value: bool) -> str:
    return "Yes" if value else "No"


def _person(user) -> str | None:
    if user is None:
        return None
    email = (user.email or "").strip()
    return f"{user.display_name} ({email})" if email else user.display_name


class _Card:
    """Collects sections and the gaps found while filling them."""

    def __init__(self):
        self.sections: list[dict] = []
        self.gaps: list[dict] = []

    def section(self, key: str, title: str, clauses: str = "") -> _Section:
        section = _Section(self, key, title, clauses)
        self.sections.append(section.data)
        return section

    def gap(self, section: dict, text: str, *, item: str | None = None, field: str | None = None) -> None:
        where = f"{section['title']}: {item}" if item else section["title"]
        self.gaps.append({"section": section["key"], "item": item, "field": field, "text": f"{where}: {text}"})


class _Section:
    def __init__(self, card: _Card, key: str, title: str, clauses: str):
        self.card = card
        self.data: dict[str, Any] = {
            "key": key,
            "title": title,
            "clauses": clauses,
            "notes": [],
            "fields": [],
            "items": [],
            "empty": "",
            "empty_gap": False,
        }

    def note(self, text: str) -> None:
        self.data["notes"].append(text)

    def field(self, key, label, value, *, gap=True, missing=NOT_DOCUMENTED, item=None, into=None) -> dict:
        """A labelled value; a list is shown as bullets. Absent (None, blank, empty list) shows `missing`."""
        if isinstance(value, list | tuple):
            value = [v for v in (_text(v) for v in value) if v] or None
            kind = "list"
        else:
            value = _text(value)
            kind = "text"
        is_gap = value is None and gap
        field = {"key": key, "label": label, "kind": kind, "value": value, "missing": missing, "gap": is_gap}
        if is_gap:
            text = f"{label.lower()} not documented" if missing == NOT_DOCUMENTED else missing.lower()
            self.card.gap(self.data, text, item=item, field=key)
        (into if into is not None else self.data["fields"]).append(field)
        return field

    def item(self, title: str) -> list:
        fields: list[dict] = []
        self.data["items"].append({"title": title, "fields": fields})
        return fields

    def empty(self, text: str, *, gap: bool) -> None:
        self.data["empty"] = text
        self.data["empty_gap"] = gap
        if gap:
            self.card.gap(self.data, text[0].lower() + text[1:].rstrip("."))


def _model_line(model) -> str:
    title = f"{model.name} {model.version}".strip()
    description = model.description.strip()
    return f"{title}: {description}" if description else title


def _missing_label(item) -> str:
    return (item.get("label") or item.get("key") or "") if isinstance(item, dict) else str(item)


def _catalog_nodes(urns: list[str]) -> dict[str, tuple[str, str]]:
    """urn -> (ref_id, title) for the catalog nodes a classification cites (one query)."""
    if not urns:
        return {}
    rows = CatalogNode.objects.filter(urn__in=set(urns)).values_list("urn", "ref_id", "title")
    return {urn: (ref_id, title) for urn, ref_id, title in rows}


def _classification(card: _Card, system: AISystem) -> dict | None:
    section = card.section("classification", "EU AI Act classification", "Art. 5, 6, 50")
    row = system.classification if system.classification_id else None
    if row is None:
        section.field("risk_class", "Risk class", None, missing="Not classified")
        return None
    conditions = list((row.answers or {}).get("derogation_conditions") or [])
    steps = [step for step in row.reasoning or [] if (step.get("finding") or "").strip()]
    nodes = _catalog_nodes(
        [*(row.obligations or []), *(row.transparency or []), *conditions, *(s.get("urn") or "" for s in steps)]
    )

    def title(urn: str) -> str:
        ref_id, text = nodes.get(urn, ("", ""))
        return f"{ref_id} {text}".strip() or urn

    section.field("risk_class", "Risk class", _RISK_CLASS.get(row.result, row.result))
    section.field("classified_on", "Classified on", row.created_at.date().isoformat())
    if system.classification_stale:
        status = section.field("status", "Status", "Out of date: an input changed since; classify the system again.")
        status["gap"] = True
        card.gap(section.data, "out of date: an input changed since it was made", field="status")
    else:
        section.field("status", "Status", "Current")
    reasoning = []
    for step in steps:
        finding, urn = step["finding"].strip(), step.get("urn") or ""
        ref_id = nodes.get(urn, ("", ""))[0] or urn
        reasoning.append(f"{finding} ({ref_id})" if urn and ref_id not in finding else finding)
    section.field("reasoning", "Reasoning", reasoning, gap=False, missing="None recorded")
    section.field(
        "obligations",
        "Obligations for the organization's role",
        [title(urn) for urn in row.obligations or []],
        gap=False,
        missing="None",
    )
    if row.transparency:
        section.field("transparency", "Transparency cases (Art. 50)", [title(urn) for urn in row.transparency])
    return {
        "label": _RISK_CLASS.get(row.result, row.result),
        "stale": system.classification_stale,
        "conditions": [title(urn) for urn in conditions],
    }


def card_content(system: AISystem) -> dict:
    """The card's sections from the register, as plain JSON-ready data (a fixed number of queries).

    The register is read once here; each numbered section is one step below, in the card's order.
    """
    vocab = vocabulary()
    stages = lifecycle()
    card = _Card()
    models = list(system.models.all())
    datasets = list(system.datasets.all())
    components = list(system.components.select_related("supplier"))
    resources = list(system.resources.all())
    links = control_links()
    controls = links.for_system(system)
    transitions = list(system.transitions.select_related("actor")[:RECENT_TRANSITIONS])

    _section_identification(card, system, vocab, stages)
    _section_intended_use(card, system)
    _section_technique(card, system, vocab)
    classification = _classification(card, system)
    _section_models(card, models)
    _section_data(card, datasets, vocab)
    _section_components(card, components, vocab)
    _section_resources(card, resources, vocab)
    _section_evaluation(card, models)
    _section_limitations(card, system, datasets, classification)
    _section_oversight(card, system, vocab)
    _section_controls(card, controls, links)
    _section_lifecycle(card, system, transitions, stages)
    _section_contacts(card, system)

    return {
        "format": FORMAT,
        "system": {
            "id": system.pk,
            "ref": system.ref,
            "name": system.name,
            "version": system.version,
            "organization": system.organization.name,
        },
        "sections": card.sections,
        "gaps": card.gaps,
    }


def _section_identification(card, system, vocab, stages) -> None:
    """1. Identification"""
    section = card.section("identification", "Identification", "A.4.2, A.6.2.7")
    role = vocab.role(system.role)
    role_text = role.label if role else system.role
    if role and role.eu_ai_act:
        role_text += f" (EU AI Act operator role: {', '.join(role.eu_ai_act)})"
    section.field("ref", "Reference", system.ref)
    section.field("name", "Name", system.name)
    section.field("register_version", "Register entry version", str(system.version))
    section.field("organization", "Organization", system.organization.name)
    section.field("stage", "Life-cycle stage", stages.label(system.stage))
    section.field("role", "Organization's role", role_text)
    section.field("criticality", "Criticality", vocab.label("criticality", system.criticality))
    section.field(
        "business_owner", "Business owner", system.business_owner.display_name if system.business_owner else None
    )
    section.field(
        "technical_owner", "Technical owner", system.technical_owner.display_name if system.technical_owner else None
    )
    section.field("deployment_environment", "Deployment environment", system.deployment_environment)
    section.field("geography", "Where it is used", system.geography)


def _section_intended_use(card, system) -> None:
    """2. Intended use"""
    section = card.section("intended_use", "Intended use", "A.6.2.2, A.9.4")
    section.field("purpose", "Purpose", system.purpose)
    section.field("intended_use", "Intended use", system.intended_use)
    section.field("intended_users", "Intended users", system.intended_users)
    section.field("affected_persons", "Affected persons", system.affected_persons)
    section.field("foreseeable_misuse", "Foreseeable misuse", system.foreseeable_misuse)
    section.field(
        "out_of_scope",
        "Out-of-scope uses",
        "Any use other than the intended use described above is out of scope, in particular the foreseeable "
        "misuse listed.",
    )


def _section_technique(card, system, vocab) -> None:
    """3. Technique and automation"""
    section = card.section("technique", "Technique and automation", "A.6.2.3")
    section.field("technique", "Technique", vocab.label("techniques", system.technique))
    section.field(
        "automation_level",
        "Automation level",
        vocab.label("automation_levels", system.automation_level) if system.automation_level else None,
    )


def _section_models(card, models) -> None:
    """5. Models"""
    section = card.section("models", "Models", "A.6.2.7")
    for model in models:
        title = f"{model.name} {model.version}".strip()
        fields = section.item(title)
        section.field("version", "Version", model.version, item=title, into=fields)
        section.field("model_type", "Type", model.model_type, item=title, into=fields)
        section.field("description", "Description", model.description, item=title, into=fields)
        section.field("uri", "Location (URI)", model.uri, gap=False, item=title, into=fields)
        section.field("registry_stage", "Registry stage", model.registry_stage, gap=False, item=title, into=fields)
    if not models:
        section.empty("No model recorded.", gap=True)


def _section_data(card, datasets, vocab) -> None:
    """6. Data"""
    section = card.section("data", "Data", "A.7.2 to A.7.6")
    for dataset in datasets:
        title = dataset.name
        fields = section.item(title)
        section.field("purpose", "Purpose", vocab.label("dataset_purposes", dataset.purpose), item=title, into=fields)
        section.field("description", "Description", dataset.description, gap=False, item=title, into=fields)
        section.field("source", "Source", dataset.source, item=title, into=fields)
        section.field("acquisition", "Acquisition", dataset.acquisition, item=title, into=fields)
        section.field("provenance", "Provenance", dataset.provenance, item=title, into=fields)
        section.field("quality_checks", "Quality checks", dataset.quality_checks, item=title, into=fields)
        section.field("preparation", "Preparation", dataset.preparation, item=title, into=fields)
        section.field("personal_data", "Personal data", _yes_no(dataset.personal_data), item=title, into=fields)
        section.field(
            "special_categories",
            "Special categories of personal data",
            _yes_no(dataset.special_categories),
            item=title,
            into=fields,
        )
        section.field("licence", "Licence", dataset.licence, gap=False, item=title, into=fields)
    if not datasets:
        section.empty("No dataset recorded.", gap=True)


def _section_components(card, components, vocab) -> None:
    """7. Third-party components and suppliers"""
    section = card.section("components", "Third-party components and suppliers", "A.10.2, A.10.3")
    for component in components:
        title = component.name
        fields = section.item(title)
        supplier = component.supplier
        section.field("category", "Kind", vocab.label("component_kinds", component.category), item=title, into=fields)
        section.field("version", "Version", component.version, gap=False, item=title, into=fields)
        section.field("supplier", "Supplier", supplier.name if supplier else None, item=title, into=fields)
        if supplier is not None:
            section.field("supplier_contact", "Supplier contact", supplier.contact, gap=False, item=title, into=fields)
            contract = supplier.contract_ref
            if contract and supplier.contract_ends:
                contract += f" (ends {supplier.contract_ends.isoformat()})"
            section.field("contract", "Contract", contract, gap=False, item=title, into=fields)
        section.field("description", "Description", component.description, gap=False, item=title, into=fields)
        section.field("responsibilities", "Responsibilities", component.responsibilities, item=title, into=fields)
    if not components:
        section.empty("No third-party component recorded.", gap=False)


def _section_resources(card, resources, vocab) -> None:
    """8. Resources"""
    section = card.section("resources", "Resources", "A.4.2 to A.4.6")
    for resource in resources:
        title = resource.name
        fields = section.item(title)
        section.field("category", "Kind", vocab.label("resource_kinds", resource.category), item=title, into=fields)
        section.field("description", "Description", resource.description, item=title, into=fields)
    if not resources:
        section.empty("No resource recorded.", gap=True)


def _section_evaluation(card, models) -> None:
    """9. Evaluation"""
    section = card.section("evaluation", "Evaluation", "A.6.2.4")
    section.note(NO_EVALUATION)
    section.field(
        "models",
        "Model descriptions",
        [_model_line(m) for m in models],
        gap=False,
        missing="No model recorded",
    )


def _section_limitations(card, system, datasets, classification) -> None:
    """10. Limitations"""
    section = card.section("limitations", "Limitations", "A.6.2.7")
    # The same register field as under intended use: its gap is counted there once.
    section.field("foreseeable_misuse", "Foreseeable misuse", system.foreseeable_misuse, gap=False)
    section.field("personal_data", "Processes personal data", _yes_no(system.personal_data))
    section.field(
        "personal_data_notes",
        "Personal data notes",
        system.personal_data_notes,
        gap=system.personal_data,
        missing=NOT_DOCUMENTED if system.personal_data else "None",
    )
    sensitive = [d.name for d in datasets if d.special_categories]
    if sensitive:
        section.field("special_categories", "Datasets with special categories of personal data", sensitive)
    if classification is None:
        condition = None
    else:
        condition = (
            f"The classification as {classification['label']} holds for the intended use, role, technique, "
            "automation level and deployment documented in this card; a change to any of them requires a new "
            "classification."
        )
        if classification["stale"]:
            condition += " One of them changed since the classification was made."
    section.field(
        "classification_conditions", "Classification conditions", condition, gap=False, missing="Not classified"
    )
    if classification and classification["conditions"]:
        section.field(
            "derogation_conditions",
            "Not high-risk only while these Art. 6(3) conditions hold",
            classification["conditions"],
        )


def _section_oversight(card, system, vocab) -> None:
    """11. Human oversight"""
    section = card.section("oversight", "Human oversight", "A.9.2, A.9.4")
    section.field(
        "oversight_mode",
        "Oversight mode",
        vocab.label("oversight_modes", system.oversight_mode) if system.oversight_mode else None,
    )
    section.field("oversight_description", "How people oversee the system", system.oversight_description)


def _section_controls(card, controls, links) -> None:
    """12. Controls"""
    section = card.section("controls", "Controls that apply", "6.1.3")
    section.field(
        "controls",
        "Controls",
        [f"{c.ref_id} {c.title} — {links.status_label(c.status)}" for c in controls],
        gap=False,
        missing="No control linked to this system",
    )


def _section_lifecycle(card, system, transitions, stages) -> None:
    """13. Life cycle"""
    section = card.section("lifecycle", "Life cycle", "A.6.2")
    section.field("stage", "Current stage", stages.label(system.stage))
    entries = []
    for t in transitions:
        entry = (
            f"{t.created_at.date().isoformat()}: {stages.label(t.from_stage)} → {stages.label(t.to_stage)}, "
            f"by {t.actor.display_name}"
        )
        if t.overridden:
            missing = ", ".join(_missing_label(m) for m in t.missing)
            entry += f" (gate overridden; missing: {missing}; reason: {t.override_reason.strip() or '—'})"
        entries.append(entry)
    section.field("transitions", "Recent transitions", entries, gap=False, missing="None yet")


def _section_contacts(card, system) -> None:
    """14. Contacts"""
    section = card.section("contacts", "Contacts", "A.3.2")
    section.field("organization", "Organization", system.organization.name)
    section.field("business_owner", "Business owner", _person(system.business_owner), gap=False)
    section.field("technical_owner", "Technical owner", _person(system.technical_owner), gap=False)


def content_hash(content: dict) -> str:
    payload = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()
