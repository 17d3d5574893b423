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
from openaims.risk.services import (
    criteria_draft_save,
    risk_assess,
    risk_close,
    risk_create,
    risk_select_control,
    treatment_action_create,
)
from tests.catalog.conftest import load_tiny
from tests.matrix import EVERYONE, Endpoint

WRITERS = frozenset({"owner", "manager", "contributor"})
APPROVERS = frozenset({"owner", "manager"})
RISK_OWNER = frozenset({"manager"})
TINY_URN = "urn:openaims:framework:tiny-1"
BASE = "/api/v1"


def risk_pk(cast) -> int:
    return risk_create(actor=cast.users["owner"], organization=cast.org, title="Biased decisions").pk


def assessed_pk(cast) -> int:
    """Recorded by alice (owner), owned by mona (manager), residual high: only mona may accept."""
    risk = risk_create(actor=cast.users["owner"], organization=cast.org, title="Drift", owner=cast.users["manager"])
    risk_assess(
        actor=cast.users["owner"],
        risk=risk,
        inherent_likelihood=5,
        inherent_consequence=5,
        treatment_option="modify",
        residual_likelihood=4,
        residual_consequence=4,
    )
    return risk.pk


def closed_pk(cast) -> int:
    risk = risk_create(actor=cast.users["owner"], organization=cast.org, title="Retired")
    risk_close(actor=cast.users["owner"], risk=risk)
    return risk.pk


def action_path(cast) -> str:
    risk = risk_create(actor=cast.users["owner"], organization=cast.org, title="Drift")
    action = treatment_action_create(actor=cast.users["owner"], risk=risk, title="Retrain")
    return f"{risk.pk}/actions/{action.pk}"


def adopted(cast) -> Control:
    load_tiny()
    controls_adopt_catalog(actor=cast.users["owner"], organization=cast.org, framework_urn=TINY_URN)
    return Control.objects.get(organization=cast.org, ref_id="A.1")


def selection(cast) -> str:
    risk = risk_create(actor=cast.users["owner"], organization=cast.org, title="Drift")
    control = adopted(cast)
    risk_select_control(actor=cast.users["owner"], risk=risk, control=control)
    return f"{risk.pk}/controls/{control.pk}"


def with_draft(cast) -> str:
    content = default_criteria().as_json()
    content["name"] = "Next"
    criteria_draft_save(actor=cast.users["owner"], organization=cast.org, content=content)
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
    return data


def assess_data(cast) -> dict:
    consequences = {f"inherent_consequence_{key}": "3" for key in ("organization", "individuals", "societies")}
    return {"inherent_likelihood": "3", **consequences, "treatment_option": "retain"}


WEB_ENDPOINTS = [
    Endpoint("risk:register", "GET", web("register"), EVERYONE),
    Endpoint("risk:heatmap", "GET", web("heatmap"), EVERYONE),
    *[Endpoint("risk:export", "GET", web("export", fmt), EVERYONE) for fmt in ("csv", "xlsx", "pdf")],
    Endpoint("risk:create", "GET", web("create"), WRITERS),
    Endpoint("risk:create", "POST", web("create"), WRITERS, data=lambda c: {"title": "Model drift"}),
    Endpoint("risk:risk", "GET", web("risk", risk_pk), EVERYONE),
    Endpoint("risk:edit", "GET", web("edit", risk_pk), WRITERS),
    Endpoint("risk:edit", "POST", web("edit", risk_pk), WRITERS, data=lambda c: {"title": "Renamed"}),
    Endpoint("risk:assess", "POST", web("assess", risk_pk), WRITERS, data=assess_data),
    Endpoint("risk:accept", "POST", web("accept", assessed_pk), RISK_OWNER, data=lambda c: {"note": "OK"}),
    Endpoint("risk:close", "POST", web("close", risk_pk), WRITERS, data=lambda c: {"reason": "Retired"}),
    Endpoint("risk:reopen", "POST", web("reopen", closed_pk), WRITERS),
    Endpoint(
        "risk:action_add",
        "POST",
        web("action_add", risk_pk),
        WRITERS,
        data=lambda c: {"title": "Retrain", "status": "planned"},
    ),
    Endpoint("risk:action", "POST", web_path("risks/{a}/", a=action_path), WRITERS, data=lambda c: {"status": "done"}),
    Endpoint("risk:action_delete", "POST", web_path("risks/{a}/delete/", a=action_path), WRITERS),
    Endpoint(
        "risk:control_select",
        "POST",
        web("control_select", risk_pk),
        WRITERS,
        data=lambda c: {"control": adopted(c).pk},
    ),
    Endpoint("risk:control_deselect", "POST", web_path("risks/{s}/remove/", s=selection), WRITERS),
    Endpoint("risk:criteria", "GET", web("criteria"), EVERYONE),
    Endpoint("risk:criteria_version", "GET", lambda c: with_draft(c) + web("criteria_version", 2)(c), EVERYONE),
    Endpoint("risk:criteria_edit", "GET", web("criteria_edit"), APPROVERS),
    Endpoint("risk:criteria_edit", "POST", web("criteria_edit"), APPROVERS, data=lambda c: criteria_form_data()),
    Endpoint("risk:criteria_publish", "POST", lambda c: with_draft(c) + web("criteria_publish")(c), APPROVERS),
    Endpoint("risk:criteria_discard", "POST", lambda c: with_draft(c) + web("criteria_discard")(c), APPROVERS),
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
    ),
    Endpoint(
        "POST /orgs/{org}/risks/{risk_id}/reopen", "POST", api("/orgs/{org}/risks/{r}/reopen", r=closed_pk), WRITERS
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
