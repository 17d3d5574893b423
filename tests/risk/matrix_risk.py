"""Role-matrix rows of the risk pages and API operations (collected by tests/test_role_matrix_*.py).

Readers: everyone. Writers (contributor and up) record, assess, plan and select controls. Managers and
owners draft and publish criteria. Acceptance: only the risk owner — here mona (manager), the risk
recorded by alice (owner) — so alice and carl are refused (403) like auditors and viewers.
"""

from __future__ import annotations

from django.urls import reverse

from openaims.controls.models import Control
from openaims.controls.services import controls_adopt_catalog
from openaims.risk.criteria import default_criteria
from openaims.risk.models import Risk, RiskAcceptance, RiskAssessment, RiskControl, RiskCriteria, TreatmentAction
from openaims.risk.services import (
    criteria_draft_save,
    risk_assess,
    risk_close,
    risk_create,
    risk_select_control,
    treatment_action_create,
)
from tests.catalog.conftest import load_tiny
from tests.matrix import EVERYONE, Endpoint, both, exists, gone, page_of

WRITERS = frozenset({"owner", "manager", "contributor"})
APPROVERS = frozenset({"owner", "manager"})
RISK_OWNER = frozenset({"manager"})
TINY_URN = "urn:openaims:framework:tiny-1"
BASE = "/api/v1"


def risk_pk(cast) -> int:
    return risk_create(actor=cast.tenant("owner"), title="Biased decisions").pk


def assessed_pk(cast) -> int:
    """Recorded by alice (owner), owned by mona (manager), residual high: only mona may accept."""
    risk = risk_create(actor=cast.tenant("owner"), title="Drift", owner=cast.users["manager"])
    risk_assess(
        actor=cast.tenant("owner"),
        risk=risk,
        inherent_likelihood=5,
        inherent_consequence=5,
        treatment_option="modify",
        residual_likelihood=4,
        residual_consequence=4,
    )
    return risk.pk


def closed_pk(cast) -> int:
    risk = risk_create(actor=cast.tenant("owner"), title="Retired")
    risk_close(actor=cast.tenant("owner"), risk=risk)
    return risk.pk


def action_path(cast) -> str:
    risk = risk_create(actor=cast.tenant("owner"), title="Drift")
    action = treatment_action_create(actor=cast.tenant("owner"), risk=risk, title="Retrain")
    return f"{risk.pk}/actions/{action.pk}"


def adopted(cast) -> Control:
    load_tiny()
    controls_adopt_catalog(actor=cast.tenant("owner"), framework_urn=TINY_URN)
    return Control.objects.get(organization=cast.org, ref_id="A.1")


def selection(cast) -> str:
    risk = risk_create(actor=cast.tenant("owner"), title="Drift")
    control = adopted(cast)
    risk_select_control(actor=cast.tenant("owner"), risk=risk, control=control)
    return f"{risk.pk}/controls/{control.pk}"


def with_draft(cast) -> str:
    content = default_criteria().as_json()
    content["name"] = "Next"
    criteria_draft_save(actor=cast.tenant("owner"), content=content)
    return ""


def draft_body(cast) -> dict:
    content = default_criteria().as_json()
    content["name"] = "Next"
    return {"criteria": content, "note": "Renamed"}


def web(name, *args):
    return lambda c: reverse(f"risk:{name}", args=[c.org.slug, *[a(c) if callable(a) else a for a in args]])


def web_path(template: str, **params):
    """A web path under /o/<org>/ built from parts that the callables create."""

    def build(cast):
        values = {k: v(cast) for k, v in params.items()}
        return f"/o/{cast.org.slug}/" + template.format(**values)

    return build


def criteria_form_data() -> dict:
    """The criteria form filled in as the default, with one name changed."""
    from openaims.risk.forms import CriteriaForm

    data = {k: v for k, v in CriteriaForm(base=default_criteria()).initial.items() if v not in (None, False)}
    data["l5_name"] = "Very likely"
    data["revision"] = 0  # no draft yet: the page was opened on the criteria in force
    return data


