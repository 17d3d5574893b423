"""Role-matrix rows of the impact assessment pages and API (collected by tests/test_role_matrix_*.py).

Readers: everyone. Writers (contributor and up) start, edit, submit and start new versions. Approvers
(owner, manager) approve and return — the assessments here are by carl (contributor), so neither
approver is the assessor.
"""

from __future__ import annotations

from django.urls import reverse

from openaims.impact.models import Impact, ImpactAssessment
from openaims.impact.services import impact_assessment_submit
from tests.impact.conftest import approved, make_assessment, make_system
from tests.matrix import EVERYONE, Endpoint, both, exists, gone, page_of

WRITERS = frozenset({"owner", "manager", "contributor"})
APPROVERS = frozenset({"owner", "manager"})
BASE = "/api/v1"


def draft_pk(cast) -> int:
    return make_assessment(cast).pk


def review_pk(cast) -> int:
    assessment = make_assessment(cast)
    impact_assessment_submit(actor=cast.tenant("contributor"), assessment=assessment)
    return assessment.pk


def approved_pk(cast) -> int:
    return approved(cast).pk


def impact_ids(cast) -> tuple[int, int]:
    assessment = make_assessment(cast)
    return assessment.pk, Impact.objects.get(assessment=assessment).pk


def system_pk(cast) -> int:
    """The system to start an assessment for; idempotent, as path and data may both ask for it."""
    from openaims.inventory.models import AISystem

    found = AISystem.objects.filter(organization=cast.org, name="Chatbot").values_list("pk", flat=True).first()
    return found or make_system(cast, "Chatbot", technique="llm").pk


TRIAGE = "Triage assistant"  # the system of make_assessment()


def assessment_page(anchor: str = "", **lookups):
    return page_of("impact:assessment", ImpactAssessment, anchor, **lookups)


def web(name, *args):
    return lambda c: reverse(f"impact:{name}", args=[c.org.slug, *[a(c) if callable(a) else a for a in args]])


def web_impact(name):
    return lambda c: reverse(f"impact:{name}", args=[c.org.slug, *impact_ids(c)])


IMPACT_FORM = {
    "kind": "harm",
    "description": "Wrong answer about an appointment",
    "severity": "2",
    "likelihood": "2",
    "reversibility": "1",
    "scale": "1",
}

WEB_ENDPOINTS = [
    Endpoint("impact:list", "GET", web("list"), EVERYONE),
    Endpoint("impact:create", "GET", web("create"), WRITERS),
    Endpoint(
        "impact:create",
        "POST",
        web("create"),
        WRITERS,
        data=lambda c: {"system": str(system_pk(c)), "trigger": "new_system", "sector": ""},
        redirect=assessment_page(system__name="Chatbot"),
        effect=exists(ImpactAssessment, system__name="Chatbot", status="draft", version=1),
    ),
    Endpoint("impact:assessment", "GET", web("assessment", draft_pk), EVERYONE),
    Endpoint(
        "impact:sections",
        "POST",
        web("sections", draft_pk),
        WRITERS,
        data=lambda c: {
            "s__scope": "Pilot",
            "revision": ImpactAssessment.objects.filter(system__name=TRIAGE).latest("pk").revision,
        },
        redirect=assessment_page("#sections", system__name=TRIAGE),
        effect=exists(ImpactAssessment, system__name=TRIAGE, sections__scope="Pilot"),
    ),
    Endpoint(
        "impact:impact_add",
        "POST",
        web("impact_add", draft_pk),
        WRITERS,
        data=lambda c: IMPACT_FORM,
        redirect=assessment_page("#impacts", system__name=TRIAGE),
        effect=exists(Impact, assessment__system__name=TRIAGE, description=IMPACT_FORM["description"], severity=2),
    ),
    Endpoint(
        "impact:impact_edit",
        "POST",
        web_impact("impact_edit"),
        WRITERS,
        data=lambda c: {f"i{_last_impact(c)}-{k}": v for k, v in {**IMPACT_FORM, "revision": 1}.items()},
        redirect=assessment_page("#impacts", system__name=TRIAGE),
        effect=both(
            exists(Impact, assessment__system__name=TRIAGE, description=IMPACT_FORM["description"]),
            gone(Impact, description="Under-triage of elderly patients"),
        ),
    ),
    Endpoint(
        "impact:impact_delete",
        "POST",
        web_impact("impact_delete"),
        WRITERS,
        redirect=assessment_page("#impacts", system__name=TRIAGE),
        effect=both(gone(Impact, assessment__system__name=TRIAGE), exists(ImpactAssessment, system__name=TRIAGE)),
    ),
    Endpoint(
        "impact:submit",
        "POST",
        web("submit", draft_pk),
        WRITERS,
        redirect=assessment_page(system__name=TRIAGE),
        effect=exists(ImpactAssessment, system__name=TRIAGE, status="in_review", submitted_at__isnull=False),
    ),
    Endpoint(
        "impact:approve",
        "POST",
        web("approve", review_pk),
        APPROVERS,
        data=lambda c: {"decision": "Proceed"},
        redirect=assessment_page(system__name=TRIAGE),
        effect=exists(ImpactAssessment, system__name=TRIAGE, status="approved", decision="Proceed"),
    ),
    Endpoint(
        "impact:return",
        "POST",
        web("return", review_pk),
        APPROVERS,
        data=lambda c: {"reason": "More detail"},
        redirect=assessment_page(system__name=TRIAGE),
        effect=exists(ImpactAssessment, system__name=TRIAGE, status="returned", return_reason="More detail"),
    ),
    Endpoint(
        "impact:new_version",
        "POST",
        web("new_version", approved_pk),
        WRITERS,
        redirect=assessment_page(system__name=TRIAGE, version=2),
        effect=both(
            exists(ImpactAssessment, system__name=TRIAGE, version=2, status="draft"),
            exists(ImpactAssessment, system__name=TRIAGE, version=1, status="approved"),
        ),
    ),
    Endpoint("impact:pdf", "GET", web("pdf", approved_pk), EVERYONE),
    Endpoint(
        "audittrail:history",
        "GET",
        lambda c: reverse("audittrail:history", args=[c.org.slug, "impact.impactassessment", draft_pk(c)]),
        EVERYONE,
    ),
]


