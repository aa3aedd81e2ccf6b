"""What a decision returns, before the store gives it an envelope."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from daybook_shared.contracts.base import Payload


@dataclass(frozen=True)
class DecidedEvent:
    """A payload, its business time, and its id when it must be deterministic (a derived fact, a
    punch), so that deciding the same thing twice is refused by the store."""

    payload: Payload
    occurred_at: datetime
    event_id: UUID | None = None


class EventLike(Protocol):
    """A stored event (`daybook_shared.contracts.Event`) or a `DecidedEvent` just decided."""

    @property
    def payload(self) -> Payload: ...

    @property
    def occurred_at(self) -> datetime: ...

    @property
    def event_id(self) -> UUID | None: ...
