"""Calls, visits, messages logged against a customer (R-A4: keep in touch with customers)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from daybook_crm.domain.business_time import require_not_future
from daybook_crm.domain.customers import Customer
from daybook_shared.contracts.crm import InteractionChannel, InteractionLogged
from daybook_shared.errors import Conflict
from daybook_shared.kit.eventstore import NewEvent


def stream_id(interaction_id: str) -> str:
    return f"crm-interaction-{interaction_id}"


@dataclass(frozen=True)
class LogInteraction:
    """`employee_id` is who spoke with the customer; the notes stay in crm's own table."""

    interaction_id: str
    customer_id: str
    employee_id: str
    channel: InteractionChannel
    at: datetime
    now: datetime
    duration_minutes: int | None = None


def decide(command: LogInteraction, customer: Customer, already_logged: bool) -> list[NewEvent]:
    if already_logged:
        raise Conflict(
            f"interaction {command.interaction_id!r} is already logged", field="interaction_id"
        )
    require_not_future(command.at, command.now, "at")
    event = InteractionLogged(
        interaction_id=command.interaction_id,
        customer_id=customer.customer_id,
        employee_id=command.employee_id,
        channel=command.channel,
        duration_minutes=command.duration_minutes,
    )
    return [NewEvent(event, command.at)]
