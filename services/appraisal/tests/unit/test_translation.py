"""Other contexts' events as facts: what counts, where it is dated, what replaces what."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

from daybook_appraisal.domain.facts import FactKind, facts_in
from daybook_appraisal.domain.translation import facts_from
from daybook_shared.contracts import Envelope, Event, Money, attendance, crm, reporting

from .builders import NOV, TZ

K = FactKind
AT = datetime(2026, 11, 3, 1, 30, tzinfo=UTC)


def event(payload, occurred_at=AT, event_id: UUID | None = None) -> Event:
    envelope = Envelope(
        event_id=event_id or uuid4(),
        event_type=payload.event_type,
        schema_version=payload.schema_version,
        stream_id="s",
        stream_version=1,
        occurred_at=occurred_at,
        recorded_at=occurred_at,
        producer="test",
        payload=payload.model_dump(mode="json"),
    )
    return Event(envelope=envelope, payload=payload)


def late(excused: bool, work_date=date(2026, 11, 3)):
    return attendance.LateArrivalRecorded(
        employee_id="E1",
        work_date=work_date,
        punch_id=uuid4(),
        scheduled_start=AT,
        arrived_at=AT + timedelta(minutes=20),
        minutes_late=20,
        grace_minutes=5,
        excused=excused,
        excused_by_request_id=uuid4() if excused else None,
    )


def test_a_late_arrival_is_excused_or_not_and_dated_by_its_work_day():
    [fact] = facts_from(event(late(excused=False)))
    assert (fact.kind, fact.on_date, fact.employee_id) == (
        K.LATE_ARRIVAL_UNEXCUSED,
        date(2026, 11, 3),
        "E1",
    )
    assert facts_from(event(late(excused=True)))[0].kind is K.LATE_ARRIVAL_EXCUSED


def test_a_withdrawn_attendance_fact_stops_counting_in_either_order():
    recorded = event(late(excused=False))
    withdrawn = event(
        attendance.AttendanceFactWithdrawn(
            employee_id="E1",
            work_date=date(2026, 11, 3),
            withdrawn_event_id=recorded.event_id,
            withdrawn_event_type="LateArrivalRecorded",
            cause="request_decided",
        )
    )
    facts = facts_from(recorded) + facts_from(withdrawn)
    assert facts_in(facts, NOV.window, TZ) == []
    assert facts_in(list(reversed(facts)), NOV.window, TZ) == []


def test_a_late_daily_report_replaces_the_missed_one():
    missed = event(
        reporting.DailyReportMissed(
            employee_id="E1",
            report_date=date(2026, 11, 2),
            deadline=AT,
            supervisor_id=None,
        )
    )
    submitted = event(
        reporting.DailyReportSubmitted(
            employee_id="E1",
            report_date=date(2026, 11, 2),
            revision=1,
            work="w",
            progress="p",
            challenges="c",
            solutions="s",
            supervisor_id="S1",
            submitted_at=AT,
            deadline=AT,
            on_time=False,
        ),
        occurred_at=AT + timedelta(hours=1),
    )
    kept = facts_in(facts_from(submitted) + facts_from(missed), NOV.window, TZ)
    assert [f.kind for f in kept] == [K.DAILY_REPORT_LATE]


def test_a_goals_latest_revision_sets_the_target_over_its_span():
    goal_id, target_id = uuid4(), uuid4()

    def goal(revision, amount):
        return event(
            reporting.GoalSet(
                metric="sales_amount",
                amount=Money(amount=Decimal(amount), currency="CNY"),
                goal_id=goal_id,
                target_id=target_id,
                employee_id="E1",
                team_id="T1",
                period_start=date(2026, 11, 1),
                period_end=date(2026, 11, 30),
                cadence="weekly",
                revision=revision,
            )
        )

    facts = facts_from(goal(2, "80000")) + facts_from(goal(1, "100000"))
    [target] = facts_in(facts, NOV.window, TZ)
    assert (target.kind, target.value, target.unit) == (K.SALES_TARGET, Decimal("80000"), "CNY")
    count_goal = reporting.GoalSet(
        metric="deals_won",
        count=5,
        goal_id=goal_id,
        target_id=target_id,
        employee_id="E1",
        team_id=None,
        period_start=date(2026, 11, 1),
        period_end=date(2026, 11, 30),
        cadence="monthly",
        revision=1,
    )
    assert facts_from(event(count_goal)) == []


def test_an_inquiry_answered_late_after_going_overdue_counts_once_in_the_period_it_was_due():
    due = datetime(2026, 11, 30, 15, tzinfo=UTC)  # 23:00 in Shanghai, still November
    overdue = event(
        crm.InquiryOverdue(inquiry_id="Q1", customer_id="C1", employee_id="E1", respond_by=due),
        occurred_at=due,
    )
    answered = event(
        crm.InquiryResponded(
            inquiry_id="Q1",
            customer_id="C1",
            employee_id="E1",
            received_at=due - timedelta(hours=4),
            respond_by=due,
            responded_at=due + timedelta(hours=10),
            response_business_minutes=300,
            response_elapsed_minutes=840,
            within_deadline=False,
            was_overdue=True,
        ),
        occurred_at=due + timedelta(hours=10),
    )
    kept = facts_in(facts_from(answered) + facts_from(overdue), NOV.window, TZ)
    assert [f.kind for f in kept] == [K.INQUIRY_ANSWERED_LATE]


def test_a_reassigned_customer_counts_for_the_new_owner_only():
    registered = event(crm.CustomerRegistered(customer_id="C1", employee_id="E1", completeness=70))
    moved = event(
        crm.CustomerReassigned(
            customer_id="C1", employee_id="E2", previous_employee_id="E1", completeness=70
        ),
        occurred_at=AT + timedelta(days=1),
    )
    facts = facts_from(registered) + facts_from(moved)
    assert facts_in([f for f in facts if f.employee_id == "E1"], NOV.window, TZ) == []
    [kept] = facts_in([f for f in facts if f.employee_id == "E2"], NOV.window, TZ)
    assert (kept.kind, kept.value) == (K.RECORD_COMPLETENESS, Decimal(70))


def test_conduct_facts_carry_their_severity():
    gift = event(
        crm.GiftDeclared(
            declaration_id="G1",
            employee_id="E1",
            kind="gift",
            decision="accepted",
            value=Money(amount=Decimal("800"), currency="CNY"),
            severity="major",
        )
    )
    breach = event(
        crm.ConductBreachReported(
            report_id="B1",
            employee_id="E1",
            kind="confidentiality_breach",
            severity="serious",
            reported_by="S1",
            reporter_role="supervisor",
            occurred_on=date(2026, 11, 2),
            rule_ids=("R-B3.4",),
        )
    )
    assert [(f.kind, f.grade) for f in facts_from(gift) + facts_from(breach)] == [
        (K.GIFT_ACCEPTED, "major"),
        (K.CONFIDENTIALITY_BREACH, "serious"),
    ]


def test_money_and_development_facts_carry_their_values():
    won = event(
        crm.DealWon(
            deal_id="D1",
            customer_id="C1",
            employee_id="E1",
            amount=Money(amount=Decimal("1234.50"), currency="CNY"),
        )
    )
    hours = event(
        reporting.TrainingCompleted(
            entry_id=uuid4(),
            employee_id="E1",
            kind="reading",
            title="t",
            hours=Decimal("2.5"),
            completed_on=date(2026, 11, 4),
        )
    )
    assert [(f.kind, f.value, f.unit) for f in facts_from(won) + facts_from(hours)] == [
        (K.DEAL_WON, Decimal("1234.50"), "CNY"),
        (K.TRAINING_HOURS, Decimal("2.5"), None),
    ]


def test_events_the_appraisal_does_not_count_give_no_facts():
    lost = event(crm.DealLost(deal_id="D1", customer_id="C1", employee_id="E1", reason="price"))
    assert facts_from(lost) == []


def test_a_withdrawn_missed_report_no_longer_counts_but_a_report_sent_anyway_does():
    day = date(2026, 11, 2)
    missed = event(
        reporting.DailyReportMissed(
            employee_id="E1", report_date=day, deadline=AT, supervisor_id=None
        )
    )
    withdrawn = event(
        reporting.DailyReportMissedWithdrawn(
            employee_id="E1",
            report_date=day,
            withdrawn_event_id=missed.event_id,
            day_status="on_leave",
        ),
        occurred_at=AT,
    )
    facts = facts_from(withdrawn) + facts_from(missed)
    assert facts_in(facts, NOV.window, TZ) == []
    sent_anyway = event(
        reporting.DailyReportSubmitted(
            employee_id="E1",
            report_date=day,
            revision=1,
            work="w",
            progress="p",
            challenges="c",
            solutions="s",
            supervisor_id="S1",
            submitted_at=AT,
            deadline=AT,
            on_time=False,
        ),
        occurred_at=AT - timedelta(hours=1),
    )
    [kept] = facts_in(facts + facts_from(sent_anyway), NOV.window, TZ)
    assert kept.kind is K.DAILY_REPORT_LATE
