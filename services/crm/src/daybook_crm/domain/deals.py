"""Deals through the pipeline to won or lost: won amounts are sales results (R-B1.1, R-B4.1)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from daybook_crm.domain.business_time import require_not_future
from daybook_crm.domain.customers import Customer
from daybook_shared.contracts import Money, Payload
from daybook_shared.contracts.crm import (
    DealLost,
    DealLostReason,
    DealOpened,
    DealStage,
    DealStageChanged,
    DealWon,
    RecordSource,
)
from daybook_shared.errors import Conflict, InvalidCommand, NotFound
from daybook_shared.kit.eventstore import NewEvent

DealStatus = Literal["open", "won", "lost"]


def stream_id(deal_id: str) -> str:
    return f"crm-deal-{deal_id}"


@dataclass(frozen=True)
class Deal:
    deal_id: str
    customer_id: str
    owner_id: str
    stage: DealStage
    expected_amount: Money | None
    status: DealStatus = "open"
    won_amount: Money | None = None
    lost_reason: DealLostReason | None = None


@dataclass(frozen=True)
class OpenDeal:
    deal_id: str
    customer_id: str
    owner_id: str
    stage: DealStage
    expected_amount: Money | None
    at: datetime
    now: datetime
    source: RecordSource = "manual"


@dataclass(frozen=True)
class ChangeDealStage:
    """Move an open deal; `expected_amount` None keeps the current estimate."""

    deal_id: str
    stage: DealStage
    at: datetime
    now: datetime
    expected_amount: Money | None = None


@dataclass(frozen=True)
class WinDeal:
    deal_id: str
    amount: Money
    at: datetime
    now: datetime


@dataclass(frozen=True)
class LoseDeal:
    deal_id: str
    reason: DealLostReason
    at: datetime
    now: datetime


def evolve(state: Deal | None, payload: Payload) -> Deal | None:
    match payload:
        case DealOpened():
            return Deal(
                deal_id=payload.deal_id,
                customer_id=payload.customer_id,
                owner_id=payload.employee_id,
                stage=payload.stage,
                expected_amount=payload.expected_amount,
            )
        case DealStageChanged() if state is not None:
            return replace(state, stage=payload.stage, expected_amount=payload.expected_amount)
        case DealWon() if state is not None:
            return replace(state, status="won", won_amount=payload.amount)
        case DealLost() if state is not None:
            return replace(state, status="lost", lost_reason=payload.reason)
    return state


def fold(payloads: Iterable[Payload]) -> Deal | None:
    state: Deal | None = None
    for payload in payloads:
        state = evolve(state, payload)
    return state


def _require(state: Deal | None, deal_id: str) -> Deal:
    if state is None:
        raise NotFound(f"no deal {deal_id!r}", field="deal_id")
    return state


def _require_positive(amount: Money | None, field: str) -> None:
    if amount is not None and amount.amount <= 0:
        raise InvalidCommand(f"{field} must be greater than zero", field=field)


def open_deal(command: OpenDeal, state: Deal | None, customer: Customer) -> list[NewEvent]:
    if state is not None:
        raise Conflict(f"deal {command.deal_id!r} is already open", field="deal_id")
    require_not_future(command.at, command.now, "at")
    _require_positive(command.expected_amount, "expected_amount")
    event = DealOpened(
        deal_id=command.deal_id,
        customer_id=customer.customer_id,
        employee_id=command.owner_id,
        stage=command.stage,
        expected_amount=command.expected_amount,
        source=command.source,
    )
    return [NewEvent(event, command.at)]


def change_stage(command: ChangeDealStage, state: Deal | None) -> list[NewEvent]:
    deal = _require(state, command.deal_id)
    if deal.status != "open":
        raise Conflict(f"deal {deal.deal_id!r} is already {deal.status}", field="deal_id")
    require_not_future(command.at, command.now, "at")
    _require_positive(command.expected_amount, "expected_amount")
    expected = command.expected_amount or deal.expected_amount
    if command.stage == deal.stage and expected == deal.expected_amount:
        return []
    event = DealStageChanged(
        deal_id=deal.deal_id,
        customer_id=deal.customer_id,
        employee_id=deal.owner_id,
        stage=command.stage,
        previous_stage=deal.stage,
        expected_amount=expected,
    )
    return [NewEvent(event, command.at)]


def win(command: WinDeal, state: Deal | None) -> list[NewEvent]:
    """Winning again with the same amount is a retry and records nothing (one DealWon)."""
    deal = _require(state, command.deal_id)
    _require_positive(command.amount, "amount")
    if deal.status == "won":
        if deal.won_amount == command.amount:
            return []
        raise Conflict(
            f"deal {deal.deal_id!r} was already won for {_money(deal.won_amount)}",
            field="amount",
        )
    if deal.status == "lost":
        raise Conflict(f"deal {deal.deal_id!r} is already lost", field="deal_id")
    require_not_future(command.at, command.now, "at")
    event = DealWon(
        deal_id=deal.deal_id,
        customer_id=deal.customer_id,
        employee_id=deal.owner_id,
        amount=command.amount,
    )
    return [NewEvent(event, command.at)]


def lose(command: LoseDeal, state: Deal | None) -> list[NewEvent]:
    deal = _require(state, command.deal_id)
    if deal.status == "lost":
        if deal.lost_reason == command.reason:
            return []
        raise Conflict(
            f"deal {deal.deal_id!r} was already lost ({deal.lost_reason})", field="reason"
        )
    if deal.status == "won":
        raise Conflict(f"deal {deal.deal_id!r} is already won", field="deal_id")
    require_not_future(command.at, command.now, "at")
    event = DealLost(
        deal_id=deal.deal_id,
        customer_id=deal.customer_id,
        employee_id=deal.owner_id,
        reason=command.reason,
    )
    return [NewEvent(event, command.at)]


def _money(money: Money | None) -> str:
    return f"{money.amount} {money.currency}" if money is not None else "an unknown amount"
