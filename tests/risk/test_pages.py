"""Risk pages: the register with filters and exports, the heat map, a risk's page and forms, the criteria pages."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from openaims.risk import pdf as risk_pdf
from openaims.risk.models import Risk, RiskAcceptance, RiskCriteria, RiskStatus, TreatmentAction
from openaims.risk.services import risk_accept, risk_select_control
from tests.revisions import revision_of
from tests.risk.conftest import C34, assess, make_risk, make_system

DIMENSIONS = ("organization", "individuals", "societies")


def per_dimension(kind: str, value: str) -> dict:
    """The assessment form's consequence fields, one per dimension of the default criteria, all `value`."""
    return {f"{kind}_consequence_{key}": value for key in DIMENSIONS}


REGISTER_QUERIES = 12  # 10, plus the linked systems' current state for "reassessment suggested" (2)
HEATMAP_QUERIES = 8


def url(name, cast, *args):
    return reverse(f"risk:{name}", args=[cast.org.slug, *args])


def populate(cast, n: int, systems=None):
    """n risks spread over the cells, the systems and the owners; every third assessed with a residual."""
    owners = [cast.users["manager"], cast.users["contributor"], None]
    systems = systems or [make_system(cast, "A"), make_system(cast, "B")]
    risks = []
    for i in range(n):
        risk = make_risk(cast, f"Risk {i}", owner=owners[i % 3], systems=systems[: 1 + i % 2])
        if i % 3 == 0:
            assess(cast, risk, 1 + i % 5, 1 + (i // 5) % 5, "modify", 1, 1)
        elif i % 3 == 1:
            assess(cast, risk, 4, 4)
        risks.append(risk)
    return risks


class TestRegister:
    def test_it_lists_risks_with_levels_systems_and_owner(self, cast, client_for):
        system = make_system(cast, "Credit scoring")
        risk = make_risk(cast, "Biased decisions", systems=[system], owner=cast.users["manager"])
        assess(cast, risk, 4, 4, "modify", 2, 2)
        make_risk(cast, "Organization-wide risk")
        response = client_for(cast.users["viewer"]).get(url("register", cast))
        html = response.content.decode()
        assert response.status_code == 200
        assert "Biased decisions" in html and "AIS-1" in html and "organization-wide" in html
        assert "High" in html and "Low" in html and "mona" in html

    def test_it_shows_an_empty_state(self, cast, client_for):
        response = client_for(cast.users["owner"]).get(url("register", cast))
        assert 'data-testid="risks-empty"' in response.content.decode()

    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ("residual=low", {"Risk 0", "Risk 3"}),
            ("inherent=high", {"Risk 1", "Risk 4"}),
            ("owner=carl", {"Risk 1", "Risk 4"}),
            ("owner=none", {"Risk 2", "Risk 5"}),
            ("status=identified", {"Risk 2", "Risk 5"}),
            ("treatment=none", {"Risk 1", "Risk 2", "Risk 4", "Risk 5"}),
            ("system=AIS-2", {"Risk 1", "Risk 3", "Risk 5"}),
            ("q=Risk+4", {"Risk 4"}),
            ("q=R-3", {"Risk 2"}),
            ("il=4&ic=4", {"Risk 1", "Risk 4"}),
            ("rl=1&rc=1", {"Risk 0", "Risk 3"}),
        ],
    )
    def test_it_filters(self, cast, client_for, query, expected):
        populate(cast, 6)
        response = client_for(cast.users["viewer"]).get(url("register", cast) + "?" + query)
        titles = {r.title for r in response.context["page"].object_list}
        assert titles == expected

    def test_it_hides_closed_risks_unless_asked(self, cast, client_for):
        from openaims.risk.services import risk_close

        risk_close(actor=cast.tenant("owner"), risk=make_risk(cast, "Old"))
        client = client_for(cast.users["viewer"])
        assert not client.get(url("register", cast)).context["page"].object_list
        assert len(client.get(url("register", cast) + "?status=all").context["page"].object_list) == 1

    def test_it_flags_and_filters_risks_past_their_review_date(self, cast, client_for):
        make_risk(cast, "Late", review_date=timezone.localdate() - timedelta(days=3))
        make_risk(cast, "On time", review_date=timezone.localdate() + timedelta(days=3))
        client = client_for(cast.users["viewer"])
        html = client.get(url("register", cast)).content.decode()
        assert 'data-testid="overdue-count"' in html and "1 risk past its review date" in html
        rows = client.get(url("register", cast) + "?overdue=1").context["page"].object_list
        assert [r.title for r in rows] == ["Late"]

    def test_it_sorts_by_residual_level_highest_first_by_default(self, cast, client_for):
        make_risk(cast, "A unassessed")
        assess(cast, make_risk(cast, "B low"), 2, 2, "modify", 1, 1)
        assess(cast, make_risk(cast, "C high"), 5, 5, "modify", 4, 4)
        client = client_for(cast.users["viewer"])
        titles = [r.title for r in client.get(url("register", cast)).context["page"].object_list]
        assert titles == ["C high", "B low", "A unassessed"]
        titles = [r.title for r in client.get(url("register", cast) + "?sort=title").context["page"].object_list]
        assert titles == ["A unassessed", "B low", "C high"]

    def test_it_answers_htmx_with_the_rows_and_exports_of_the_same_filter(self, cast, client_for):
        assess(cast, make_risk(cast), 2, 2, "modify", 1, 1)
        response = client_for(cast.users["viewer"]).get(
            url("register", cast) + "?residual=low", headers={"HX-Request": "true"}
        )
        html = response.content.decode()
        assert 'data-testid="risks"' in html and "<html" not in html
        assert url("export", cast, "csv") + "?residual=low" in html

    @pytest.mark.parametrize("n", [3, 30])
    def test_it_pins_the_query_count_whatever_the_size(self, cast, client_for, django_assert_num_queries, n):
        populate(cast, n)
        client = client_for(cast.users["viewer"])
        client.get(url("register", cast))  # warm-up: session and templates
        with django_assert_num_queries(REGISTER_QUERIES):
            response = client.get(url("register", cast) + "?residual=low&sort=inherent")
        assert response.status_code == 200