def risk_page(anchor: str = "", **lookups):
    return page_of("risk:risk", Risk, anchor, **lookups)


def draft_named_likelihood(cast, response) -> None:
    draft = RiskCriteria.objects.get(organization=cast.org, published_at__isnull=True)
    assert "Very likely" in str(draft.content), "the draft carries the renamed likelihood level"


def assess_data(cast) -> dict:
    consequences = {f"inherent_consequence_{key}": "3" for key in ("organization", "individuals", "societies")}
    return {"inherent_likelihood": "3", **consequences, "treatment_option": "retain"}


WEB_ENDPOINTS = [
    Endpoint("risk:register", "GET", web("register"), EVERYONE),
    Endpoint("risk:heatmap", "GET", web("heatmap"), EVERYONE),
    *[Endpoint("risk:export", "GET", web("export", fmt), EVERYONE) for fmt in ("csv", "xlsx", "pdf")],
    Endpoint("risk:create", "GET", web("create"), WRITERS),
    Endpoint(
        "risk:create",
        "POST",
        web("create"),
        WRITERS,
        data=lambda c: {"title": "Model drift"},
        redirect=risk_page("#assess", title="Model drift"),
        effect=exists(Risk, organization__slug="acme", title="Model drift", status="identified"),
    ),
    Endpoint("risk:risk", "GET", web("risk", risk_pk), EVERYONE),
    Endpoint("risk:edit", "GET", web("edit", risk_pk), WRITERS),
    Endpoint(
        "risk:edit",
        "POST",
        web("edit", risk_pk),
        WRITERS,
        data=lambda c: {"title": "Renamed", "revision": 1},
        redirect=risk_page(title="Renamed"),
        effect=both(exists(Risk, title="Renamed"), gone(Risk, title="Biased decisions")),
    ),
    Endpoint(
        "risk:assess",
        "POST",
        web("assess", risk_pk),
        WRITERS,
        data=assess_data,
        redirect=risk_page("#scores", title="Biased decisions"),
        effect=both(
            exists(Risk, title="Biased decisions", status="assessed", inherent_likelihood=3, treatment_option="retain"),
            exists(RiskAssessment, risk__title="Biased decisions", inherent_consequence=3),
        ),
    ),
    Endpoint(
        "risk:accept",
        "POST",
        web("accept", assessed_pk),
        RISK_OWNER,
        data=lambda c: {"note": "OK"},
        redirect=risk_page("#acceptance", title="Drift"),
        effect=both(
            exists(Risk, title="Drift", status="accepted"),
            exists(RiskAcceptance, risk__title="Drift", accepted_by__username="mona", note="OK"),
        ),
    ),
    Endpoint(
        "risk:close",
        "POST",
        web("close", risk_pk),
        WRITERS,
        data=lambda c: {"reason": "Retired"},
        redirect=risk_page(title="Biased decisions"),
        effect=exists(Risk, title="Biased decisions", status="closed"),
    ),
    Endpoint(
        "risk:reopen",
        "POST",
        web("reopen", closed_pk),
        WRITERS,
        redirect=risk_page(title="Retired"),
        effect=both(exists(Risk, title="Retired"), gone(Risk, title="Retired", status="closed")),
    ),
    Endpoint(
        "risk:action_add",
        "POST",
        web("action_add", risk_pk),
        WRITERS,
        data=lambda c: {"title": "Retrain", "status": "planned"},
        redirect=risk_page("#plan", title="Biased decisions"),
        effect=exists(TreatmentAction, risk__title="Biased decisions", title="Retrain", status="planned"),
    ),
    Endpoint(
        "risk:action",
        "POST",
        web_path("risks/{a}/", a=action_path),
        WRITERS,
        data=lambda c: {"status": "done"},
        redirect=risk_page("#plan", title="Drift"),
        effect=exists(TreatmentAction, risk__title="Drift", title="Retrain", status="done"),
    ),
    Endpoint(
        "risk:action_delete",
        "POST",
        web_path("risks/{a}/delete/", a=action_path),
        WRITERS,
        redirect=risk_page("#plan", title="Drift"),
        effect=gone(TreatmentAction, risk__title="Drift"),
    ),
    Endpoint(
        "risk:control_select",
        "POST",
        web("control_select", risk_pk),
        WRITERS,
        data=lambda c: {"control": adopted(c).pk},
        redirect=risk_page("#controls", title="Biased decisions"),
        effect=exists(RiskControl, risk__title="Biased decisions", control__ref_id="A.1"),
    ),
    Endpoint(
        "risk:control_deselect",
        "POST",
        web_path("risks/{s}/remove/", s=selection),
        WRITERS,
        redirect=risk_page("#controls", title="Drift"),
        effect=both(gone(RiskControl, risk__title="Drift"), exists(Control, ref_id="A.1")),
    ),
    Endpoint("risk:criteria", "GET", web("criteria"), EVERYONE),
    Endpoint("risk:criteria_version", "GET", lambda c: with_draft(c) + web("criteria_version", 2)(c), EVERYONE),
    Endpoint("risk:criteria_edit", "GET", web("criteria_edit"), APPROVERS),
    Endpoint(
        "risk:criteria_edit",
        "POST",
        web("criteria_edit"),
        APPROVERS,
        data=lambda c: criteria_form_data(),
        redirect="/o/acme/risk-criteria/",
        effect=draft_named_likelihood,
    ),
    Endpoint(
        "risk:criteria_publish",
        "POST",
        lambda c: with_draft(c) + web("criteria_publish")(c),
        APPROVERS,
        redirect="/o/acme/risk-criteria/",
        effect=both(
            exists(RiskCriteria, organization__slug="acme", number=2, published_at__isnull=False),
            gone(RiskCriteria, organization__slug="acme", published_at__isnull=True),
        ),
    ),
    Endpoint(
        "risk:criteria_discard",
        "POST",
        lambda c: with_draft(c) + web("criteria_discard")(c),
        APPROVERS,
        redirect="/o/acme/risk-criteria/",
        effect=both(
            gone(RiskCriteria, organization__slug="acme", number=2),
            exists(RiskCriteria, organization__slug="acme", number=1, published_at__isnull=False),
        ),
    ),
    Endpoint(
        "audittrail:history",
        "GET",
        lambda c: reverse("audittrail:history", args=[c.org.slug, "risk.risk", risk_pk(c)]),
        EVERYONE,
    ),
]


