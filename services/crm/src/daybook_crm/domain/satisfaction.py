"""A customer's satisfaction rating of the salesperson who served them (R-B4.1)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from daybook_crm.domain.business_time import require_not_future
from daybook_crm.domain.customers import Customer
from daybook_shared.contracts.crm import RecordSource, SatisfactionRated
from daybook_shared.errors import Conflict, InvalidCommand
from daybook_shared.kit.eventstore import NewEvent

LOWEST_RATING = 1
HIGHEST_RATING = 5


def stream_id(rating_id: str) -> str:
    return f"crm-rating-{rating_id}"


@dataclass(frozen=True)
class RateSatisfaction:
    """`served_by` is the salesperson rated; when unknown, the customer's owner served them."""

    rating_id: str
    customer_id: str
    rating: int
    at: datetime
    now: datetime
    served_by: str | None = None
    source: RecordSource = "manual"


def decide(command: RateSatisfaction, customer: Customer, already_rated: bool) -> list[NewEvent]:
    if already_rated:
        raise Conflict(f"rating {command.rating_id!r} is already recorded", field="rating_id")
    if not LOWEST_RATING <= command.rating <= HIGHEST_RATING:
        raise InvalidCommand(
            f"rating must be from {LOWEST_RATING} to {HIGHEST_RATING}, got {command.rating}",
            field="rating",
        )
    require_not_future(command.at, command.now, "at")
    event = SatisfactionRated(
        rating_id=command.rating_id,
        customer_id=customer.customer_id,
        employee_id=command.served_by or customer.owner_id,
        rating=command.rating,
        source=command.source,
    )
    return [NewEvent(event, command.at)]