class TestHeatmap:
    def test_it_counts_risks_per_cell_and_links_each_cell_to_its_risks(self, cast, client_for):
        for title in ("A", "B"):
            assess(cast, make_risk(cast, title), 4, 5, "modify", 2, 3)
        assess(cast, make_risk(cast, "C"), 1, 1)
        client = client_for(cast.users["viewer"])
        response = client.get(url("heatmap", cast))
        inherent, residual = response.context["grids"]
        cells = {(c.likelihood, c.consequence): c for row in inherent.rows for c in row["cells"]}
        assert cells[(4, 5)].count == 2 and cells[(1, 1)].count == 1 and inherent.total == 3
        assert cells[(4, 5)].level.key == "critical"
        assert sum(c.count for row in residual.rows for c in row["cells"]) == 2
        html = response.content.decode()
        link = reverse("risk:register", args=["acme"]) + "?il=4&amp;ic=5"
        assert link in html
        titles = {r.title for r in client.get(url("register", cast) + "?il=4&ic=5").context["page"].object_list}
        assert titles == {"A", "B"}

    def test_it_draws_the_grid_of_one_ai_system(self, cast, client_for):
        system = make_system(cast)
        assess(cast, make_risk(cast, "Mine", systems=[system]), 3, 3)
        assess(cast, make_risk(cast, "Other"), 3, 3)
        response = client_for(cast.users["viewer"]).get(url("heatmap", cast) + "?system=AIS-1")
        assert response.context["grids"][0].total == 1

    @pytest.mark.parametrize("n", [3, 30])
    def test_it_pins_the_query_count_whatever_the_size(self, cast, client_for, django_assert_num_queries, n):
        populate(cast, n)
        client = client_for(cast.users["viewer"])
        client.get(url("heatmap", cast))
        with django_assert_num_queries(HEATMAP_QUERIES):
            assert client.get(url("heatmap", cast)).status_code == 200