def _last_impact(cast) -> int:
    return Impact.objects.filter(organization=cast.org).order_by("-pk").values_list("pk", flat=True)[0]


def api(template: str, **params):
    def build(cast):
        values = {"org": cast.org.slug, **{k: v(cast) if callable(v) else v for k, v in params.items()}}
        values.pop("_", None)
        return BASE + template.format(**values)

    return build


def api_impact(template: str):
    def build(cast):
        a, i = impact_ids(cast)
        return BASE + template.format(org=cast.org.slug, a=a, i=i)

    return build


A = "/orgs/{org}/impact-assessments"
API_ENDPOINTS = [
    Endpoint(f"GET {A}", "GET", api(A + "?review_needed=true", _=approved_pk), EVERYONE),
    Endpoint(
        f"POST {A}",
        "POST",
        api(A),
        WRITERS,
        data=lambda c: {"system_id": system_pk(c)},
        ok=(201,),
    ),
    Endpoint(f"GET {A}/{{assessment_id}}", "GET", api(A + "/{a}", a=draft_pk), EVERYONE),
    Endpoint(
        f"PATCH {A}/{{assessment_id}}",
        "PATCH",
        api(A + "/{a}", a=draft_pk),
        WRITERS,
        data=lambda c: {"sections": {"scope": "Pilot"}},
    ),
    # A step of the workflow changes the assessment (200); only a new version creates one (201).
    Endpoint(f"POST {A}/{{assessment_id}}/submit", "POST", api(A + "/{a}/submit", a=draft_pk), WRITERS, ok=(200,)),
    Endpoint(
        f"POST {A}/{{assessment_id}}/approve",
        "POST",
        api(A + "/{a}/approve", a=review_pk),
        APPROVERS,
        data=lambda c: {"decision": "Proceed"},
        ok=(200,),
    ),
    Endpoint(
        f"POST {A}/{{assessment_id}}/return",
        "POST",
        api(A + "/{a}/return", a=review_pk),
        APPROVERS,
        data=lambda c: {"reason": "More detail"},
        ok=(200,),
    ),
    Endpoint(
        f"POST {A}/{{assessment_id}}/new-version",
        "POST",
        api(A + "/{a}/new-version", a=approved_pk),
        WRITERS,
        data=lambda c: {},
        ok=(201,),
    ),
    Endpoint(f"GET {A}/{{assessment_id}}/impacts", "GET", api(A + "/{a}/impacts", a=draft_pk), EVERYONE),
    Endpoint(
        f"POST {A}/{{assessment_id}}/impacts",
        "POST",
        api(A + "/{a}/impacts", a=draft_pk),
        WRITERS,
        data=lambda c: {"description": "Wrong answer", "severity": 2, "likelihood": 2},
        ok=(201,),
    ),
    Endpoint(
        f"PATCH {A}/{{assessment_id}}/impacts/{{impact_id}}",
        "PATCH",
        api_impact(A + "/{a}/impacts/{i}"),
        WRITERS,
        data=lambda c: {"severity": 3},
    ),
    Endpoint(
        f"DELETE {A}/{{assessment_id}}/impacts/{{impact_id}}",
        "DELETE",
        api_impact(A + "/{a}/impacts/{i}"),
        WRITERS,
        ok=(204,),
    ),
]
