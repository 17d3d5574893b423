"""Risk criteria (6.1.1): matrix arithmetic from data, validation of the data, versions and what records them."""

from __future__ import annotations

import copy

import pytest

from openaims.audittrail.models import AuditEvent
from openaims.lib.errors import Conflict, ServiceError
from openaims.risk.criteria import (
    DEFAULT_FILE,
    CriteriaData,
    default_criteria,
    load_criteria_file,
    parse_criteria,
)
from openaims.risk.models import RiskAssessment, RiskCriteria
from openaims.risk.services import (
    criteria_draft_discard,
    criteria_draft_save,
    criteria_ensure,
    criteria_publish,
    current_criteria,
)
from openaims.tenancy.selectors import tenant_of
from tests.risk.conftest import assess, make_risk


def three_by_three(**changes) -> dict:
    """Small criteria of our own: 3x3, three levels, 'high' needs an owner, nobody accepts 'extreme'."""
    data = {
        "name": "Test 3x3",
        "likelihood": [{"value": i, "name": n} for i, n in enumerate(["Seldom", "Sometimes", "Often"], start=1)],
        "consequence": [{"value": i, "name": n} for i, n in enumerate(["Small", "Medium", "Large"], start=1)],
        "levels": [
            {"key": "low", "name": "Low", "color": "#00aa00"},
            {"key": "high", "name": "High", "color": "#ffaa00"},
            {"key": "extreme", "name": "Extreme", "color": "#aa0000"},
        ],
        "matrix": [["low", "low", "high"], ["low", "high", "extreme"], ["high", "extreme", "extreme"]],
        "appetite": [
            {"level": "low", "within_appetite": True, "accept_role": "contributor"},
            {"level": "high", "within_appetite": False, "accept_role": "owner"},
            {"level": "extreme", "within_appetite": False, "accept_role": None},
        ],
    }
    data.update(changes)
    return data


class TestArithmetic:
    def test_it_reads_the_level_of_each_cell_from_the_default_data(self):
        c = default_criteria()
        assert c.size == (5, 5)
        assert c.level_key(1, 1) == "low"
        assert c.level_key(1, 5) == "medium"
        assert c.level_key(5, 1) == "medium"
        assert c.level_key(3, 3) == "medium"
        assert c.level_key(4, 4) == "high"
        assert c.level_key(5, 4) == "critical"
        assert c.level_key(5, 5) == "critical"

    def test_it_ranks_levels_lowest_first_and_unknown_keys_zero(self):
        c = default_criteria()
        assert [c.rank(k) for k in ("low", "medium", "high", "critical", "gone")] == [1, 2, 3, 4, 0]

    def test_it_takes_levels_and_appetite_from_whatever_criteria_data_says(self):
        c = parse_criteria(three_by_three())
        assert c.level_key(2, 2) == "high"
        assert c.level_key(3, 2) == "extreme"
        assert c.within_appetite("low") and not c.within_appetite("high")
        assert c.rule("high").accept_role == "owner"
        assert c.rule("extreme").accept_role is None

    def test_it_refuses_scores_outside_the_scales(self):
        c = parse_criteria(three_by_three())
        with pytest.raises(ServiceError, match="likelihood must be between 1 and 3"):
            c.level_key(4, 1)
        with pytest.raises(ServiceError, match="consequence must be between 1 and 3"):
            c.level_key(1, 0)

    def test_it_picks_readable_text_on_each_level_colour(self):
        c = default_criteria()
        assert c.level("low").text_color == "#ffffff"  # dark green
        assert c.level("medium").text_color == "#000000"  # amber


class TestValidation:
    @pytest.mark.parametrize(
        ("change", "message"),
        [
            ({"matrix": [["low", "low", "high"], ["low", "high"], ["high", "extreme", "extreme"]]}, "one level per"),
            ({"matrix": [["low", "low", "high"], ["low", "high", "extreme"]]}, "one row per likelihood"),
            (
                {"matrix": [["low", "low", "huge"], ["low", "high", "extreme"], ["high", "extreme", "extreme"]]},
                "unknown",
            ),
            (
                {"matrix": [["low", "high", "low"], ["low", "high", "extreme"], ["high", "extreme", "extreme"]]},
                "milder",
            ),
            ({"matrix": [["low", "low", "high"], ["low", "low", "extreme"], ["high", "extreme", "extreme"]]}, None),
            (
                {"likelihood": [{"value": 1, "name": "A"}, {"value": 3, "name": "B"}, {"value": 2, "name": "C"}]},
                "1, 2, 3",
            ),
            (
                {"appetite": [{"level": "low", "within_appetite": True, "accept_role": "contributor"}]},
                "one rule per risk level",
            ),
            (
                {
                    "appetite": [
                        {"level": "low", "within_appetite": True, "accept_role": "contributor"},
                        {"level": "high", "within_appetite": False, "accept_role": "owner"},
                        {"level": "extreme", "within_appetite": True, "accept_role": "owner"},
                    ]
                },
                "within appetite although a lower level is not",
            ),
            (
                {
                    "appetite": [
                        {"level": "low", "within_appetite": True, "accept_role": "manager"},
                        {"level": "high", "within_appetite": False, "accept_role": "contributor"},
                        {"level": "extreme", "within_appetite": False, "accept_role": None},
                    ]
                },
                "less authority",
            ),
            (
                {
                    "appetite": [
                        {"level": "low", "within_appetite": False, "accept_role": "manager"},
                        {"level": "high", "within_appetite": False, "accept_role": "owner"},
                        {"level": "extreme", "within_appetite": False, "accept_role": None},
                    ]
                },
                "lowest level",
            ),
            ({"levels": [{"key": "Low!", "name": "L"}, {"key": "high", "name": "H"}]}, "levels.0.key"),
        ],
    )
    def test_it_refuses_inconsistent_criteria_with_a_clear_message(self, change, message):
        data = three_by_three(**change)
        if message is None:  # a valid variation, for contrast
            assert parse_criteria(data).level_key(2, 2) == "low"
            return
        with pytest.raises(ServiceError, match=message):
            parse_criteria(data)

    def test_it_ships_a_valid_default_file(self):
        assert load_criteria_file(DEFAULT_FILE) == default_criteria()

    def test_it_refuses_a_file_of_another_format(self, tmp_path):
        path = tmp_path / "criteria.yaml"
        path.write_text("format: something-else\n")
        with pytest.raises(ServiceError, match="not a risk criteria file"):
            load_criteria_file(path)