class TestExports:
    def test_csv_has_one_row_per_filtered_risk_and_neutralises_formulas(self, cast, client_for):
        risk = make_risk(cast, "=HYPERLINK(bad)", systems=[make_system(cast)], owner=cast.users["manager"])
        assess(cast, risk, 4, 4, "modify", 2, 2)
        make_risk(cast, "Not assessed")
        response = client_for(cast.users["viewer"]).get(url("export", cast, "csv") + "?residual=low")
        assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
        assert 'filename="risk-register-acme-' in response["Content-Disposition"]
        rows = list(csv.reader(io.StringIO(response.content.decode())))
        assert rows[0][:3] == ["Risk", "Title", "Description"] and len(rows) == 2
        record = dict(zip(rows[0], rows[1], strict=True))
        assert record["Title"] == "'=HYPERLINK(bad)"
        assert record["Inherent level"] == "High" and record["Residual level"] == "Low"
        assert record["AI systems"].startswith("AIS-1") and record["Criteria version"] == "1"

    def test_xlsx_holds_the_register_with_text_never_a_formula(self, cast, client_for):
        assess(cast, make_risk(cast, "Drift"), 3, 3)
        make_risk(cast, "=1+1")
        response = client_for(cast.users["viewer"]).get(url("export", cast, "xlsx") + "?sort=ref")
        sheet = load_workbook(io.BytesIO(response.content)).active
        assert sheet.title == "AI risk register" and sheet.freeze_panes == "C2"
        assert (sheet["B2"].value, sheet["J2"].value) == ("Drift", "Medium")
        assert sheet["B3"].value == "=1+1" and sheet["B3"].data_type == "s"

    def test_the_treatment_plan_pdf_renders(self, cast, client_for):
        risk = make_risk(cast, "Drift", owner=cast.users["manager"])
        assess(cast, risk, 4, 4, "modify", 2, 2)
        from openaims.risk.services import treatment_action_create

        treatment_action_create(actor=cast.tenant("owner"), risk=risk, title="Weekly drift check")
        html = risk_pdf.treatment_plan_html(
            risk_exports(cast), risk_pdf.PlanMeta(organization="Acme AI", slug="acme", criteria_version=1), levels()
        )
        assert "Weekly drift check" in html and "R-1 Drift" in html
        response = client_for(cast.users["viewer"]).get(url("export", cast, "pdf"))
        assert response.status_code == 200 and response.content.startswith(b"%PDF")

    def test_the_pdf_refuses_more_risks_than_a_plan_holds(self, cast, client_for, monkeypatch):
        monkeypatch.setattr("openaims.risk.views.register.MAX_RISKS", 1)
        make_risk(cast, "One")
        make_risk(cast, "Two")
        response = client_for(cast.users["viewer"]).get(url("export", cast, "pdf"))
        assert response.status_code == 400 and "Narrow the register" in response.content.decode()

    def test_an_unknown_format_is_404(self, cast, client_for):
        assert client_for(cast.users["viewer"]).get(url("export", cast, "docx")).status_code == 404


def risk_exports(cast):
    from openaims.risk.selectors import RegisterFilter, decorate, export_risks

    return decorate(export_risks(cast.org, RegisterFilter()), levels())


def levels():
    from openaims.risk.criteria import default_criteria
    from openaims.risk.selectors import Levels

    return Levels(default_criteria())


