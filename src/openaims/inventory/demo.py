"""Demo AI systems for the two demo organizations, created through the services (real audit trail).

Realistic entries across the EU AI Act classes: a hospital group (Acme Health) that develops some
systems and deploys others, and a consumer lender (Northwind Lending) that provides credit scoring.
"""

from __future__ import annotations

from openaims.catalog.models import Framework
from openaims.inventory.card import card_publish
from openaims.inventory.classification.service import classification_record
from openaims.inventory.control_links import control_links
from openaims.inventory.lifecycle.transitions import GateRefused, system_transition
from openaims.inventory.models import AISystem, SystemCardVersion
from openaims.inventory.services import part_create, supplier_create, system_create
from openaims.inventory.vocabulary import lifecycle
from openaims.tenancy.models import Membership, Organization

EU_AI_ACT = "urn:openaims:framework:eu-ai-act"

SUPPLIERS = {
    "acme-health": [
        {
            "name": "RadiVision Medical",
            "description": "CE-marked imaging AI vendor (class IIa medical device software).",
            "contact": "regulatory@radivision.example",
            "contract_ref": "PROC-2025-114",
            "contract_ends": "2027-03-31",
        },
        {
            "name": "Azure OpenAI (Microsoft)",
            "description": "Hosted large language models under the enterprise agreement.",
            "contact": "account team via procurement",
            "contract_ref": "EA-7731",
            "contract_ends": "2026-12-31",
        },
    ],
    "northwind-lending": [
        {
            "name": "CreditBureau Data Ltd",
            "description": "Credit reference data under a data-sharing agreement.",
            "contract_ref": "DSA-2024-03",
            "contract_ends": "2027-06-30",
        },
    ],
}

