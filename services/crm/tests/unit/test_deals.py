from datetime import UTC, datetime
from decimal import Decimal

import pytest

from daybook_crm.domain.customers import Customer
from daybook_crm.domain.deals import (
    ChangeDealStage,
    LoseDeal,
    OpenDeal,
    WinDeal,
    change_stage,
    fold,
    lose,
    open_deal,
    win,
)
from daybook_shared.contracts import Money
from daybook_shared.contracts.crm import DealLost, DealOpened, DealStageChanged, DealWon
from daybook_shared.errors import Conflict, InvalidCommand, NotFound

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
CUSTOMER = Customer("C1", "E1", 30)


def cny(amount: str) -> Money:
    return Money(amount=Decimal(amount), currency="CNY")


def opened() -> tuple[list, object]:
    events = open_deal(OpenDeal("D1", "C1", "E1", "lead", cny("5000"), NOW, NOW), None, CUSTOMER)
    return [e.payload for e in events], fold(e.payload for e in events)


def test_opening_a_deal_names_its_owner_and_estimate():
    payloads, _ = opened()
    assert payloads == [
        DealOpened(
            deal_id="D1",
            customer_id="C1",
            employee_id="E1",
            stage="lead",
            expected_amount=cny("5000"),
        )
    ]


def test_a_stage_change_keeps_the_estimate_unless_given():
    _, state = opened()
    [event] = change_stage(ChangeDealStage("D1", "proposal", NOW, NOW), state)
    assert event.payload == DealStageChanged(
        deal_id="D1",
        customer_id="C1",
        employee_id="E1",
        stage="proposal",
        previous_stage="lead",
        expected_amount=cny("5000"),
    )
    assert change_stage(ChangeDealStage("D1", "lead", NOW, NOW), state) == []


def test_winning_records_the_amount_for_the_owner_once():
    payloads, state = opened()
    [event] = win(WinDeal("D1", cny("4800.50"), NOW, NOW), state)
    assert event.payload == DealWon(
        deal_id="D1", customer_id="C1", employee_id="E1", amount=cny("4800.50")
    )
    won = fold([*payloads, event.payload])
    assert win(WinDeal("D1", cny("4800.50"), NOW, NOW), won) == []
    with pytest.raises(Conflict) as other_amount:
        win(WinDeal("D1", cny("9000"), NOW, NOW), won)
    assert other_amount.value.field == "amount"
    with pytest.raises(Conflict):
        lose(LoseDeal("D1", "price", NOW, NOW), won)
    with pytest.raises(Conflict):
        change_stage(ChangeDealStage("D1", "proposal", NOW, NOW), won)


def test_losing_records_the_reason_once():
    payloads, state = opened()
    [event] = lose(LoseDeal("D1", "competitor", NOW, NOW), state)
    assert event.payload == DealLost(
        deal_id="D1", customer_id="C1", employee_id="E1", reason="competitor"
    )
    lost = fold([*payloads, event.payload])
    assert lose(LoseDeal("D1", "competitor", NOW, NOW), lost) == []
    with pytest.raises(Conflict):
        win(WinDeal("D1", cny("10"), NOW, NOW), lost)


def test_amounts_must_be_positive():
    _, state = opened()
    with pytest.raises(InvalidCommand) as zero:
        win(WinDeal("D1", cny("0"), NOW, NOW), state)
    assert zero.value.field == "amount"
    with pytest.raises(InvalidCommand) as negative:
        open_deal(OpenDeal("D2", "C1", "E1", "lead", cny("-1"), NOW, NOW), None, CUSTOMER)
    assert negative.value.field == "expected_amount"


def test_an_unknown_deal_is_not_found_and_a_second_opening_conflicts():
    _, state = opened()
    with pytest.raises(NotFound):
        win(WinDeal("D9", cny("1"), NOW, NOW), None)
    with pytest.raises(Conflict):
        open_deal(OpenDeal("D1", "C1", "E1", "lead", None, NOW, NOW), state, CUSTOMER)
