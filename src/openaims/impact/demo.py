"""Two approved demo impact assessments in Acme Health, made through the services (real audit trail).

`seed_demo_impact(users)` runs after the inventory demo (it needs its systems); it does nothing for a
system that already has an assessment. Assessor: chen (contributor); approver: maria (manager).
"""

from __future__ import annotations

from openaims.impact.models import ImpactAssessment
from openaims.impact.services import (
    impact_add,
    impact_assessment_approve,
    impact_assessment_create,
    impact_assessment_submit,
    impact_assessment_update,
)
from openaims.inventory.models import AISystem
from openaims.risk.models import Risk
from openaims.tenancy.models import Organization
from openaims.tenancy.selectors import tenant_of

ORG = "acme-health"

DEMO = {
    "Emergency department triage assistant": {
        "sector": "health",
        "sections": {
            "scope": "First assessment before go-live of triage-gbm 3.2 in the three emergency departments. "
            "Covers the suggestion shown to triage nurses; the patient record system itself is out of scope.",
            "failure_misuse": "The model under-triages patients whose presentation is atypical (elderly, children, "
            "patients who do not speak Dutch). During peaks nurses may accept suggestions without their own "
            "assessment (automation bias). A data feed outage would show stale vital signs.",
            "thresholds": "Health care decision support affecting access to urgent care is a sensitive use under "
            "our AI policy: an approved impact assessment and clinical safety sign-off are required.",
            "measures": "Nurse confirms every category; mandatory override reason; suggestions hidden when vital "
            "signs are older than 15 minutes; weekly review of overrides and of under-triage cases.",
            "responsibilities": "Assessment: Chen (technical owner). Clinical safety: ED medical lead. Monitoring: "
            "data science team with the ED quality officer. Approval: Maria (manager).",
            "monitoring": "Monthly under-triage rate per age group and language; quarterly review with the ED "
            "quality board; reassessment on any model or threshold change, at the latest in 12 months.",
            "ml_classifier.performance_groups": "Sensitivity for the two most urgent categories: 0.94 overall, "
            "0.89 for patients over 80, 0.91 for children. The gap for over-80s is treated as a harm below.",
            "ml_classifier.thresholds": "Threshold set to favour sensitivity for urgent categories (accepting more "
            "over-triage); changes need the clinical safety officer's approval.",
            "ml_classifier.drift": "Population stability index on inputs weekly; retraining considered above 0.2.",
            "health.clinical_safety": "The suggestion could delay care if followed blindly; the nurse's category "
            "is what counts. Hazard log HZ-ED-12 maintained by the clinical safety officer.",
            "health.clinician_oversight": "The nurse sees the suggested category, the three main factors, and can "
            "override with one click; overrides are never penalised.",
        },
        "impacts": [
            {
                "kind": "benefit",
                "description": "Faster and more consistent triage at peak times, so urgent patients are seen sooner.",
                "affected_party": "Emergency patients",
                "severity": 3,
                "likelihood": 3,
                "reversibility": 1,
                "scale": 2,
            },
            {
                "kind": "harm",
                "description": "Elderly patients with atypical presentation are under-triaged and wait too long.",
                "affected_party": "Patients over 80",
                "vulnerable_group": True,
                "severity": 4,
                "likelihood": 2,
                "reversibility": 3,
                "scale": 2,
                "measures": "Age-specific review of under-triage; nurse override; retraining with re-weighted data.",
                "residual_severity": 4,
                "residual_likelihood": 1,
                "risk_title": "Triage model under-prioritises elderly patients",
            },
            {
                "kind": "harm",
                "description": "Over-triage adds load to the resuscitation area and delays others.",
                "affected_party": "All emergency patients and staff",
                "severity": 2,
                "likelihood": 3,
                "reversibility": 1,
                "scale": 2,
                "measures": "Threshold reviewed quarterly against resuscitation-area occupancy.",
                "residual_severity": 2,
                "residual_likelihood": 2,
            },
        ],
        "decision": "Proceed to go-live with the measures listed; the under-triage of elderly patients is "
        "tracked as a risk in the register and reviewed monthly.",
    },
    "Patient appointment chatbot": {
        "sector": "health",
        "sections": {
            "scope": "Assessment of the public appointment chatbot before it is offered on the website; covers "
            "rescheduling and administrative questions, not the booking system itself.",
            "failure_misuse": "Patients describe symptoms or emergencies; the model gives a confident but wrong "
            "answer about opening hours or preparation for an appointment; a prompt makes it reveal another "
            "patient's appointment.",
            "thresholds": "Not a sensitive use as long as no medical advice is given; a conversation that turns "
            "medical crosses the threshold and must be handed to staff.",
            "measures": "Emergency keywords show the emergency number and hand over to staff; answers limited to "
            "retrieved hospital pages; identity check before any appointment is shown or changed.",
            "responsibilities": "Assessment: Chen. Prompt and retrieval content: patient services. Provider "
            "obligations: Azure OpenAI under the enterprise agreement. Approval: Maria.",
            "monitoring": "Daily sample of 50 conversations; monthly report on hand-overs and complaints; "
            "reassessment when the model version or the retrieval sources change.",
            "llm_application.hallucination": "Answers only from retrieved pages, with the page cited; otherwise "
            "the bot says it does not know and offers a call-back.",
            "llm_application.harmful_content": "Provider content filters on; refusal for medical questions.",
            "llm_application.disclosure": "The chat window states that it is an AI assistant and how to reach a "
            "person (EU AI Act Art. 50).",
            "llm_application.prompt_injection": "No tool can read appointments without the verified patient "
            "number; retrieved pages are hospital-owned only.",
            "health.clinical_safety": "No clinical content; emergency hand-over tested monthly.",
            "health.clinician_oversight": "Not applicable beyond the hand-over: no clinical decision is made.",
        },
        "impacts": [
            {
                "kind": "benefit",
                "description": "Patients reschedule at any hour without waiting on the phone; fewer missed "
                "appointments.",
                "affected_party": "Patients and relatives",
                "severity": 2,
                "likelihood": 4,
                "reversibility": 1,
                "scale": 2,
            },
            {
                "kind": "harm",
                "description": "A patient describing an emergency in the chat is not directed to emergency care "
                "in time.",
                "affected_party": "Patients in acute distress",
                "vulnerable_group": True,
                "severity": 4,
                "likelihood": 1,
                "reversibility": 3,
                "scale": 1,
                "measures": "Emergency keyword detection with immediate emergency-number message; monthly tests.",
                "residual_severity": 4,
                "residual_likelihood": 1,
            },
            {
                "kind": "harm",
                "description": "Wrong preparation instructions (e.g. fasting) lead to a cancelled procedure.",
                "affected_party": "Patients with scheduled procedures",
                "severity": 2,
                "likelihood": 2,
                "reversibility": 1,
                "scale": 1,
                "measures": "Preparation answers only from the procedure leaflet, quoted verbatim.",
                "residual_severity": 2,
                "residual_likelihood": 1,
            },
        ],
        "decision": "Proceed on the website with emergency hand-over and identity check in place; review after "
        "three months of operation.",
    },
}