# Each: register fields and parts (owners are demo usernames, suppliers by name); the EU AI Act
# wizard's answers are in CLASSIFICATION, by system name.
SYSTEMS = {
    "acme-health": [
        {
            "fields": {
                "name": "Emergency department triage assistant",
                "purpose": "Suggests a triage category for patients arriving at the emergency department.",
                "intended_use": "Decision support for triage nurses; the nurse sets the final category.",
                "foreseeable_misuse": "Using the suggestion without the nurse's own assessment during peaks.",
                "intended_users": "Triage nurses in the three emergency departments.",
                "affected_persons": "Emergency patients, including children and elderly patients.",
                "role": "developer",
                "technique": "ml",
                "automation_level": "assistive",
                "oversight_mode": "in_the_loop",
                "oversight_description": "Nurse confirms or overrides each suggestion; overrides reviewed weekly.",
                "deployment_environment": "On-premises, integrated in the emergency department's patient system.",
                "geography": "EU (Netherlands)",
                "personal_data": True,
                "personal_data_notes": "Vital signs, complaint, age; health data (special category).",
                "criticality": "critical",
                "business_owner": "demo",
                "technical_owner": "chen",
            },
            "models": [
                {
                    "name": "triage-gbm",
                    "version": "3.2",
                    "model_type": "Gradient-boosted trees",
                    "uri": "s3://acme-models/triage-gbm/3.2",
                    "registry_stage": "Production",
                },
            ],
            "datasets": [
                {
                    "name": "ED visits 2019-2024",
                    "purpose": "training",
                    "source": "Hospital electronic health records, three sites",
                    "acquisition": "Extracted under the research and quality-improvement protocol QI-2023-07.",
                    "provenance": "Nightly extract, versioned in the data lake with row counts per extract.",
                    "quality_checks": "Completeness of vital signs > 97%; label agreement audit on 500 cases.",
                    "preparation": "Pseudonymised; outliers clipped; mapped to Manchester Triage categories.",
                    "personal_data": True,
                    "special_categories": True,
                    "licence": "Internal",
                },
            ],
            "resources": [
                {"name": "GPU workstation for training", "category": "compute"},
                {"name": "Clinical safety officer (0.2 FTE)", "category": "human"},
            ],
        },
        {
            "fields": {
                "name": "Chest X-ray findings prioritisation",
                "purpose": "Flags chest X-rays with suspected critical findings for early radiologist review.",
                "intended_use": "Worklist prioritisation; radiologists read every image.",
                "intended_users": "Radiologists",
                "affected_persons": "Patients receiving chest X-rays.",
                "role": "deployer",
                "technique": "ml",
                "automation_level": "assistive",
                "oversight_mode": "in_the_loop",
                "oversight_description": "Radiologist reads every study; flags only change the order.",
                "deployment_environment": "Vendor appliance in the hospital network, connected to PACS.",
                "geography": "EU (Netherlands)",
                "personal_data": True,
                "criticality": "high",
                "business_owner": "maria",
                "technical_owner": "chen",
            },
            "components": [
                {
                    "name": "RadiVision CXR v5",
                    "category": "model",
                    "supplier": "RadiVision Medical",
                    "version": "5.1",
                    "responsibilities": "Vendor: CE marking, model updates, post-market surveillance. "
                    "Acme: local validation, monitoring of flag rates, incident reporting to the vendor.",
                },
            ],
        },
        {
            "fields": {
                "name": "Patient appointment chatbot",
                "purpose": "Answers patients' questions about appointments and lets them reschedule.",
                "intended_use": "Administrative questions only; no medical advice.",
                "foreseeable_misuse": "Patients asking for medical advice or describing emergencies.",
                "intended_users": "Patients and relatives on the website.",
                "affected_persons": "Patients and relatives.",
                "role": "deployer",
                "technique": "llm",
                "automation_level": "conditional",
                "oversight_mode": "on_the_loop",
                "oversight_description": "Conversations sampled daily; hand-over to staff on request or on keywords.",
                "deployment_environment": "Public website, hosted LLM through the cloud provider.",
                "geography": "EU",
                "personal_data": True,
                "criticality": "medium",
                "business_owner": "maria",
                "technical_owner": "chen",
            },
            "components": [
                {
                    "name": "GPT-4o via Azure OpenAI",
                    "category": "api",
                    "supplier": "Azure OpenAI (Microsoft)",
                    "responsibilities": "Provider: model, content filtering, availability. Acme: prompts, "
                    "retrieval sources, disclosure that users talk to an AI, conversation review.",
                },
            ],
        },
        {
            "fields": {
                "name": "Operating theatre scheduling optimiser",
                "purpose": "Proposes weekly operating theatre schedules from the surgical waiting list.",
                "intended_use": "Planners adjust and approve the proposed schedule.",
                "intended_users": "Theatre planners",
                "affected_persons": "Surgical staff; indirectly patients on the waiting list.",
                "role": "developer",
                "technique": "rules",
                "automation_level": "assistive",
                "oversight_mode": "in_the_loop",
                "oversight_description": "Planners approve each schedule.",
                "geography": "EU (Netherlands)",
                "criticality": "medium",
                "business_owner": "demo",
                "technical_owner": "chen",
            },
        },
        {
            "fields": {
                "name": "Clinical note summariser",
                "purpose": "Drafts discharge summaries from clinical notes for the physician to edit.",
                "intended_use": "Draft only; the physician edits and signs the summary.",
                "foreseeable_misuse": "Signing drafts without reading them.",
                "intended_users": "Ward physicians",
                "affected_persons": "Inpatients; general practitioners receiving the summary.",
                "role": "deployer",
                "technique": "llm",
                "automation_level": "assistive",
                "oversight_mode": "in_the_loop",
                "geography": "EU (Netherlands)",
                "personal_data": True,
                "criticality": "high",
                "business_owner": "demo",
            },
        },
        {
            "fields": {
                "name": "Staff mood monitoring (proposal)",
                "purpose": "Infer staff emotions from webcam video during shifts to predict burnout.",
                "intended_use": "Proposed by a vendor; under evaluation by HR.",
                "affected_persons": "Hospital employees.",
                "role": "deployer",
                "technique": "ml",
                "automation_level": "full",
                "oversight_mode": "none",
                "geography": "EU (Netherlands)",
                "personal_data": True,
                "criticality": "critical",
                "business_owner": "maria",
            },
        },
    ],
    "northwind-lending": [
        {
            "fields": {
                "name": "Consumer credit scoring",
                "purpose": "Scores the creditworthiness of natural persons applying for personal loans.",
                "intended_use": "Automated decision for clear cases; credit officers decide borderline scores.",
                "foreseeable_misuse": "Use for marketing eligibility or for pricing outside the validated range.",
                "intended_users": "Credit officers; the loan origination system.",
                "affected_persons": "Loan applicants (natural persons).",
                "role": "provider",
                "technique": "ml",
                "automation_level": "partial",
                "oversight_mode": "on_the_loop",
                "oversight_description": "Borderline band reviewed by a credit officer; weekly override review.",
                "deployment_environment": "Cloud (EU region), called by the origination system.",
                "geography": "EU (Ireland, Germany)",
                "personal_data": True,
                "criticality": "critical",
                "business_owner": "maria",
                "technical_owner": "demo",
            },
            "models": [
                {
                    "name": "credit-pd",
                    "version": "7",
                    "model_type": "Logistic regression scorecard",
                    "registry_stage": "Production",
                },
            ],
            "datasets": [
                {
                    "name": "Loan book 2015-2024",
                    "purpose": "training",
                    "source": "Own loan book",
                    "provenance": "Monthly snapshots of the core banking system.",
                    "quality_checks": "Default flag reconciled with collections; missing income < 2%.",
                    "personal_data": True,
                },
            ],
            "components": [
                {
                    "name": "Bureau score feed",
                    "category": "dataset",
                    "supplier": "CreditBureau Data Ltd",
                    "responsibilities": "Bureau: accuracy and lawful basis of bureau data. Northwind: use within "
                    "the agreed purpose, applicant notices.",
                },
            ],
        },
        {
            "fields": {
                "name": "Support email spam filter",
                "purpose": "Moves spam and phishing out of the customer-support mailbox.",
                "intended_use": "Mail filtering; agents can restore messages.",
                "role": "user",
                "technique": "ml",
                "automation_level": "full",
                "oversight_mode": "on_the_loop",
                "oversight_description": "Quarantine reviewed daily.",
                "geography": "EU",
                "criticality": "low",
                "business_owner": "maria",
            },
        },
    ],
}


