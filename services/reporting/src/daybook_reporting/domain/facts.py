"""What a decision returns; payloads built so that a bad value is a refusal naming the field."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

from pydantic import ValidationError

from daybook_shared.contracts import Payload
from daybook_shared.errors import InvalidCommand

P = TypeVar("P", bound=Payload)


@dataclass(frozen=True)
class Recorded:
    """A new event: payload, business time, and a derived id when it must be deterministic."""

    payload: Payload
    occurred_at: datetime
    event_id: UUID | None = None


def build(model: type[P], **fields: Any) -> P:
    """The payload, or `InvalidCommand` naming the first field the contract refuses."""
    try:
        return model(**fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or None
        message = first["msg"].removeprefix("Value error, ")
        raise InvalidCommand(f"{field}: {message}" if field else message, field=field) from None