class TestRiskPages:
    def test_it_records_a_risk_through_the_form(self, cast, client_for, iso):
        make_system(cast)
        response = client_for(cast.users["contributor"]).post(
            url("create", cast),
            {"title": "Drift", "systems": "AIS-1", "sources": [C34], "owner": cast.users["manager"].pk},
        )
        risk = Risk.objects.get()
        assert response.status_code == 302 and response["Location"].endswith("#assess")
        assert risk.created_by == cast.users["contributor"] and risk.owner == cast.users["manager"]

    def test_a_bad_form_is_shown_again_and_nothing_is_written(self, cast, client_for):
        response = client_for(cast.users["contributor"]).post(url("create", cast), {"title": "X", "systems": "AIS-9"})
        assert response.status_code == 400 and "no AI system AIS-9" in response.content.decode()
        assert not Risk.objects.exists()

    def test_it_edits_the_entry(self, cast, client_for):
        risk = make_risk(cast)
        response = client_for(cast.users["contributor"]).post(
            url("edit", cast, risk.pk), {"title": "Renamed", "review_date": "2030-01-31", "revision": revision_of(risk)}
        )
        risk.refresh_from_db()
        assert response.status_code == 302 and risk.title == "Renamed" and str(risk.review_date) == "2030-01-31"

    def test_it_says_how_to_adopt_annex_a_when_the_register_has_no_controls(self, cast, client_for):
        from openaims.controls.services import control_create_custom

        risk = make_risk(cast)
        html = client_for(cast.users["contributor"]).get(url("risk", cast, risk.pk)).content.decode()
        hint = html[html.index('data-testid="adopt-annex-a-hint"') :]
        assert reverse("controls:list", args=["acme"]) in hint[: hint.index("</p>")]
        control_create_custom(actor=cast.tenant("owner"), ref_id="ORG-1", title="Bias")
        html = client_for(cast.users["contributor"]).get(url("risk", cast, risk.pk)).content.decode()
        assert 'data-testid="adopt-annex-a-hint"' not in html and 'data-testid="control-select"' in html

    def test_the_page_shows_scores_trend_plan_controls_and_history(self, cast, client_for):
        from openaims.controls.services import control_create_custom

        risk = make_risk(cast, owner=cast.users["manager"])
        assess(cast, risk, 4, 4)
        assess(cast, risk, 4, 4, "modify", 2, 2)
        control = control_create_custom(actor=cast.tenant("owner"), ref_id="ORG-1", title="Bias")
        risk_select_control(actor=cast.tenant("owner"), risk=risk, control=control)
        response = client_for(cast.users["viewer"]).get(url("risk", cast, risk.pk))
        html = response.content.decode()
        assert response.status_code == 200
        assert 'data-testid="trend"' in html and html.count("trend-") >= 1
        assert "ORG-1" in html and 'data-testid="history-link"' in html
        assert 'data-testid="assess"' not in html  # a viewer sees no forms

    def test_it_assesses_through_the_form(self, cast, client_for):
        risk = make_risk(cast)
        client = client_for(cast.users["contributor"])
        response = client.post(
            url("assess", cast, risk.pk),
            {
                "inherent_likelihood": "4",
                **per_dimension("inherent", "4"),
                "treatment_option": "modify",
                "residual_likelihood": "2",
                **per_dimension("residual", "2"),
            },
        )
        risk.refresh_from_db()
        assert response.status_code == 302 and (risk.inherent_level, risk.residual_level) == ("high", "low")

    def test_a_refused_assessment_is_explained_on_the_page(self, cast, client_for):
        risk = make_risk(cast)
        response = client_for(cast.users["contributor"]).post(
            url("assess", cast, risk.pk),
            {
                "inherent_likelihood": "1",
                **per_dimension("inherent", "1"),
                "treatment_option": "modify",
                "residual_likelihood": "5",
                **per_dimension("residual", "5"),
            },
        )
        assert response.status_code == 400 and "cannot be higher than the inherent level" in response.content.decode()
        assert not Risk.objects.get().has_inherent

    def test_the_author_is_refused_acceptance_with_the_reason_on_the_page(self, cast, client_for):
        risk = make_risk(cast, actor=cast.tenant("manager"), owner=cast.users["manager"])
        assess(cast, risk, 2, 2, "modify", 1, 1)
        client = client_for(cast.users["manager"])
        page = client.get(url("risk", cast, risk.pk)).content.decode()
        assert "separation of duties" in page  # said before trying
        response = client.post(url("accept", cast, risk.pk), {"note": "fine"})
        assert response.status_code == 403 and "separation of duties" in response.content.decode()
        assert not RiskAcceptance.objects.exists()

    def test_the_risk_owner_accepts_through_the_form(self, cast, client_for):
        risk = make_risk(cast, owner=cast.users["manager"])
        assess(cast, risk, 5, 5, "modify", 4, 4)
        response = client_for(cast.users["manager"]).post(url("accept", cast, risk.pk), {"note": "Accepted"})
        assert response.status_code == 302
        assert Risk.objects.get().status == RiskStatus.ACCEPTED
        html = client_for(cast.users["viewer"]).get(url("risk", cast, risk.pk)).content.decode()
        assert 'data-testid="acceptance"' in html and "above the risk appetite" in html

    def test_every_field_of_the_owners_risk_page_has_its_own_id(self, cast, client_for):
        # Two forms had a "note": the acceptance's label pointed at the assessment's field.
        risk = make_risk(cast, owner=cast.users["manager"])
        assess(cast, risk, 4, 4, "modify", 2, 2)
        html = client_for(cast.users["manager"]).get(url("risk", cast, risk.pk)).content.decode()
        ids = Counter(re.findall(r'\sid="([^"]+)"', html))
        assert 'data-testid="accept"' in html and 'for="id_accept_note"' in html
        assert [i for i, n in ids.items() if n > 1] == []

    def test_only_withdrawn_acceptances_are_listed_as_earlier(self, cast, client_for):
        risk = make_risk(cast, owner=cast.users["manager"])
        assess(cast, risk, 4, 4, "modify", 2, 2)
        risk_accept(actor=cast.tenant("manager"), risk=risk, note="First sign-off")
        html = client_for(cast.users["viewer"]).get(url("risk", cast, risk.pk)).content.decode()
        assert 'data-testid="acceptance"' in html and "Earlier acceptances" not in html
        assess(cast, risk, 4, 4, "modify", 1, 2)  # a new assessment withdraws the acceptance
        risk_accept(actor=cast.tenant("manager"), risk=risk, note="Second sign-off")
        html = client_for(cast.users["viewer"]).get(url("risk", cast, risk.pk)).content.decode()
        assert "Earlier acceptances (1)" in html and html.count("— withdrawn") == 1

    def test_it_manages_the_treatment_plan(self, cast, client_for):
        risk = make_risk(cast)
        client = client_for(cast.users["contributor"])
        client.post(url("action_add", cast, risk.pk), {"title": "Retrain", "status": "planned", "due_date": ""})
        action = TreatmentAction.objects.get()
        client.post(url("action", cast, risk.pk, action.pk), {"status": "done"})
        action.refresh_from_db()
        assert action.status == "done"
        client.post(
            url("action", cast, risk.pk, action.pk),
            {
                f"a{action.pk}-title": "Retrain monthly",
                f"a{action.pk}-status": "in_progress",
                f"a{action.pk}-revision": revision_of(action),
            },
        )
        action.refresh_from_db()
        assert (action.title, action.status) == ("Retrain monthly", "in_progress")
        client.post(url("action_delete", cast, risk.pk, action.pk))
        assert not TreatmentAction.objects.exists()

    def test_another_organizations_risk_is_404(self, cast, client_for):
        theirs = make_risk(cast, "Theirs", org=cast.other_org)
        client = client_for(cast.users["owner"])
        assert client.get(url("risk", cast, theirs.pk)).status_code == 404
        assert client.post(url("assess", cast, theirs.pk), {}).status_code == 404


