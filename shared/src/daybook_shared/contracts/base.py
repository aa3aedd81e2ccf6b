"""The shape every event shares: the envelope, the payload base, money and identifiers."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, ClassVar
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

# Identifiers travel in NATS subjects, so they are restricted to subject-safe characters.
Identifier = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_\-]{1,64}$")]
EmployeeId = Identifier
TeamId = Identifier
CustomerId = Identifier
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
CurrencyCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
RuleId = Annotated[str, StringConstraints(pattern=r"^R-[AB][0-9](\.[0-9]+)?$")]


class Contract(BaseModel):
    """Immutable value objects of the public contract: unknown fields are an error."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Money(Contract):
    """A decimal amount with its currency; never a float."""

    amount: Decimal = Field(max_digits=18, decimal_places=2)
    currency: CurrencyCode


class Payload(Contract):
    """Base of every event payload.

    Subclasses name themselves with class variables; the registry finds them by
    (`event_type`, `schema_version`). `partition_key` is the subject's last token: the key a
    consumer keeps order by, normally the employee.
    """

    context: ClassVar[str] = ""
    event_type: ClassVar[str] = ""
    schema_version: ClassVar[int] = 1

    def partition_key(self) -> str:
        key = getattr(self, "employee_id", None)
        return str(key) if key else "_"

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if "event_type" in cls.__dict__:
            from daybook_shared.contracts.registry import REGISTRY

            REGISTRY.register(cls)


class Envelope(Contract):
    """The metadata every event carries on the wire and in the store."""

    event_id: UUID
    event_type: str
    schema_version: int = Field(ge=1)
    stream_id: str = Field(min_length=1, max_length=200)
    stream_version: int = Field(ge=1)
    occurred_at: AwareDatetime
    recorded_at: AwareDatetime
    producer: str
    actor_id: str | None = None
    correlation_id: str | None = None
    causation_id: str | None = None
    payload: dict[str, Any]


class Event(BaseModel):
    """An envelope whose payload has been read into its current model (after upcasting)."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    envelope: Envelope
    payload: Payload

    @property
    def event_id(self) -> UUID:
        return self.envelope.event_id

    @property
    def event_type(self) -> str:
        return self.envelope.event_type

    @property
    def occurred_at(self) -> datetime:
        return self.envelope.occurred_at


_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def snake(name: str) -> str:
    """`ClockedIn` -> `clocked_in`: the event type as a subject token."""
    return _CAMEL.sub("_", name).lower()
