"""Hand-computed scorecards under the default policy, checked to the hundredth of a point."""

import random
from dataclasses import replace
from datetime import date
from decimal import Decimal

from daybook_appraisal.domain.facts import facts_in
from daybook_appraisal.domain.outcomes import History, appraise
from daybook_appraisal.domain.scoring import score

from .builders import NOV, TZ, FactBook, K, default_policy, local, nov, workdays

D = Decimal


def november_of_e1() -> FactBook:
    """A full month; the arithmetic is written out beside each component's test below."""
    book = FactBook("E1")
    book.add(K.SALES_TARGET, nov(1), "100000.00", until=nov(30), unit="CNY", key="goal:g1")
    book.add(K.DEAL_WON, nov(9), "60000.00", unit="CNY", on_date=None)
    book.add(K.DEAL_WON, nov(20), "25000.00", unit="CNY", on_date=None)
    for rating, day in zip([5, 4, 4, 5], [3, 10, 17, 24], strict=True):
        book.add(K.SATISFACTION_RATING, nov(day), rating, on_date=None)
    book.many(K.INQUIRY_ANSWERED_IN_TIME, [nov(d) for d in range(2, 10)])
    book.add(K.INQUIRY_ANSWERED_LATE, nov(11))
    book.add(K.INQUIRY_OVERDUE, nov(12))
    book.add(K.COMPLAINT_RESOLVED_IN_TIME, nov(13))
    book.add(K.COMPLAINT_RESOLVED_LATE, nov(16))
    book.add(K.LATE_ARRIVAL_UNEXCUSED, nov(4), hour=9)
    book.add(K.LATE_ARRIVAL_UNEXCUSED, nov(18), hour=9)
    book.add(K.LATE_ARRIVAL_EXCUSED, nov(25), hour=9)
    days = workdays(11, 21)
    book.many(K.DAILY_REPORT_ON_TIME, days[:18], hour=19)
    book.many(K.DAILY_REPORT_LATE, days[18:20], hour=23)
    book.add(K.DAILY_REPORT_MISSED, days[20], hour=21)
    book.many(K.PROGRESS_REPORT_ON_TIME, [nov(8), nov(15), nov(22)])
    book.add(K.PROGRESS_REPORT_MISSED, nov(29))
    book.add(K.RECORD_COMPLETENESS, date(2026, 9, 1), 80, key="customer:C1")
    book.add(K.RECORD_COMPLETENESS, date(2026, 10, 1), 60, key="customer:C2")
    book.add(K.RECORD_COMPLETENESS, nov(5), 90, key="customer:C2")
    book.add(K.RECORD_COMPLETENESS, nov(6), 100, key="customer:C3")
    book.add(K.STALE_RECORDS, nov(7), 2)
    book.add(K.TRAINING_HOURS, nov(14), "6")
    book.add(K.CERTIFICATION, nov(21))
    book.add(K.MARKET_REPORT, nov(27), on_date=None)
    return book


def card_of(book: FactBook):
    policy = default_policy().policy
    return score(policy, facts_in(book.facts, NOV.window, TZ))


def test_sales_is_won_amount_against_the_goals_target():
    # 85,000 won of a 100,000 target: 0.85 of 30 points
    sales = card_of(november_of_e1()).component("sales")
    assert sales.parts[0].inputs == {"numerator": D("85000.00"), "denominator": D("100000.00")}
    assert sales.value == D("0.85")
    assert sales.points == D("25.50")


def test_satisfaction_is_the_mean_rating_between_one_and_five():
    # mean of 5, 4, 4, 5 = 4.5; (4.5 - 1) / 4 = 0.875; 15 x 0.875 = 13.125, half up 13.13
    satisfaction = card_of(november_of_e1()).component("satisfaction")
    assert satisfaction.value == D("4.5")
    assert satisfaction.normalised == D("0.875")
    assert satisfaction.points == D("13.13")


def test_responsiveness_and_complaints_are_shares_in_time():
    card = card_of(november_of_e1())
    # 8 in time of 10 due = 0.8; (0.8 - 0.5) / 0.5 = 0.6; 10 x 0.6 = 6
    assert card.component("responsiveness").points == D("6.00")
    # 1 in time of 2 = 0.5, the worst the policy allows: nothing
    assert card.component("complaints").points == D("0.00")