class TestCriteriaPages:
    def test_it_shows_the_default_before_first_use_without_writing(self, cast, client_for):
        response = client_for(cast.users["viewer"]).get(url("criteria", cast))
        html = response.content.decode()
        assert 'data-testid="criteria-default"' in html and "Almost certain" in html and "Critical" in html
        assert not RiskCriteria.objects.exists()

    def test_a_manager_drafts_and_publishes_a_new_version(self, cast, client_for):
        client = client_for(cast.users["manager"])
        form = client.get(url("criteria_edit", cast)).context["form"]
        data = {name: form[name].value() for name in form.fields}
        data = {k: v for k, v in data.items() if v is not None and v is not False}
        data["l5_name"] = "Very likely"
        data["cell_3_3"] = "high"
        data["note"] = "Stricter middle cell"
        response = client.post(url("criteria_edit", cast), data)
        assert response.status_code == 302, response.content.decode()[:2000]
        draft = RiskCriteria.objects.get(published_at__isnull=True)
        assert draft.number == 2 and draft.data.level_key(3, 3) == "high"
        client.post(url("criteria_publish", cast))
        risk = make_risk(cast)
        assert assess(cast, risk, 3, 3).inherent_level == "high"
        assert "Very likely" in client.get(url("criteria_version", cast, 2)).content.decode()

    def test_an_inconsistent_draft_is_refused_on_the_form(self, cast, client_for):
        client = client_for(cast.users["manager"])
        form = client.get(url("criteria_edit", cast)).context["form"]
        data = {name: form[name].value() for name in form.fields}
        data = {k: v for k, v in data.items() if v is not None and v is not False}
        data["cell_5_5"] = "low"  # milder than its neighbours
        response = client.post(url("criteria_edit", cast), data)
        assert response.status_code == 400 and "milder" in response.content.decode()
        assert RiskCriteria.objects.filter(published_at__isnull=True).count() == 0