CLASSIFICATION = {
    "Emergency department triage assistant": {"annex_iii_points": ["annex-iii.5.d"], "profiles_natural_persons": False},
    "Chest X-ray findings prioritisation": {"annex_i_safety_component": True, "annex_i_third_party_assessment": True},
    "Patient appointment chatbot": {"transparency_cases": ["art-50.1"]},
    "Operating theatre scheduling optimiser": {},
    "Clinical note summariser": {},
    "Staff mood monitoring (proposal)": {"prohibited_practices": ["art-5.1.f"]},
    "Consumer credit scoring": {"annex_iii_points": ["annex-iii.5.b"], "profiles_natural_persons": True},
    "Support email spam filter": {},
}

# Where each system stands in its life cycle, and why a gate was overridden where one was (an owner's
# recorded decision: the register was started while these systems were already in use).
LIFECYCLE = {
    "Emergency department triage assistant": ("operation_monitoring", ""),
    "Chest X-ray findings prioritisation": (
        "deployment",
        "Vendor-supplied CE-marked model: training data is documented in the vendor's technical file (RV-TF-5).",
    ),
    "Patient appointment chatbot": (
        "operation_monitoring",
        "Live since 2024, before the register existed; documentation is being completed (action AIMS-14).",
    ),
    "Operating theatre scheduling optimiser": (
        "operation_monitoring",
        "Rules-based planner live since 2022; no trained model or training data to document.",
    ),
    "Clinical note summariser": ("verification_validation", "Pilot on two wards; data sheet requested from IT."),
    # High-risk (Annex III 5(b)): live before impact assessments and risk acceptance were gates; the override
    # records why, and the system page shows what is still missing.
    "Consumer credit scoring": (
        "operation_monitoring",
        "Live since 2023, before the high-risk gate items; impact assessment and risk sign-off under way.",
    ),
    "Support email spam filter": (
        "operation_monitoring",
        "Mail-suite feature in use since 2021; vendor documentation accepted as technical documentation.",
    ),
}
# Controls (Annex A, adopted by Acme Health's demo) that apply to a system.
CONTROL_SCOPE = {
    "Emergency department triage assistant": ["A.5.2", "A.6.2.6", "A.7.4"],
    "Chest X-ray findings prioritisation": ["A.6.2.6", "A.10.3"],
    "Patient appointment chatbot": ["A.8.2"],
}


def _walk_life_cycle(system, target: str, reason: str, owner) -> None:
    """Move a system stage by stage to `target`; a refused gate is overridden by the owner with `reason`."""
    stages = lifecycle().keys
    for stage in stages[stages.index(system.stage) + 1 : stages.index(target) + 1]:
        if stage == stages[3] and not SystemCardVersion.objects.filter(system=system).exists():
            card_publish(actor=owner, system=system, note="Technical documentation for go-live.")
        try:
            system_transition(actor=owner, system=system, to_stage=stage)
        except GateRefused:
            # The impact and risk demos run after this one: a high-risk system's gate names them as missing.
            why = reason or "Went live before the high-risk gate items; impact assessment and risk sign-off follow."
            system_transition(actor=owner, system=system, to_stage=stage, override_reason=why)
        system.refresh_from_db()


def seed_inventory(users: dict) -> int:
    """Register the demo systems of each demo organization that has none yet; returns how many were made."""
    made = 0
    catalog_loaded = Framework.objects.filter(urn=EU_AI_ACT).exists()
    for slug, systems in SYSTEMS.items():
        org = Organization.objects.filter(slug=slug).first()
        if org is None or AISystem.objects.filter(organization=org).exists():
            continue
        actor = users["maria"]
        suppliers = {
            spec["name"]: supplier_create(actor=actor, organization=org, **spec) for spec in SUPPLIERS.get(slug, [])
        }
        for spec in systems:
            fields = dict(spec["fields"])
            for key in ("business_owner", "technical_owner"):
                if key in fields:
                    fields[key] = users[fields[key]]
            system = system_create(actor=actor, organization=org, **fields)
            for kind in ("models", "datasets", "components", "resources"):
                for part in spec.get(kind, []):
                    part = dict(part)
                    if "supplier" in part:
                        part["supplier"] = suppliers[part["supplier"]]
                    part_create(actor=actor, system=system, kind=kind[:-1], **part)
            if catalog_loaded and system.name in CLASSIFICATION:
                classification_record(actor=actor, system=system, answers=CLASSIFICATION[system.name])
            if system.name in LIFECYCLE:
                owner = Membership.objects.get(organization=org, role="owner").user
                _walk_life_cycle(system, *LIFECYCLE[system.name], owner)
            for ref_id in CONTROL_SCOPE.get(system.name, []):
                control = control_links().for_organization(org).filter(ref_id=ref_id).first()
                if control is not None:
                    control_links().link(actor=actor, control=control, system=system)
            made += 1
    return made