class TestVersions:
    def test_it_creates_version_1_from_the_default_on_first_use_and_audits_it(self, cast):
        assert current_criteria(cast.org) is None
        first = criteria_ensure(actor=cast.tenant("manager"))
        again = criteria_ensure(actor=cast.tenant("manager"))
        assert first.pk == again.pk and first.number == 1 and not first.is_draft
        assert first.data == default_criteria()
        event = AuditEvent.objects.get(object_type="risk.riskcriteria", object_id=str(first.pk))
        assert event.action == "create" and event.actor == cast.users["manager"]

    def test_it_records_the_criteria_version_each_assessment_used(self, cast):
        risk = make_risk(cast)
        first = assess(cast, risk, 4, 4)
        assert first.criteria.number == 1 and risk.__class__.objects.get(pk=risk.pk).criteria_id == first.criteria_id
        criteria_draft_save(actor=cast.tenant("manager"), content=three_by_three(), note="Simpler scales")
        published = criteria_publish(actor=cast.tenant("manager"))
        second = assess(cast, risk, 2, 2)
        assert published.number == 2 and second.criteria_id == published.pk
        assert second.inherent_level == "high"  # level from the 3x3 matrix now in force
        history = list(RiskAssessment.objects.filter(risk=risk).order_by("assessed_at"))
        assert [(a.criteria.number, a.inherent_level) for a in history] == [(1, "high"), (2, "high")]

    def test_a_draft_is_not_in_force_until_published(self, cast):
        manager = cast.users["manager"]
        draft = criteria_draft_save(actor=tenant_of(manager, cast.org), content=three_by_three())
        assert draft.is_draft and draft.number == 2
        assert current_criteria(cast.org).number == 1
        assert assess(cast, make_risk(cast), 3, 3).criteria.number == 1

    def test_saving_again_replaces_the_draft_and_never_touches_a_published_version(self, cast):
        manager = cast.users["manager"]
        v1 = criteria_ensure(actor=tenant_of(manager, cast.org))
        v1_content = copy.deepcopy(v1.content)
        criteria_draft_save(actor=tenant_of(manager, cast.org), content=three_by_three())
        criteria_draft_save(actor=tenant_of(manager, cast.org), content=three_by_three(name="Second try"))
        assert RiskCriteria.objects.filter(organization=cast.org).count() == 2
        v1.refresh_from_db()
        assert v1.content == v1_content
        draft = RiskCriteria.objects.get(organization=cast.org, published_at__isnull=True)
        assert draft.data.name == "Second try"

    def test_it_refuses_to_publish_a_draft_equal_to_the_version_in_force(self, cast):
        manager = cast.users["manager"]
        criteria_draft_save(actor=tenant_of(manager, cast.org), content=default_criteria())
        with pytest.raises(Conflict, match="same as version 1"):
            criteria_publish(actor=tenant_of(manager, cast.org))

    def test_it_refuses_to_publish_or_discard_without_a_draft(self, cast):
        with pytest.raises(Conflict):
            criteria_publish(actor=cast.tenant("manager"))
        with pytest.raises(Conflict):
            criteria_draft_discard(actor=cast.tenant("manager"))

    def test_it_discards_a_draft(self, cast):
        manager = cast.users["manager"]
        criteria_draft_save(actor=tenant_of(manager, cast.org), content=three_by_three())
        criteria_draft_discard(actor=tenant_of(manager, cast.org))
        assert list(RiskCriteria.objects.filter(organization=cast.org).values_list("number", flat=True)) == [1]

    def test_it_refuses_invalid_draft_content(self, cast):
        bad = three_by_three(matrix=[["low"]])
        with pytest.raises(ServiceError, match="not valid"):
            criteria_draft_save(actor=cast.tenant("manager"), content=bad)

    def test_versions_belong_to_one_organization(self, cast):
        criteria_ensure(actor=cast.tenant("owner"))
        criteria_draft_save(actor=cast.tenant("outsider"), content=three_by_three())
        criteria_publish(actor=cast.tenant("outsider"))
        assert current_criteria(cast.org).data == default_criteria()
        assert current_criteria(cast.other_org).number == 2
        assert isinstance(current_criteria(cast.other_org).data, CriteriaData)
