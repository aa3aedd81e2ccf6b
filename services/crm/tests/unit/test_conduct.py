from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from daybook_crm.domain.conduct import (
    DeclareGift,
    ReportConductBreach,
    declare_gift,
    report_breach,
)
from daybook_crm.domain.policy import GiftPolicy
from daybook_shared.contracts import Money
from daybook_shared.contracts.crm import ConductBreachReported, GiftDeclared
from daybook_shared.errors import Conflict, Forbidden, InvalidCommand

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
POLICY = GiftPolicy()  # CNY: minor up to 200, serious above 1000


def gift(kind: str, decision: str, amount: str, currency: str = "CNY") -> GiftDeclared:
    value = Money(amount=Decimal(amount), currency=currency)
    [event] = declare_gift(
        DeclareGift("G1", "E1", kind, decision, value, NOW, NOW, "C1"), False, POLICY
    )
    assert isinstance(event.payload, GiftDeclared)
    return event.payload


def test_an_accepted_gift_carries_a_severity_by_value():
    accepted = gift("gift", "accepted", "500")
    assert accepted.decision == "accepted"
    assert accepted.severity == "major"
    assert accepted.employee_id == "E1"
    assert accepted.rule_ids == ("R-B3.2",)
    assert gift("gift", "accepted", "200").severity == "minor"
    assert gift("hospitality", "accepted", "1000.01").severity == "serious"


def test_accepted_cash_is_always_serious():
    assert gift("cash", "accepted", "50").severity == "serious"


def test_a_declined_gift_has_no_severity():
    assert gift("cash", "declined", "5000").severity is None


def test_a_currency_the_policy_does_not_list_is_judged_by_its_fallback():
    assert gift("gift", "accepted", "10", currency="JPY").severity == "major"


def test_a_negative_value_or_a_second_declaration_is_refused():
    value = Money(amount=Decimal("-1"), currency="CNY")
    with pytest.raises(InvalidCommand) as negative:
        declare_gift(DeclareGift("G1", "E1", "gift", "accepted", value, NOW, NOW), False, POLICY)
    assert negative.value.field == "value"
    with pytest.raises(Conflict):
        declare_gift(
            DeclareGift(
                "G1", "E1", "gift", "declined", Money(amount=Decimal(1), currency="CNY"), NOW, NOW
            ),
            True,
            POLICY,
        )


def breach(
    reporter: str | None,
    role: str,
    supervisor: str | None = "S1",
    kind: str = "confidentiality_breach",
) -> ReportConductBreach:
    return ReportConductBreach(
        report_id="B1",
        employee_id="E1",
        kind=kind,
        severity="serious",
        reporter_id=reporter,
        reporter_role=role,
        supervisor_of_employee=supervisor,
        occurred_on=date(2026, 11, 30),
        today=date(2026, 12, 1),
        at=NOW,
        customer_id="C1",
    )


def test_the_supervisor_reports_a_breach_citing_the_rule():
    [event] = report_breach(breach("S1", "supervisor"), already_reported=False)
    assert event.payload == ConductBreachReported(
        report_id="B1",
        employee_id="E1",
        kind="confidentiality_breach",
        severity="serious",
        reported_by="S1",
        reporter_role="supervisor",
        occurred_on=date(2026, 11, 30),
        customer_id="C1",
        rule_ids=("R-B3.4",),
    )
    [improper] = report_breach(breach("H1", "hr", kind="improper_dealing"), False)
    assert improper.payload.rule_ids == ("R-B3.2",)


def test_only_their_own_supervisor_or_hr_may_report():
    with pytest.raises(Forbidden):
        report_breach(breach("S2", "supervisor"), False)
    with pytest.raises(Forbidden):
        report_breach(breach("E7", "employee"), False)
    with pytest.raises(Forbidden):
        report_breach(breach("E1", "hr"), False)


def test_a_breach_in_the_future_or_reported_twice_is_refused():
    future = ReportConductBreach(
        report_id="B1",
        employee_id="E1",
        kind="improper_dealing",
        severity="minor",
        reporter_id="H1",
        reporter_role="hr",
        supervisor_of_employee=None,
        occurred_on=date(2026, 12, 2),
        today=date(2026, 12, 1),
        at=NOW,
    )
    with pytest.raises(InvalidCommand) as refused:
        report_breach(future, False)
    assert refused.value.field == "occurred_on"
    with pytest.raises(Conflict):
        report_breach(breach("H1", "hr"), True)


def test_an_hr_account_without_an_employee_id_may_report_but_a_supervisor_must_be_named():
    [event] = report_breach(breach(None, "hr"), False)
    assert event.payload.reported_by is None
    assert event.payload.reporter_role == "hr"
    with pytest.raises(Forbidden):
        report_breach(breach(None, "supervisor", supervisor=None), False)