def api(template: str, **params):
    def build(cast):
        values = {"org": cast.org.slug, **{k: v(cast) if callable(v) else v for k, v in params.items()}}
        values.pop("_", None)
        return BASE + template.format(**values)

    return build


API_ENDPOINTS = [
    Endpoint("GET /orgs/{org}/risks", "GET", api("/orgs/{org}/risks?residual=high", _=assessed_pk), EVERYONE),
    Endpoint(
        "POST /orgs/{org}/risks",
        "POST",
        api("/orgs/{org}/risks"),
        WRITERS,
        data=lambda c: {"title": "Model drift", "owner": "carl"},
        ok=(201,),
    ),
    Endpoint("GET /orgs/{org}/risks/heatmap", "GET", api("/orgs/{org}/risks/heatmap", _=assessed_pk), EVERYONE),
    Endpoint("GET /orgs/{org}/risks/{risk_id}", "GET", api("/orgs/{org}/risks/{r}", r=risk_pk), EVERYONE),
    Endpoint(
        "PATCH /orgs/{org}/risks/{risk_id}",
        "PATCH",
        api("/orgs/{org}/risks/{r}", r=risk_pk),
        WRITERS,
        data=lambda c: {"title": "Renamed", "review_date": "2030-01-01"},
    ),
    Endpoint(
        "POST /orgs/{org}/risks/{risk_id}/assessments",
        "POST",
        api("/orgs/{org}/risks/{r}/assessments", r=risk_pk),
        WRITERS,
        data=lambda c: {"inherent_likelihood": 3, "inherent_consequence": 4},
        ok=(201,),
    ),
    Endpoint(
        "POST /orgs/{org}/risks/{risk_id}/acceptance",
        "POST",
        api("/orgs/{org}/risks/{r}/acceptance", r=assessed_pk),
        RISK_OWNER,
        data=lambda c: {"note": "Monitored"},
        ok=(201,),
    ),
    Endpoint(
        "POST /orgs/{org}/risks/{risk_id}/close",
        "POST",
        api("/orgs/{org}/risks/{r}/close", r=risk_pk),
        WRITERS,
        data=lambda c: {"reason": "Retired"},
        ok=(200,),  # a change of state, not a new resource
    ),
    Endpoint(
        "POST /orgs/{org}/risks/{risk_id}/reopen",
        "POST",
        api("/orgs/{org}/risks/{r}/reopen", r=closed_pk),
        WRITERS,
        ok=(200,),
    ),
    Endpoint(
        "GET /orgs/{org}/risks/{risk_id}/actions", "GET", api("/orgs/{org}/risks/{r}/actions", r=risk_pk), EVERYONE
    ),
    Endpoint(
        "POST /orgs/{org}/risks/{risk_id}/actions",
        "POST",
        api("/orgs/{org}/risks/{r}/actions", r=risk_pk),
        WRITERS,
        data=lambda c: {"title": "Retrain", "owner": "carl", "due_date": "2030-01-01"},
        ok=(201,),
    ),
    Endpoint(
        "PATCH /orgs/{org}/risks/{risk_id}/actions/{action_id}",
        "PATCH",
        api("/orgs/{org}/risks/{a}", a=action_path),
        WRITERS,
        data=lambda c: {"status": "done"},
    ),
    Endpoint(
        "DELETE /orgs/{org}/risks/{risk_id}/actions/{action_id}",
        "DELETE",
        api("/orgs/{org}/risks/{a}", a=action_path),
        WRITERS,
        ok=(204,),
    ),
    Endpoint(
        "POST /orgs/{org}/risks/{risk_id}/controls/{control_id}",
        "POST",
        api("/orgs/{org}/risks/{r}/controls/{c}", r=risk_pk, c=lambda c: adopted(c).pk),
        WRITERS,
        ok=(201,),
    ),
    Endpoint(
        "DELETE /orgs/{org}/risks/{risk_id}/controls/{control_id}",
        "DELETE",
        api("/orgs/{org}/risks/{s}", s=selection),
        WRITERS,
        ok=(204,),
    ),
    Endpoint("GET /orgs/{org}/risk-criteria", "GET", api("/orgs/{org}/risk-criteria"), EVERYONE),
    Endpoint(
        "GET /orgs/{org}/risk-criteria/versions",
        "GET",
        api("/orgs/{org}/risk-criteria/versions", _=with_draft),
        EVERYONE,
    ),
    Endpoint(
        "GET /orgs/{org}/risk-criteria/versions/{number}",
        "GET",
        api("/orgs/{org}/risk-criteria/versions/{n}", n=lambda c: with_draft(c) or 1),
        EVERYONE,
    ),
    Endpoint(
        "PUT /orgs/{org}/risk-criteria/draft", "PUT", api("/orgs/{org}/risk-criteria/draft"), APPROVERS, data=draft_body
    ),
    Endpoint(
        "DELETE /orgs/{org}/risk-criteria/draft",
        "DELETE",
        api("/orgs/{org}/risk-criteria/draft", _=with_draft),
        APPROVERS,
        ok=(204,),
    ),
    Endpoint(
        "POST /orgs/{org}/risk-criteria/draft/publish",
        "POST",
        api("/orgs/{org}/risk-criteria/draft/publish", _=with_draft),
        APPROVERS,
        ok=(201,),
    ),
]
