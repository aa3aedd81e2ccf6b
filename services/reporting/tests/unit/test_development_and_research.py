from datetime import date, datetime
from decimal import Decimal
from functools import reduce
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest

from daybook_reporting.domain import development, market_research
from daybook_shared.contracts.reporting import CertificationObtained, TrainingCompleted
from daybook_shared.errors import Conflict, InvalidCommand

AT = datetime(2026, 3, 2, 18, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def training(**overrides) -> development.LogTraining:
    fields = {
        "employee_id": "E1",
        "kind": "reading",
        "title": "The Challenger Sale",
        "hours": Decimal("6.5"),
        "completed_on": date(2026, 3, 1),
        "logged_at": AT,
        "today": date(2026, 3, 2),
    }
    return development.LogTraining(**(fields | overrides))


def certification(**overrides) -> development.LogCertification:
    fields = {
        "employee_id": "E1",
        "name": "Certified Sales Professional",
        "issuer": "NASP",
        "obtained_on": date(2026, 2, 27),
        "expires_on": date(2029, 2, 27),
        "logged_at": AT,
        "today": date(2026, 3, 2),
    }
    return development.LogCertification(**(fields | overrides))


def log(*recorded_lists) -> development.DevelopmentLog:
    payloads = [r.payload for recorded in recorded_lists for r in recorded]
    return reduce(development.evolve, payloads, development.DevelopmentLog())


def test_training_reading_and_mentoring_are_logged_with_hours():
    for kind in ("training", "reading", "mentoring"):
        [recorded] = development.log_training(training(kind=kind), development.DevelopmentLog())
        assert isinstance(recorded.payload, TrainingCompleted)
        assert (recorded.payload.kind, recorded.payload.hours) == (kind, Decimal("6.5"))


def test_the_same_activity_is_logged_once():
    first = development.log_training(training(), development.DevelopmentLog())
    with pytest.raises(Conflict, match="already in the development log"):
        development.log_training(training(title="the challenger sale "), log(first))
    [other] = development.log_training(training(completed_on=date(2026, 3, 2)), log(first))
    assert other.payload.entry_id != first[0].payload.entry_id


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"hours": Decimal(0)}, "hours"),
        ({"hours": Decimal("1001")}, "hours"),
        ({"hours": Decimal("1.234")}, "hours"),
        ({"title": ""}, "title"),
        ({"completed_on": date(2026, 3, 3)}, "completed_on"),
    ],
)
def test_bad_training_entries_are_refused_naming_the_field(overrides, field):
    with pytest.raises(InvalidCommand) as refused:
        development.log_training(training(**overrides), development.DevelopmentLog())
    assert refused.value.field == field


def test_certification_is_logged_once():
    first = development.log_certification(certification(), development.DevelopmentLog())
    assert isinstance(first[0].payload, CertificationObtained)
    with pytest.raises(Conflict):
        development.log_certification(certification(), log(first))


def test_certification_expiring_before_it_was_obtained_is_refused():
    with pytest.raises(InvalidCommand, match="expires_on must be after"):
        development.log_certification(
            certification(expires_on=date(2026, 1, 1)), development.DevelopmentLog()
        )


def market_report(**overrides) -> market_research.SubmitMarketReport:
    fields = {
        "report_id": UUID("00000000-0000-0000-0000-0000000000b1"),
        "employee_id": "E1",
        "topic": "Mid-market CRM pricing in East China",
        "competitors": ("Acme", " Acme", "Globex"),
        "findings": "Acme cut list prices by 15%; Globex bundles onboarding.",
        "submitted_at": AT,
    }
    return market_research.SubmitMarketReport(**(fields | overrides))


def test_market_report_names_each_competitor_once():
    [recorded] = market_research.submit(market_report(), market_research.MarketReport())
    assert recorded.payload.competitors == ("Acme", "Globex")


def test_market_report_is_submitted_once_and_needs_findings():
    [recorded] = market_research.submit(market_report(), market_research.MarketReport())
    state = market_research.evolve(market_research.MarketReport(), recorded.payload)
    with pytest.raises(Conflict):
        market_research.submit(market_report(), state)
    with pytest.raises(InvalidCommand) as refused:
        market_research.submit(market_report(findings=""), market_research.MarketReport())
    assert refused.value.field == "findings"