def seed_demo_impact(users: dict) -> int:
    """Create the demo assessments that are missing; returns how many were made."""
    org = Organization.objects.filter(slug=ORG).first()
    if org is None:
        return 0

    assessor, approver = tenant_of(users["chen"], org), tenant_of(users["maria"], org)
    made = 0
    for name, spec in DEMO.items():
        system = AISystem.objects.filter(organization=org, name=name).first()
        if system is None or ImpactAssessment.objects.filter(system=system).exists():
            continue
        assessment = impact_assessment_create(actor=assessor, system=system, sector=spec["sector"])
        impact_assessment_update(actor=assessor, assessment=assessment, sections=spec["sections"])
        if assessment.fria_required:
            impact_assessment_update(
                actor=assessor,
                assessment=assessment,
                fria={key: spec["sections"]["scope"] for key in assessment.fria},
            )
        for impact in spec["impacts"]:
            impact = dict(impact)
            title = impact.pop("risk_title", None)
            risk = Risk.objects.filter(organization=org, title=title).first() if title else None
            impact_add(actor=assessor, assessment=assessment, risk=risk, **impact)
        impact_assessment_submit(actor=assessor, assessment=assessment)
        impact_assessment_approve(actor=approver, assessment=assessment, decision=spec["decision"])
        made += 1
    return made