def test_an_excused_late_arrival_does_not_count_towards_punctuality():
    # two unexcused late arrivals (the excused one is not a demerit): (2 - 6) / (0 - 6) = 2/3
    punctuality = card_of(november_of_e1()).component("punctuality")
    assert punctuality.parts[0].inputs == {"total": D(2)}
    assert punctuality.points == D("10.00")
    assert K.LATE_ARRIVAL_EXCUSED not in {fact.kind for fact in punctuality.facts}


def test_reporting_blends_daily_reports_and_progress_reports():
    # daily: (18 + 0.5 x 2) / 21 = 19/21; (19/21 - 0.6) / 0.4 = 16/21
    # progress: 3 / 4 = 0.75; (0.75 - 0.5) / 0.5 = 0.5
    # 0.7 x 16/21 + 0.3 x 0.5 = 0.68333...; 10 x that = 6.83
    reporting = card_of(november_of_e1()).component("reporting")
    daily, progress = reporting.parts
    assert daily.inputs == {"numerator": D(19), "denominator": D(21)}
    assert progress.value == D("0.75")
    assert reporting.points == D("6.83")


def test_data_upkeep_reads_each_records_latest_completeness_as_of_the_period_end():
    # C1 80 (from September), C2 90 (updated from 60), C3 100: mean 90; (90 - 50) / 50 = 0.8
    # one sweep found 2 stale: (2 - 5) / (0 - 5) = 0.6; 0.6 x 0.8 + 0.4 x 0.6 = 0.72; 5 x = 3.60
    upkeep = card_of(november_of_e1()).component("data-upkeep")
    completeness, freshness = upkeep.parts
    assert completeness.inputs == {"sum": D(270), "count": D(3)}
    assert freshness.normalised == D("0.6")
    assert upkeep.points == D("3.60")


def test_development_counts_hours_certifications_and_market_reports():
    # 6 hours + 8 for the certification + 2 for the market report = 16, the best: 5 points
    development = card_of(november_of_e1()).component("development")
    assert development.value == D(16)
    assert development.points == D("5.00")


def test_the_score_is_the_sum_of_the_points_and_sets_the_band_and_reward():
    # 25.50 + 13.13 + 6.00 + 0.00 + 10.00 + 6.83 + 3.60 + 5.00 = 70.06: adequate (60 to 75)
    policy = default_policy().policy
    appraisal = appraise(policy, NOV, "E1", TZ, november_of_e1().facts, History())
    assert appraisal.scorecard.score == D("70.06")
    assert sum(c.points for c in appraisal.scorecard.components) == D("70.06")
    assert appraisal.band.id == "adequate"
    assert appraisal.reward is not None
    assert appraisal.reward.bonus_amount == D("500.00")
    assert appraisal.actions == ()


def test_components_without_data_are_excluded_and_their_weight_shared_in_proportion():
    # no goal, ratings, inquiries, complaints, records or progress reports: the remaining
    # weights are punctuality 15, reporting 10, data upkeep 5 (freshness: no sweep found any
    # stale record, which the policy scores in full), development 5 = 35.
    # punctuality 15/35 x 100 x 1 = 42.857 -> 42.86; reporting 28.571 -> 28.57;
    # data upkeep 14.286 -> 14.29; development 14.286 x 4/16 = 3.571 -> 3.57. Total 89.29: good.
    book = FactBook("E2")
    book.many(K.DAILY_REPORT_ON_TIME, workdays(11, 20))
    book.add(K.TRAINING_HOURS, nov(10), 4)
    card = card_of(book)
    assert [c.id for c in card.components if c.excluded] == [
        "sales",
        "satisfaction",
        "responsiveness",
        "complaints",
    ]
    assert {c.id: c.points for c in card.components if not c.excluded} == {
        "punctuality": D("42.86"),
        "reporting": D("28.57"),
        "data-upkeep": D("14.29"),
        "development": D("3.57"),
    }
    assert card.score == D("89.29")
    assert default_policy().policy.band_for(card.score).id == "good"


