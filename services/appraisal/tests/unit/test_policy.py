"""The policy file: the shipped default loads; a bad one is refused naming line and field."""

from decimal import Decimal

import pytest

from daybook_appraisal.domain.policy import PolicyError, load_policy
from daybook_appraisal.policy_files import SHIPPED_POLICY_DIR, read_policies

from .builders import default_text


def problems(text: str) -> list[str]:
    with pytest.raises(PolicyError) as refused:
        load_policy(text, "candidate.yaml")
    return [str(problem) for problem in refused.value.problems]


def line_of(text: str, fragment: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if fragment in line)


def test_the_shipped_default_follows_the_regulation():
    policy = load_policy(default_text()).policy
    assert sum(c.weight for c in policy.components) == 100
    assert [b.id for b in policy.bands] == ["excellent", "good", "adequate", "poor"]
    assert policy.discipline.ladder == ("warning", "pay_cut", "dismissal_recommendation")
    assert {rule_id for c in policy.components for rule_id in c.rule_ids} >= {
        "R-A1",
        "R-A2",
        "R-A3",
        "R-A4",
        "R-A5",
        "R-A6",
        "R-B3.1",
        "R-B3.3",
        "R-B4.1",
    }
    assert list(read_policies(SHIPPED_POLICY_DIR)) == ["2026.1"]


def test_numbers_are_read_as_exact_decimals():
    policy = load_policy(default_text()).policy
    assert policy.bands[0].rewards.bonus_share == Decimal("0.30")
    assert policy.components[5].parts[0].share == Decimal("0.7")


def test_a_negative_weight_is_refused_naming_its_line_and_field():
    text = default_text().replace(
        "weight: 15\n    measure: {kind: mean", "weight: -15\n    measure: {kind: mean"
    )
    assert problems(text) == [
        f"line {line_of(text, 'weight: -15')}, components[1].weight: Input should be greater than 0"
    ]


def test_weights_that_do_not_add_up_to_100_are_refused_with_the_sum():
    text = default_text().replace("weight: 30 ", "weight: 25 ")
    [problem] = problems(text)
    assert problem.startswith(
        f"line {line_of(text, 'components:')}, components: weights must "
        "add up to 100, they add up to 95 (sales 25, satisfaction 15"
    )


def test_an_unknown_fact_kind_is_refused_where_it_is_named():
    text = default_text().replace("numerator: {deal_won: 1}", "numerator: {deal_wonn: 1}")
    [problem] = problems(text)
    assert problem.startswith(
        f"line {line_of(text, 'deal_wonn')}, "
        "components[0].measure.numerator.deal_wonn: Input should be"
    )


def test_a_duplicate_key_is_refused_rather_than_silently_overwritten():
    text = default_text().replace(
        "title: Daybook default (POLICY.md)", "title: Daybook default (POLICY.md)\ntitle: again"
    )
    assert problems(text) == [
        f"line {line_of(text, 'title: again')}, title: appears twice; say it once"
    ]


def test_cross_field_rules_are_checked_once_every_field_is_well_formed():
    text = default_text().replace("level: pay_cut                 # when", "level: suspension")
    assert problems(text) == [
        f"line {line_of(text, 'level: suspension')}, discipline.conduct[0].level: Input should "
        "be 'warning', 'pay_cut' or 'dismissal_recommendation'",
    ]
    text = (
        default_text()
        .replace("bands: [poor]", "bands: [awful]")
        .replace("min_score: 75", "min_score: 95")
    )
    assert problems(text) == [
        f"line {line_of(text, 'min_score: 95')}, bands[1].min_score: bands are listed best "
        "first: each min_score must be below the one before it",
        f"line {line_of(text, 'bands: [awful]')}, discipline.poor_performance[0].bands[0]: "
        "no band 'awful' in bands",
    ]


def test_rule_ids_must_exist_in_the_regulation():
    text = default_text().replace("rule_ids: [R-A2]", "rule_ids: [R-Z9]")
    assert problems(text) == [
        f"line {line_of(text, 'R-Z9')}, discipline.thresholds[3].rule_ids: 'R-Z9' is not a "
        "rule of POLICY.md (for example R-A1, R-B4.3)"
    ]


def test_part_shares_must_add_up_to_one():
    text = default_text().replace("share: 0.7", "share: 0.6")
    [problem] = problems(text)
    assert "components[5].parts: part shares must add up to 1, they add up to 0.9" in problem


def test_yaml_syntax_errors_name_their_line():
    assert problems("policy_version: 1\ncomponents: [a\n") == [
        "line 3, (syntax): expected ',' or ']', but got '<stream end>'"
    ]


def test_missing_fields_point_at_their_parent():
    assert problems("policy_version: x\n") == [
        "line 1, appraised_roles: Field required",
        "line 1, bands: Field required",
        "line 1, bonus_base: Field required",
        "line 1, components: Field required",
        "line 1, currency: Field required",
        "line 1, discipline: Field required",
        "line 1, title: Field required",
    ]