def test_a_goal_spanning_several_periods_counts_by_the_days_inside_this_one():
    # a quarter's target of 300,000 over 92 days: November's 30 days are 97,826.09, all won.
    # Only sales (30), punctuality (15), data upkeep (5) and development (5) have data, so
    # sales weighs 30/55 of the score: 54.5454... -> 54.55 points in full.
    book = FactBook("E3")
    book.add(
        K.SALES_TARGET,
        date(2026, 10, 1),
        "300000.00",
        until=date(2026, 12, 31),
        unit="CNY",
        key="goal:q4",
    )
    book.add(K.DEAL_WON, nov(15), "97826.09", unit="CNY")
    sales = card_of(book).component("sales")
    assert sales.parts[0].inputs["denominator"] == D("97826.09")
    assert sales.normalised == 1
    assert sales.points == D("54.55")


def test_money_in_another_currency_is_ignored_and_said_so():
    book = FactBook("E4")
    book.add(K.SALES_TARGET, nov(1), "10000.00", until=nov(30), unit="CNY", key="goal:g")
    book.add(K.DEAL_WON, nov(3), "5000.00", unit="CNY")
    usd = book.add(K.DEAL_WON, nov(4), "900.00", unit="USD")
    card = card_of(book)
    assert card.component("sales").value == D("0.5")
    assert [(i.fact, i.reason) for i in card.ignored] == [
        (usd, "amount in USD, the policy counts CNY")
    ]


def test_the_scorecard_names_the_events_that_counted_in_each_component():
    book = november_of_e1()
    card = card_of(book)
    punctuality_ids = {fact.event_id for fact in card.component("punctuality").facts}
    late = [f.event_id for f in book.facts if f.kind is K.LATE_ARRIVAL_UNEXCUSED]
    assert punctuality_ids == set(late)
    assert card.component("punctuality").rule_ids == ("R-A1", "R-B3.1")


def test_the_same_facts_twice_and_in_any_order_give_the_same_scorecard():
    facts = november_of_e1().facts
    expected = card_of_list(facts)
    shuffler = random.Random(7)
    for _ in range(5):
        delivered = facts + shuffler.sample(facts, k=len(facts) // 2)
        shuffler.shuffle(delivered)
        assert card_of_list(delivered) == expected


def card_of_list(facts):
    return score(default_policy().policy, facts_in(facts, NOV.window, TZ))


def test_a_slot_counts_only_its_last_word_whichever_arrives_first():
    # missed at the deadline, then submitted late: one late report, not a missed one as well
    book = FactBook("E5")
    missed = book.add(K.DAILY_REPORT_MISSED, nov(2), hour=21, key="daily-report:2026-11-02")
    late = book.add(K.DAILY_REPORT_LATE, nov(2), hour=23, key="daily-report:2026-11-02", revision=1)
    for order in ([missed, late], [late, missed]):
        daily = card_of_list(order).component("reporting").parts[0]
        assert daily.inputs == {"numerator": D("0.5"), "denominator": D(1)}


def test_a_withdrawal_voids_its_fact_even_when_it_arrives_first():
    book = FactBook("E6")
    late = book.add(K.LATE_ARRIVAL_UNEXCUSED, nov(3), hour=9, key="attendance:x")
    withdrawal = replace(
        book.add(K.VOID, nov(3), hour=9, key="attendance:x", revision=1),
        occurred_at=late.occurred_at,
    )
    for order in ([late, withdrawal], [withdrawal, late]):
        assert card_of_list(order).component("punctuality").parts[0].inputs == {"total": D(0)}


def test_a_fact_is_dated_in_the_employees_timezone():
    # 30 November 20:00 UTC is 1 December 04:00 in Shanghai: December's deal, not November's
    book = FactBook("E7")
    book.add(K.SALES_TARGET, nov(1), "1000.00", until=nov(30), unit="CNY", key="goal:g")
    book.add(
        K.DEAL_WON,
        nov(30),
        "1000.00",
        unit="CNY",
        on_date=None,
        occurred_at=local(date(2026, 12, 1), 4),
    )
    assert card_of(book).component("sales").value == D(0)
